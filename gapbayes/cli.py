"""The ``gapbayes`` command line.

Subcommands (``gapbayes <cmd> --help`` documents every flag)::

    data build|validate|import|info   tidy tables from the raw Epoch dump or your own data
    baseline                          threshold-crossing method; --method eci|censored peers
    fit                               fit a model specification (PyMC or Stan backend)
    summary                           gap table of a fit result
    plot                              figures of a fit result
    specs                             list the shipped model specifications
    compare                           PSIS-LOO comparison of specs, gaps side by side
    sensitivity                       the gap as bias-term priors vary
    report                            one-page self-contained HTML report of a fit
    sbc                               simulation-based calibration
    sbc-selection                     SBC of the selection switch on a fixed sampling frame
    study                             winner's-curse / provider-degradation / held-out studies
    peers                             threshold, ECI-style and censored gaps next to a posterior

Each subcommand lives in ``gapbayes.commands.<name>`` and exposes
``register(subparsers)``; the parser it adds sets ``func(args) -> int``.
Errors derived from :class:`gapbayes.errors.GapbayesError` are printed as one
line on stderr and mapped to their exit code (2 for bad input).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from gapbayes import __version__
from gapbayes.commands.argtypes import OneLineParser
from gapbayes.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, GapbayesError, os_error_line

COMMAND_MODULES = [
    "data", "baseline", "fit", "summary", "plot", "specs", "compare", "sensitivity", "report",
    "sbc", "sbc_selection", "study", "peers",
]


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every available subcommand registered."""
    parser = OneLineParser(
        prog="gapbayes",
        description="How many months open-weight AI models trail the closed frontier, "
        "as a calibrated posterior.",
    )
    parser.add_argument("--version", action="version", version=f"gapbayes {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"gapbayes.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"gapbayes.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the flush at exit cannot raise BrokenPipeError again.

    The reader of a pipe (``gapbayes specs | head -3``) chose to stop reading: that is not an
    error, so the command ends quietly with exit code 0.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):   # stdout without a file descriptor (captured)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the process exit code.

    Called without ``argv`` (a real command line), Ctrl-C is also guarded by the watchdog of
    :mod:`gapbayes.interrupt`: the process ends with code 130 within two seconds.
    """
    if argv is None:
        from gapbayes.interrupt import install_watchdog

        install_watchdog()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()   # a reader that went away (| head) shows here, not at exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except GapbayesError as exc:
        print(f"gapbayes: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:   # a path the user gave cannot be read or written
        print(f"gapbayes: error: {os_error_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("gapbayes: interrupted", file=sys.stderr)
        if argv is None:
            _exit_now(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED


def _exit_now(code: int) -> None:
    """End a command-line run at once, skipping the interpreter's shutdown.

    By now every result swap has finished or been rolled back and every staging folder has been
    removed (the exception unwound through them). What is left to tear down is a cancelled
    sampler: releasing it joins nutpie's chain threads while holding the GIL, which took 2-4 s
    on a loaded two-core machine and kept the watchdog thread from running.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
