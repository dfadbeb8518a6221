"""``gapbayes peers``: the peer estimators side by side, and next to a fit's posterior."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbayes import paths
from gapbayes.commands.argtypes import nonnegative_int
from gapbayes.commands.common import add_subcommand, log_stderr
from gapbayes.commands.select import add_result_arguments, chosen_result
from gapbayes.errors import GapbayesError

HELP = "threshold, ECI-style and censored estimates next to a fit's posterior"
DESCRIPTION = """
Print the threshold-crossing, ECI-style and censored (Kaplan-Meier) gap estimates at the last
month of the data and near 2025-01-20, and, for a fit result, its posterior gap at the same
dates. Peer results are read from results/baseline[-eci|-censored] when they were made from the
same data, otherwise computed now (not saved).
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``peers`` subcommand."""
    p = add_subcommand(sub, "peers", help=HELP, description=DESCRIPTION, func=run)
    add_result_arguments(p, "fit result (optional)")
    p.add_argument("--data", type=Path, default=None,
                   help="data folder holding tidy/ (default: the bundled data)")
    p.add_argument("--bootstrap", type=nonnegative_int, default=None, metavar="N",
                   help="bootstrap size for peers computed now (default: threshold 5000, "
                        "eci/censored 1000)")
    p.add_argument("--seed", type=nonnegative_int, default=0,
                   help="bootstrap seed for peers computed now (0)")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                   help="output format (default: %(default)s)")
    p.add_argument("--figure", type=Path, default=None, metavar="PATH",
                   help="also draw the gap over time, one line, band or point set per method "
                        "(.png or .svg)")


def _fit(args: argparse.Namespace):
    """Return the fit's posterior rows, its gap_over_time table and its data hash.

    (None, None, None) without a fit.
    """
    from gapbayes.baseline.peer_rows import posterior_rows
    from gapbayes.inference.results import load_result

    path = chosen_result(args, required=False)
    if path is None:
        return None, None, None
    if not path.is_dir():
        raise GapbayesError(f"{path}: no such result folder")
    loaded = load_result(path)
    table = loaded.tables.get("gap_at_dates")
    if table is None:
        raise GapbayesError(f"{path}: no gap_at_dates.csv in this result folder")
    return (posterior_rows(table, str(path)), loaded.tables.get("gap_over_time"),
            loaded.manifest.get("data", {}).get("hash"))


def run(args: argparse.Namespace) -> int:
    """Print the peer table (and the posterior rows of a fit); draw the figure if asked."""
    from gapbayes.baseline.inputs import load_inputs
    from gapbayes.baseline.peer_rows import format_rows
    from gapbayes.baseline.peers import collect_peers
    from gapbayes.baseline.peers_figure import SUFFIXES

    # Refuse a bad figure path before any fit is read or any estimate is computed.
    if args.figure is not None and args.figure.suffix not in SUFFIXES:
        raise GapbayesError(f"--figure {args.figure}: the file name must end in .png or .svg")
    fit_rows, over_time, fit_hash = _fit(args)
    data_dir = args.data if args.data is not None else paths.data_dir()
    scores, benchmarks, data_hash = load_inputs(data_dir)
    try:
        peers = collect_peers(scores, benchmarks, data_hash, paths.results_dir(),
                              n_bootstrap=args.bootstrap, seed=args.seed, log=log_stderr)
    except ValueError as exc:   # no fittable model, or no open / no closed model
        raise GapbayesError(f"{data_dir}: {exc}") from None
    notes = list(peers.notes)
    if fit_hash is not None and fit_hash != data_hash:
        notes.append(f"note: the fit used data {fit_hash}, the peers data {data_hash}")
    format_rows(peers.rows + (fit_rows or []), args.format, notes)
    if args.figure is not None:
        from gapbayes.baseline.peers_figure import make_peers_figure, save_peers_figure

        save_peers_figure(make_peers_figure(peers.curves, over_time), args.figure)
        log_stderr(f"figure written to {args.figure}")
    return 0
