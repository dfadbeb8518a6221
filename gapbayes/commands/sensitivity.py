"""``gapbayes sensitivity``: the gap as the bias-term prior scales vary and the terms switch off."""

from __future__ import annotations

import argparse

from gapbayes.commands import common

DEFAULT_GRID = "0.1,0.3,1.0"


def _grid(text: str) -> list[float]:
    """Parse '0.1,0.3,1.0' into positive floats (argparse reports the error)."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: '{text}'") \
            from exc
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"prior scales must be > 0: '{text}'")
    return values


HELP = "gap at the last data month as the bias-term priors vary"
DESCRIPTION = """
Refit the spec with the provider-degradation prior scale (priors.provider_penalty.sigma) and the
self-report prior scale (priors.self_report_offset.sigma) varied over a grid, one at a time, and
with each bias switch (provider_degradation, self_report) off; report the gap at the last data
month (overall/private/public, median and 90% ETI). Fits are cached like any 'gapbayes fit'.
Writes OUT/sensitivity/<id>/ (sensitivity.csv, sensitivity.png, manifest.json) atomically and
prints the table.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sensitivity`` subcommand."""
    p = common.add_subcommand(sub, "sensitivity", help=HELP, description=DESCRIPTION, func=run)
    p.add_argument("--grid", type=_grid, default=_grid(DEFAULT_GRID),
                   help=f"comma-separated prior scales (default: {DEFAULT_GRID})")
    p.add_argument("--spec", default="default",
                   help="base spec name or .toml path (default: %(default)s)")
    common.add_fit_arguments(p)
    common.add_format_argument(p)


def run(args: argparse.Namespace) -> int:
    """Fit (or reuse) every variant, write the study folder and print the table."""
    from gapbayes.comparison.sensitivity import run_sensitivity, sensitivity_manifest, study_id
    from gapbayes.model.spec import load_spec

    spec = load_spec(args.spec)
    fit = common.spec_fitter(args, *common.fit_input(args), log=common.log_stderr)
    result, fits = run_sensitivity(spec, args.grid, fit)
    folder = common.out_root(args) / "sensitivity" / study_id(result, fits)
    common.publish(result, sensitivity_manifest(result, fits), folder, args.format)
    return 0
