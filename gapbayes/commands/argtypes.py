"""Checked argparse types: a flag's value is refused at parse time, before any data or compile.

Each function takes the flag's text and returns the parsed value or raises
:class:`argparse.ArgumentTypeError`; the CLI's parser (:class:`OneLineParser`) prints that as
one line naming the flag (``gapbayes fit: error: argument --draws: must be an integer >= 1,
got '0'``) and exits with code 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import NoReturn

from gapbayes.errors import EXIT_BAD_INPUT


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2.

    argparse's own ``error`` prints the whole usage block first; a user who mistyped a value
    needs the flag and the reason, and ``--help`` gives the rest.
    """

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` as one line and exit with code 2."""
        line = " ".join(message.split())
        sys.stderr.write(f"{self.prog}: error: {line} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_BAD_INPUT)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got '{text}'") from None


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got '{text}'") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got '{text}'")
    return value


def positive_int(text: str) -> int:
    """Parse an integer >= 1 (draws, chains, cores, workers...).

    Examples
    --------
    >>> positive_int("4")
    4
    """
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got '{text}'")
    return value


def nonnegative_int(text: str) -> int:
    """Parse an integer >= 0 (tuning steps, seeds).

    Examples
    --------
    >>> nonnegative_int("0")
    0
    """
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got '{text}'")
    return value


def positive_float(text: str) -> float:
    """Parse a finite number > 0 (a kernel width).

    Examples
    --------
    >>> positive_float("60")
    60.0
    """
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got '{text}'")
    return value


def finite_float(text: str) -> float:
    """Parse a finite number (``nan`` and ``inf`` are refused).

    Examples
    --------
    >>> finite_float("-1.5")
    -1.5
    """
    return _float(text)


def open_unit(text: str) -> float:
    """Parse a number strictly between 0 and 1 (a NUTS target acceptance).

    Examples
    --------
    >>> open_unit("0.9")
    0.9
    """
    value = _float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got '{text}'")
    return value


def unit_rate(text: str) -> float:
    """Parse a share in (0, 1] (a rate that may be 1 but not 0).

    Examples
    --------
    >>> unit_rate("1")
    1.0
    """
    value = _float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got '{text}'")
    return value


def iso_date(text: str) -> str:
    """Parse a calendar date YYYY-MM-DD (returned as written).

    Examples
    --------
    >>> iso_date("2025-07-01")
    '2025-07-01'
    """
    import datetime

    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, got '{text}'") from None
    return text
