"""``gapbayes report``: a self-contained one-page HTML report of a fit result."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbayes.commands.common import add_subcommand
from gapbayes.commands.select import add_result_arguments, chosen_result
from gapbayes.paths import results_dir

HELP = "one-page HTML report of a fit result"
DESCRIPTION = """
Write a self-contained HTML page (figures embedded, no scripts, opens offline): the gap by
access type in words, the gap over time and by category, the baseline next to the model, bias
terms, per-benchmark curves, diagnostics and provenance. Default output: RESULT/report.html.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    p = add_subcommand(sub, "report", help=HELP, description=DESCRIPTION, func=run)
    add_result_arguments(p)
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="output file, written atomically (default: RESULT/report.html)")
    p.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                   help="baseline result folder whose summary.json is compared with the model "
                        "(default: results/baseline beside the result, skipped when missing)")
    p.add_argument("--replot", action="store_true",
                   help="redraw the figures from posterior.nc even when RESULT/plots exists")


def default_baseline_dir(result: Path) -> Path:
    """``baseline/`` beside the result (where ``gapbayes fit`` looks), else under results/."""
    beside = result.resolve().parent / "baseline"
    return beside if (beside / "summary.json").is_file() else results_dir() / "baseline"


def run(args: argparse.Namespace) -> int:
    """Render the report of one result folder and write it."""
    from gapbayes.reporting.report import write_report

    path = chosen_result(args)
    explicit = args.baseline is not None
    baseline = args.baseline if explicit else default_baseline_dir(path)
    out = write_report(path, args.out, baseline, require_baseline=explicit, replot=args.replot)
    print(f"wrote {out}")
    return 0
