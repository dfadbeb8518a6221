"""``gapbayes plot``: (re)draw the figures of a fit result."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbayes.commands.common import add_subcommand
from gapbayes.commands.select import add_result_arguments, chosen_result
from gapbayes.errors import GapbayesError
from gapbayes.paths import results_dir

FIGURES = (
    "gap_by_access (.png, .svg), gap_by_category (.png, .svg), gap_vector (.png, .svg: each "
    "category and benchmark at the last month), lab_lags (.png, .svg: each lab's lag behind the "
    "closed frontier, when the fit has lab lags), gap_forward_vs_backward, benchmark_curves, "
    "rank_plots, ppc"
)

HELP = "figures of a fit result"
DESCRIPTION = f"""
Draw the figures of a fit result ({FIGURES}). The output folder is replaced whole, so an
interrupted run leaves the previous figures intact.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand."""
    p = add_subcommand(sub, "plot", help=HELP, description=DESCRIPTION, func=run)
    add_result_arguments(p)
    p.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                   help="baseline result folder whose datapoints.csv is overlaid on the gap "
                        "figures (default: results/baseline, skipped when it does not exist)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="output folder, replaced atomically (default: RESULT/plots)")


def _baseline_points(folder: Path | None):
    """Read the baseline's datapoints, or None when the default folder has none.

    A folder given on the command line must have them (a typo should not pass silently).
    """
    from gapbayes.reporting.plots import BASELINE_FILE, load_baseline_points

    explicit = folder is not None
    folder = folder if explicit else results_dir() / "baseline"
    try:
        points = load_baseline_points(folder)
    except ValueError as exc:
        raise GapbayesError(str(exc)) from exc
    if points is None and explicit:
        raise GapbayesError(f"{folder}: no {BASELINE_FILE} (run 'gapbayes baseline' first or "
                            "leave out --baseline)")
    if points is None:
        print(f"note: no baseline datapoints at {folder / BASELINE_FILE}; the gap figures show "
              "the posterior only (run 'gapbayes baseline' to overlay them)")
    return points


def run(args: argparse.Namespace) -> int:
    """Load one result folder and (re)write its figures."""
    from gapbayes.atomic import staged_dir
    from gapbayes.inference.design_io import load_design
    from gapbayes.inference.results import load_result
    from gapbayes.reporting.plots import write_fit_plots

    path = chosen_result(args)
    loaded = load_result(path)
    if loaded.manifest.get("kind", "fit") != "fit":
        raise GapbayesError(f"{path}: not a fit result (kind '{loaded.manifest['kind']}')")
    for name in ("posterior.nc", "design.npz"):
        if not (path / name).is_file():
            raise GapbayesError(f"{path}: incomplete result folder (no {name})")
    points = _baseline_points(args.baseline)
    data = load_design(path / "design.npz")
    out = args.out if args.out is not None else path / "plots"
    if path.resolve().is_relative_to(out.resolve()):
        # The output folder is replaced whole: never let that take the result with it.
        raise GapbayesError(f"--out {out}: must not be the result folder or contain it")
    dt = loaded.posterior()
    try:
        with staged_dir(out) as tmp:
            written = write_fit_plots(tmp, dt, data, loaded.tables, points)
    finally:
        dt.close()
    for p in written:
        print(f"  wrote {out / p.name}")
    return 0
