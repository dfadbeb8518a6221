"""``gapbayes baseline``: the published threshold-crossing method on the tidy tables."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbayes import paths
from gapbayes.commands.argtypes import nonnegative_int, positive_float
from gapbayes.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``baseline`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "baseline",
        help="the published threshold-crossing method (Ihle 2026)",
        description="Re-implementation of the published threshold-crossing estimate of how "
        "many months open-weight models trail closed ones (docs/methods.md section 1). "
        "Writes datapoints.csv, curves.csv, crossings.csv, summary.json and gap.png/.svg.",
    )
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data folder holding tidy/ (default: the bundled data, env GAPBAYES_DATA)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder, replaced atomically (default: results/baseline, or "
        "results/baseline-chinese with --chinese-only)",
    )
    p.add_argument(
        "--chinese-only",
        action="store_true",
        help="restrict open models to Chinese developers (closed models unchanged)",
    )
    p.add_argument(
        "--bootstrap", type=nonnegative_int, default=5000, metavar="N",
        help="bootstrap resamples (5000; 0 skips the intervals)"
    )
    p.add_argument("--sigma-days", type=positive_float, default=60.0,
                   help="Gaussian kernel sd in days (60)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="bootstrap seed (0)")
    p.add_argument("--no-figure", action="store_true", help="do not draw gap.png / gap.svg")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the baseline, write the result folder and print the summary."""
    from gapbayes.baseline.inputs import load_inputs
    from gapbayes.baseline.run import format_summary, run_baseline, write_outputs

    if args.bootstrap < 0:
        raise InputError("--bootstrap", "must be >= 0")
    if not args.sigma_days > 0:
        raise InputError("--sigma-days", "must be > 0")
    data_dir = args.data if args.data is not None else paths.data_dir()
    out = args.out
    if out is None:
        name = "baseline-chinese" if args.chinese_only else "baseline"
        out = paths.results_dir() / name
    scores, benchmarks, data_hash = load_inputs(data_dir)
    result = run_baseline(
        scores,
        benchmarks,
        chinese_only=args.chinese_only,
        n_bootstrap=args.bootstrap,
        sigma_days=args.sigma_days,
        seed=args.seed,
    )
    if result.datapoints.empty:
        raise InputError(
            str(data_dir),
            "no threshold is crossed by both a closed and an open "
            "model on the published benchmarks; nothing to estimate",
        )
    write_outputs(
        result,
        out,
        figure=not args.no_figure,
        extra_summary={"data_dir": str(data_dir), "data_hash": data_hash},
    )
    print(format_summary(result))
    print(f"  wrote {out}")
    return 0
