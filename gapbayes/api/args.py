"""Keyword arguments -> the CLI's flags, parsed by the CLI's own parser.

The Python API takes the same settings as the command line and checks them with the same
code: each call is turned into the argument list of the matching subcommand and parsed by
the parser that ``gapbayes <command>`` uses, so a bad value is refused before any data is
read or any model compiled, with the CLI's message (``argument --draws: must be an integer
>= 1, got '0'``), raised as :class:`~gapbayes.errors.GapbayesError` instead of printed.
"""

from __future__ import annotations

import argparse
import functools
import importlib
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from gapbayes.commands.argtypes import OneLineParser
from gapbayes.errors import GapbayesError, os_error_line


class RaisingParser(OneLineParser):
    """The CLI's parser, raising :class:`GapbayesError` where the CLI prints and exits."""

    def error(self, message: str) -> NoReturn:
        """Raise the CLI's one-line message as a :class:`GapbayesError`."""
        raise GapbayesError(" ".join(message.split()))


def to_argv(options: dict[str, Any], positional: Iterable[Any] = ()) -> list[str]:
    """Turn keyword arguments into command-line flags (``max_models=60`` -> ``--max-models=60``).

    None and False leave a flag out, True gives a bare switch, a list or tuple is joined by
    commas. ``--flag=value`` keeps a value that starts with ``-`` from reading as a flag;
    positional values come after ``--`` for the same reason.

    Examples
    --------
    >>> to_argv({"max_models": 60, "force": True, "out": None, "benchmarks": ["gpqa", "hle"]})
    ['--max-models=60', '--force', '--benchmarks=gpqa,hle']
    >>> to_argv({"kfold": "never"}, ["default", "published"])
    ['--kfold=never', '--', 'default', 'published']
    """
    argv = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif isinstance(value, list | tuple):
            argv.append(f"{flag}={','.join(str(v) for v in value)}")
        else:
            argv.append(f"{flag}={value}")
    positional = [str(p) for p in positional]
    return [*argv, "--", *positional] if positional else argv


def parse(command: str, options: dict[str, Any], positional: Iterable[Any] = ()
          ) -> argparse.Namespace:
    """Parse ``options`` with the parser of ``gapbayes <command>``.

    Examples
    --------
    >>> parse("fit", {"max_models": 60, "draws": 200}).draws
    200
    >>> parse("fit", {"draws": 0})
    Traceback (most recent call last):
    ...
    gapbayes.errors.GapbayesError: argument --draws: must be an integer >= 1, got '0'
    """
    parser = RaisingParser(prog="gapbayes")
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(f"gapbayes.commands.{command}").register(sub)
    return parser.parse_args([command, *to_argv(options, positional)])


def one_line_errors[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Report an operating-system error as the CLI does: one :class:`GapbayesError` line.

    A file that cannot be read or written (``--out`` on a read-only disk, a folder given as
    a file) then reads ``out/results: permission denied`` in a notebook as on the terminal.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            raise GapbayesError(os_error_line(exc)) from exc

    return wrapper
