"""Checked argparse types: a flag's value is refused at parse time, before any data or compile.

Each function takes the flag's text and returns the parsed value or raises
:class:`argparse.ArgumentTypeError`; the CLI's parser (:class:`OneLineParser`) prints that as
one line naming the flag (``gapbayes fit: error: argument --draws: must be an integer >= 1,
got '0'``) and exits with code 2.

Examples
--------
>>> positive_int("4"), nonnegative_int("0"), positive_float("60"), finite_float("-1.5")
(4, 0, 60.0, -1.5)
>>> open_unit("0.9"), unit_rate("1"), iso_date("2025-07-01")
(0.9, 1.0, '2025-07-01')
>>> positive_int("0")
Traceback (most recent call last):
argparse.ArgumentTypeError: must be an integer >= 1, got '0'
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
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


def _checked[T](name: str, parse: Callable[[str], T], accepts: Callable[[T], bool],
                rule: str) -> Callable[[str], T]:
    """Return the argparse type ``name``: ``parse`` the text, then refuse it unless ``accepts``.

    The refusal reads ``must be <rule>, got '<text>'``.
    """

    def check(text: str) -> T:
        value = parse(text)
        if not accepts(value):
            raise argparse.ArgumentTypeError(f"must be {rule}, got '{text}'")
        return value

    check.__name__ = check.__qualname__ = name
    check.__doc__ = f"Parse {rule}; raise :class:`argparse.ArgumentTypeError` otherwise."
    return check


#: Draws, chains, cores, workers...
positive_int = _checked("positive_int", _int, lambda v: v >= 1, "an integer >= 1")
#: Chains of a fit: R-hat and the rank plots compare chains, so one is not enough.
chain_count = _checked("chain_count", _int, lambda v: v >= 2,
                       "an integer >= 2 (R-hat compares chains)")
#: Tuning steps, seeds.
nonnegative_int = _checked("nonnegative_int", _int, lambda v: v >= 0, "an integer >= 0")
#: Trajectory doublings past the U-turn: the spec key ``[sampler] extra_doublings`` allows the
#: same range (each one doubles the leapfrog steps per draw; 3 is already 16x).
extra_doublings = _checked("extra_doublings", _int, lambda v: 0 <= v <= 3,
                           "an integer from 0 to 3")
#: A kernel width.
positive_float = _checked("positive_float", _float, lambda v: v > 0, "a number > 0")
#: A NUTS target acceptance.
open_unit = _checked("open_unit", _float, lambda v: 0 < v < 1, "between 0 and 1 (exclusive)")
#: A rate that may be 1 but not 0.
unit_rate = _checked("unit_rate", _float, lambda v: 0 < v <= 1, "in (0, 1]")


def finite_float(text: str) -> float:
    """Parse a finite number (``nan`` and ``inf`` are refused)."""
    return _float(text)


def iso_date(text: str) -> str:
    """Parse a calendar date YYYY-MM-DD (returned as written)."""
    import datetime

    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, got '{text}'") from None
    return text
