"""``gapbayes baseline``: the published threshold method and the peer estimators on the tidy tables.

``--method threshold`` (default) is the published threshold-crossing method; ``eci`` the
ECI-style running-best gap and ``censored`` the censored time-to-match, both on abilities from
one item-response fit (``gapbayes/baseline/abilities.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbayes import paths
from gapbayes.commands.argtypes import nonnegative_int, positive_float, positive_int
from gapbayes.commands.common import add_subcommand
from gapbayes.errors import InputError

METHODS = ("threshold", "eci", "censored")
#: Flags that only the threshold method reads: refused with another method, not ignored.
THRESHOLD_ONLY = ("sigma_days", "no_figure")
ABILITY_ONLY = ("min_benchmarks",)


HELP = "the published threshold-crossing method (Ihle 2026) and the peer estimators"
DESCRIPTION = """
Re-implementation of the published threshold-crossing estimate of how many months open-weight
models trail closed ones (docs/methods.md section 1; writes datapoints.csv, curves.csv,
crossings.csv, summary.json and gap.png/.svg), or, with --method eci / censored, the ECI-style
running-best gap (curve.csv, abilities.csv, benchmarks.csv, summary.json) or the censored
time-to-match (levels.csv, km.csv, summary.json).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``baseline`` subcommand to ``subparsers``."""
    p = add_subcommand(subparsers, "baseline", help=HELP, description=DESCRIPTION, func=run)
    p.add_argument("--method", choices=METHODS, default="threshold",
                   help="threshold (default: the published method), eci (ECI-style gap between "
                        "the running-best ability curves, backward-looking) or censored "
                        "(Kaplan-Meier time until open models match closed frontier levels, "
                        "forward-looking)")
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
        help="output folder, replaced atomically (default: results/baseline, "
        "results/baseline-eci or results/baseline-censored; '-chinese' appended with "
        "--chinese-only)",
    )
    p.add_argument(
        "--chinese-only",
        action="store_true",
        help="restrict open models to Chinese developers (closed models unchanged)",
    )
    p.add_argument(
        "--bootstrap", type=nonnegative_int, default=None, metavar="N",
        help="bootstrap resamples (threshold 5000, eci/censored 1000 benchmark resamples; "
             "0 skips the intervals)"
    )
    p.add_argument("--sigma-days", type=positive_float, default=None,
                   help="threshold: Gaussian kernel sd in days (60)")
    p.add_argument("--min-benchmarks", type=positive_int, default=None,
                   help="eci/censored: scores a model needs to get an ability (3)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="bootstrap seed (0)")
    p.add_argument("--no-figure", action="store_true",
                   help="threshold: do not draw gap.png / gap.svg")


def _check_flags(args: argparse.Namespace) -> None:
    """Refuse a flag that the chosen method would silently ignore."""
    wrong = THRESHOLD_ONLY if args.method != "threshold" else ABILITY_ONLY
    for name in wrong:
        if getattr(args, name) not in (None, False):
            flag = "--" + name.replace("_", "-")
            raise InputError(flag, f"does not apply to --method {args.method}")


def default_out(method: str, chinese_only: bool) -> Path:
    """Return the default result folder of ``method`` under the results root."""
    name = "baseline" if method == "threshold" else f"baseline-{method}"
    return paths.results_dir() / (name + ("-chinese" if chinese_only else ""))


def run(args: argparse.Namespace) -> int:
    """Run the chosen method, write its result folder and print its summary."""
    from gapbayes.baseline.inputs import load_inputs

    _check_flags(args)
    data_dir = args.data if args.data is not None else paths.data_dir()
    out = args.out if args.out is not None else default_out(args.method, args.chinese_only)
    scores, benchmarks, data_hash = load_inputs(data_dir)
    extra = {"data_dir": str(data_dir), "data_hash": data_hash}
    if args.method == "threshold":
        _run_threshold(args, scores, benchmarks, data_dir, out, extra)
    else:
        _run_ability_method(args, scores, benchmarks, data_dir, out, extra)
    print(f"  wrote {out}")
    return 0


def _run_threshold(args, scores, benchmarks, data_dir, out, extra) -> None:
    from gapbayes.baseline.run import (
        format_summary,
        run_baseline,
        uses_every_benchmark,
        write_outputs,
    )

    which = "published"
    if uses_every_benchmark(benchmarks):
        which = "fitted"
        print(f"note: no benchmark of {data_dir} is flagged published (an imported table?): "
              f"the threshold method runs on all {len(benchmarks)} of them")
    result = run_baseline(
        scores,
        benchmarks,
        chinese_only=args.chinese_only,
        n_bootstrap=5000 if args.bootstrap is None else args.bootstrap,
        sigma_days=60.0 if args.sigma_days is None else args.sigma_days,
        seed=args.seed,
    )
    if result.datapoints.empty:
        raise InputError(
            str(data_dir),
            "no threshold is crossed by both a closed and an open "
            f"model on the {which} benchmarks; nothing to estimate",
        )
    write_outputs(result, out, figure=not args.no_figure, extra_summary=extra)
    print(format_summary(result))


def _run_ability_method(args, scores, benchmarks, data_dir, out, extra) -> None:
    from gapbayes.baseline.abilities import (
        DEFAULT_BOOTSTRAP,
        DEFAULT_MIN_BENCHMARKS,
        sample_abilities,
    )
    from gapbayes.baseline.censored import run_censored, write_censored_outputs
    from gapbayes.baseline.eci import run_eci, write_eci_outputs
    from gapbayes.baseline.peer_rows import censored_lines, eci_lines

    n_boot = DEFAULT_BOOTSTRAP if args.bootstrap is None else args.bootstrap
    min_b = DEFAULT_MIN_BENCHMARKS if args.min_benchmarks is None else args.min_benchmarks
    try:
        sample = sample_abilities(scores, benchmarks, n_boot, args.seed, min_b)
        if args.method == "eci":
            result = run_eci(sample, chinese_only=args.chinese_only)
        else:
            result = run_censored(sample, chinese_only=args.chinese_only)
    except ValueError as exc:   # no fittable model, or no open / no closed model
        raise InputError(str(data_dir), f"{exc}; nothing to estimate") from None
    if args.method == "eci":
        write_eci_outputs(result, out, extra_summary=extra)
        print("\n".join(eci_lines(result.summary)))
    else:
        write_censored_outputs(result, out, extra_summary=extra)
        print("\n".join(censored_lines(result.summary)))
