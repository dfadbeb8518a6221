"""Which result a reading command works on: a folder, or ``--latest`` under a results root."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbayes.errors import GapbayesError
from gapbayes.paths import results_dir


def add_result_arguments(p: argparse.ArgumentParser, what: str = "result") -> None:
    """Add ``result``, ``--latest`` and ``--results`` (the root ``--latest`` searches)."""
    p.add_argument("result", nargs="?", type=Path, help=f"{what} folder")
    p.add_argument("--latest", action="store_true",
                   help="use the newest result under the results root (see --results)")
    p.add_argument("--results", type=Path, default=None, metavar="DIR",
                   help="results root that --latest searches, e.g. a fit's --out folder "
                        "(default: ./results, env GAPBAYES_RESULTS)")


def chosen_result(args: argparse.Namespace, required: bool = True) -> Path | None:
    """Return the result folder the arguments name (None when optional and not given).

    Raises
    ------
    GapbayesError
        Neither or both of a folder and ``--latest``; ``--results`` without ``--latest``.
    """
    from gapbayes.inference.results import latest_result

    if args.result is not None and args.latest:
        raise GapbayesError("give either a result folder or --latest, not both")
    if args.results is not None and not args.latest:
        raise GapbayesError("--results only tells --latest where to search; add --latest")
    if args.result is None and not args.latest:
        if required:
            raise GapbayesError("give a result folder or --latest")
        return None
    if args.result is not None:
        return args.result
    return latest_result(args.results if args.results is not None else results_dir())
