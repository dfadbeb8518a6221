"""``gapbayes fit``: fit a model specification to tidy data and write a result folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbayes.errors import EXIT_DIAGNOSTICS_FAILED, GapbayesError
from gapbayes.paths import results_dir


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``fit`` subcommand."""
    p = sub.add_parser(
        "fit",
        help="fit a model specification (default: the default spec on the bundled data)",
        description="Fit a gapbayes specification. Writes results/<data>-<spec>-<id>/ with "
        "posterior.nc, summary CSVs, plots and manifest.json; re-running with the same inputs "
        "reuses the cached result unless --force.",
    )
    p.add_argument("--spec", default="default",
                   help="shipped spec name (see 'gapbayes specs') or path to a spec .toml "
                        "(default: %(default)s)")
    p.add_argument("--backend", choices=["pymc", "stan"], default="pymc",
                   help="pymc (default, works after pip install) or stan (needs CmdStan)")
    p.add_argument("--sampler", choices=["nutpie", "pymc"], default="nutpie",
                   help="NUTS implementation for the pymc backend (default: %(default)s)")
    p.add_argument("--chains", type=int, help="number of chains (default: from the spec, 4)")
    p.add_argument("--draws", type=int, help="draws per chain after tuning (spec default 1000)")
    p.add_argument("--tune", type=int, help="tuning steps per chain (spec default 1000)")
    p.add_argument("--target-accept", type=float, help="NUTS target acceptance (spec: 0.9)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--cores", type=int, default=2, help="parallel chains (default: %(default)s)")
    p.add_argument("--data", type=Path, help="data folder holding tidy/ (default: bundled data)")
    p.add_argument("--benchmarks", help="comma-separated benchmark ids: fit only these "
                                        "(still subject to the spec's inclusion rule)")
    p.add_argument("--max-models", type=int,
                   help="fit a random subset of this many models (quick runs)")
    p.add_argument("--out", type=Path, help="results root (default: results/)")
    p.add_argument("--force", action="store_true", help="refit even if a cached result exists")
    p.add_argument("--strict", action="store_true",
                   help="exit with code 3 when any diagnostic fails")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the fit and print the summary."""
    from gapbayes.commands.summary import print_summary
    from gapbayes.model.backends import SamplerSettings
    from gapbayes.model.fit import restrict, run_fit
    from gapbayes.model.inputs import load_fit_input
    from gapbayes.model.results import load_result
    from gapbayes.model.spec import load_spec

    spec = load_spec(args.spec)
    cfg = spec.sampler
    settings = SamplerSettings(
        chains=args.chains or cfg["chains"], draws=args.draws or cfg["draws"],
        tune=args.tune or cfg["tune"], seed=args.seed, cores=args.cores,
        target_accept=args.target_accept or cfg["target_accept"], sampler=args.sampler,
        progressbar=not args.no_progress,
    )
    inp = load_fit_input(args.data)
    benchmarks = args.benchmarks.split(",") if args.benchmarks else None
    subset = {k: v for k, v in {"benchmarks": benchmarks, "max_models": args.max_models}.items()
              if v}
    try:
        inp = restrict(inp, benchmarks, args.max_models, args.seed)
    except ValueError as exc:
        raise GapbayesError(str(exc)) from exc
    result = run_fit(inp, spec, backend=args.backend, settings=settings,
                     out_root=args.out or results_dir(), force=args.force, subset=subset,
                     make_plots=not args.no_plots,
                     baseline_dir=(args.out or results_dir()) / "baseline")
    loaded = load_result(result.path)
    print_summary(loaded, "text")
    if args.strict and not loaded.manifest["diagnostics"]["passed"]:
        return EXIT_DIAGNOSTICS_FAILED
    return 0
