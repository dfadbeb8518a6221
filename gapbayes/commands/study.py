"""``gapbayes study``: validation studies (simulated worlds and held-out checks on real data)."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbayes.commands.argtypes import (
    chain_count,
    extra_doublings,
    finite_float,
    nonnegative_int,
    open_unit,
    positive_int,
)
from gapbayes.commands.common import add_command_group, add_subcommand
from gapbayes.errors import GapbayesError, InputError

#: ``gapbayes study misspecified --host``: worlds without and with host degradation.
HOST_SETTINGS = ("off", "on")


def _floats(text: str, flag: str, positive: bool = True) -> list[float]:
    """Parse a comma-separated list of numbers given to ``flag``."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise InputError(flag, f"expected comma-separated numbers, got '{text}'") from exc
    if not values or (positive and any(v <= 0 for v in values)):
        raise InputError(flag, f"expected numbers > 0, got '{text}'")
    return values


def _names(text: str, flag: str, allowed: tuple[str, ...]) -> list[str]:
    values = [v.strip() for v in text.split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if not values or bad:
        raise InputError(flag, f"expected a comma-separated subset of {', '.join(allowed)}")
    return values


def _subset_flag(p: argparse.ArgumentParser, flag: str, allowed: tuple[str, str],
                 what: str = "") -> None:
    """Add ``flag``: a comma-separated subset of ``allowed`` (all of them by default).

    The run checks the value with :func:`_names`.
    """
    p.add_argument(flag, default=",".join(allowed),
                   help=f"{what}{' and/or '.join(allowed)} (default: %(default)s)")


def _world_size_flags(p: argparse.ArgumentParser, n_models: int, n_benchmarks: int,
                      models: str = "models") -> None:
    """Add ``--n-models`` and ``--n-benchmarks``, the size of every simulated world."""
    p.add_argument("--n-models", type=positive_int, default=n_models,
                   help=f"{models} per world (default: %(default)s)")
    p.add_argument("--n-benchmarks", type=positive_int, default=n_benchmarks,
                   help="benchmarks per world (default: %(default)s)")


def _sampler_flags(p: argparse.ArgumentParser, draws: int) -> None:
    p.add_argument("--chains", type=chain_count, default=2,
                   help="chains per fit (default: %(default)s)")
    p.add_argument("--draws", type=positive_int, default=draws,
                   help="draws per chain (default: %(default)s)")
    p.add_argument("--tune", type=nonnegative_int, default=draws,
                   help="tuning steps per chain (default: %(default)s)")
    p.add_argument("--target-accept", type=open_unit, default=0.9,
                   help="NUTS target acceptance (default: %(default)s)")
    p.add_argument("--sampler", choices=["nutpie", "pymc"], default="nutpie",
                   help="NUTS implementation (default: %(default)s)")
    p.add_argument("--adaptation", choices=["diag", "low_rank", "pilot"], default="diag",
                   help="nutpie's mass-matrix adaptation; 'pilot' with --extra-doublings 1 and "
                        "--target-accept 0.95 is what a real fit of the default spec uses "
                        "(default: %(default)s)")
    p.add_argument("--extra-doublings", type=extra_doublings, default=0,
                   help="nutpie: trajectory doublings past the U-turn (default: %(default)s)")
    p.add_argument("--workers", type=positive_int, default=1,
                   help="parallel processes, one fit each; every fit then runs "
                        "max(1, CPUs / workers) chains in parallel (default: %(default)s)")
    p.add_argument("--seed", type=nonnegative_int, default=0,
                   help="base seed (default: %(default)s)")
    p.add_argument("--out", type=Path,
                   help="studies root (default: results/studies); the study writes "
                        "<out>/<study>-<id>/ and keeps finished fits in <out>/.work/")


def _sim_flags(p: argparse.ArgumentParser, ratios: str) -> None:
    p.add_argument("--replications", type=positive_int, default=4,
                   help="simulated worlds per cell (default: %(default)s)")
    p.add_argument("--ratios", default=ratios,
                   help="closed:open evaluation ratios, comma-separated (default: %(default)s)")
    p.add_argument("--noise", default="0.03",
                   help="measurement-noise levels: overdispersion sd at p = 0.5 on the "
                        "proportion scale, fixed in the world (default: %(default)s)")
    p.add_argument("--truth", choices=["constant", "time-varying"], default="constant",
                   help="constant gap (constant-gap spec) or a random-walk gap drawn from the "
                        "default spec (default: %(default)s)")
    p.add_argument("--true-gap", type=finite_float, default=6.0,
                   help="true mean gap in months (default: %(default)s)")
    _world_size_flags(p, n_models=200, n_benchmarks=12)
    _sampler_flags(p, draws=300)


HELP = ("validation studies: winners-curse, provider-degradation, heldout, misspecified; "
        "combine")
DESCRIPTION = """
Validation studies. Each writes results/studies/<study>-<id>/ atomically (table.csv, table.md,
figures, manifest.json) and is resumable: finished fits are kept under results/studies/.work/
and reused by a re-run.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``study`` command with its four studies and ``combine``."""
    studies = add_command_group(sub, "study", help=HELP, description=DESCRIPTION, dest="study",
                                metavar="STUDY")

    wc = add_subcommand(
        studies, "winners-curse", func=run_winners_curse,
        help="baseline vs model bias, RMSE and coverage in simulated worlds", description="""
        Simulate worlds with a known gap at several closed:open evaluation ratios and noise
        levels; score the threshold-crossing baseline (datapoint mean, bootstrap interval) and
        the model (posterior median, 90% ETI) against the truth.""")
    _sim_flags(wc, ratios="1,3,5")

    pd_ = add_subcommand(
        studies, "provider-degradation", func=run_provider,
        help="gap bias with a true provider penalty, fitted with and without the term",
        description="""
        Simulate worlds with a true penalty on third-party-served open-model scores; fit the
        default spec (with the term) and no-bias-terms (without); score the gap of each and of
        the baseline.""")
    _sim_flags(pd_, ratios="1")
    pd_.add_argument("--penalty", default="0.5",
                     help="true provider penalties in capability units, comma-separated "
                          "(default: %(default)s, about 3 months)")

    ho = add_subcommand(
        studies, "heldout", func=run_heldout,
        help="K-fold and leave-future-out predictive checks on the real scores", description="""
        Held-out predictive checks: K-fold over (model, benchmark) cells and leave-future-out
        at a release-date cut-off; the gap model against a simple IRT reference without time;
        coverage of 50%/90% predictive intervals and mean log predictive density per score.""")
    ho.add_argument("--spec", default="timeshift-v1",
                    help="spec to check, timeshift-v1 family (default: %(default)s)")
    ho.add_argument("--data", type=Path, help="data folder holding tidy/ (default: bundled)")
    ho.add_argument("--folds", type=positive_int, default=5,
                    help="K of K-fold (default: %(default)s)")
    ho.add_argument("--cutoff", default="2025-07-01",
                    help="leave-future-out cut-off release date (default: %(default)s)")
    # gapbayes.studies.heldout.PROTOCOLS and METHODS (not imported: keeps --help fast)
    _subset_flag(ho, "--protocols", ("kfold", "lfo"))
    _subset_flag(ho, "--methods", ("gapbayes", "irt"))
    _sampler_flags(ho, draws=400)
    _register_misspecified(studies)


def _register_misspecified(studies: argparse._SubParsersAction) -> None:
    ms = add_subcommand(
        studies, "misspecified", func=run_misspecified,
        help="baseline and model on independent worlds the model did not make", description="""
        Generate worlds with gapbayes.worlds (labs on S-curves with drifting lags, Student-t
        abilities, asymmetric benchmark curves, evaluation by capability and access, tuned open
        models, third-party hosts, self-reports) for each closed:open ratio and host degradation
        off/on; score the baseline, the default model and (host on) the model without the host
        term against the true gap at --dates.""")
    ms.add_argument("--worlds", type=positive_int, default=2,
                    help="worlds per setting (default: %(default)s; >= 30 for the real study)")
    ms.add_argument("--ratios", default="1,3,5,10",
                    help="closed:open evaluation ratios, comma-separated (default: %(default)s)")
    _subset_flag(ms, "--host", HOST_SETTINGS, "host degradation settings: ")
    ms.add_argument("--host-cost", type=finite_float, default=5.0,
                    help="points a third-party host costs when on, mean over hosts "
                         "(default: %(default)s)")
    _world_size_flags(ms, n_models=120, n_benchmarks=10, models="model releases")
    ms.add_argument("--dates", default="2023-01-01,2024-01-01,2025-01-01,2025-09-01",
                    help="dates the gap is scored at, inside the window 2022-06 to 2026-03 "
                         "(default: %(default)s)")
    ms.add_argument("--bootstrap", type=positive_int, default=500,
                    help="baseline bootstrap resamples (default: %(default)s)")
    ms.add_argument("--selection", action="store_true",
                    help="also fit the model with the selection term (switch selection) and "
                         "report its paired contrast with the default model")
    _sampler_flags(ms, draws=300)

    co = add_subcommand(
        studies, "combine", func=run_combine,
        help="join misspecified studies run at different ratios or host settings",
        description="""
        Join finished misspecified studies that differ only in their closed:open ratios, host
        settings or number of worlds (the same worlds, sampler, dates, seed, fitted specs and
        code) and score their per-world rows as one study: table, paired contrasts, per-date
        table and the bias-vs-ratio figure. Refused, with the first differing setting named,
        when anything else differs or a world is in two of them.""")
    co.add_argument("folders", nargs="+", type=Path, metavar="FOLDER",
                    help="study folders (misspecified-<id>/), two or more")
    co.add_argument("--out", type=Path,
                    help="studies root (default: results/studies); writes "
                         "<out>/misspecified-<id>/")


def _settings(args: argparse.Namespace):
    from gapbayes.inference.backends import SamplerSettings
    from gapbayes.studies.common import cores_per_task

    for flag in ("chains", "draws", "tune", "workers"):
        if getattr(args, flag) < 1:
            raise InputError(f"--{flag}", "must be >= 1")
    return SamplerSettings(
        chains=args.chains, draws=args.draws, tune=args.tune, seed=args.seed,
        cores=cores_per_task(args.workers, args.chains), target_accept=args.target_accept,
        sampler=args.sampler, adaptation=args.adaptation,
        extra_doublings=args.extra_doublings, progressbar=False)


def _root(args: argparse.Namespace) -> Path:
    from gapbayes.paths import results_dir

    return args.out or results_dir() / "studies"


def _design(args: argparse.Namespace):
    from gapbayes.studies.simstudy import Design

    if args.replications < 1 or args.n_models < 10 or args.n_benchmarks < 2:
        raise InputError("--replications/--n-models/--n-benchmarks",
                         "need >= 1 replication, >= 10 models, >= 2 benchmarks")
    return Design(n_models=args.n_models, n_benchmarks=args.n_benchmarks)


def run_winners_curse(args: argparse.Namespace) -> int:
    """Run the winner's-curse study and print its table."""
    from gapbayes.studies.simstudy import run_study
    from gapbayes.studies.winners_curse import winners_curse_study

    study = winners_curse_study(
        ratios=_floats(args.ratios, "--ratios"), noise=_floats(args.noise, "--noise"),
        replications=args.replications, truth=args.truth, true_gap=args.true_gap,
        design=_design(args), settings=_settings(args), seed=args.seed)
    folder = run_study(study, _root(args), workers=args.workers)
    print((folder / "table.md").read_text())
    return 0


def run_provider(args: argparse.Namespace) -> int:
    """Run the provider-degradation study and print its table."""
    from gapbayes.studies.provider import provider_study
    from gapbayes.studies.simstudy import run_study

    study = provider_study(
        penalties=_floats(args.penalty, "--penalty"), ratios=_floats(args.ratios, "--ratios"),
        noise=_floats(args.noise, "--noise"), replications=args.replications,
        truth=args.truth, true_gap=args.true_gap, design=_design(args),
        settings=_settings(args), seed=args.seed)
    folder = run_study(study, _root(args), workers=args.workers)
    print((folder / "table.md").read_text())
    return 0


def run_heldout(args: argparse.Namespace) -> int:
    """Run the held-out predictive checks and print their table."""
    import pandas as pd

    from gapbayes.inference.inputs import load_fit_input
    from gapbayes.model.spec import load_spec
    from gapbayes.studies.heldout import METHODS, PROTOCOLS
    from gapbayes.studies.heldout import run_heldout as run

    if args.folds < 2:
        raise InputError("--folds", "must be >= 2")
    try:
        pd.Timestamp(args.cutoff)
    except ValueError as exc:
        raise InputError("--cutoff", f"not a date: '{args.cutoff}'") from exc
    methods = _names(args.methods, "--methods", METHODS)
    protocols = _names(args.protocols, "--protocols", PROTOCOLS)
    spec = load_spec(args.spec)
    if spec.model != "timeshift-v1":
        raise GapbayesError(f"--spec {args.spec}: the held-out study runs on the timeshift-v1 "
                            f"family only so far, not on model '{spec.model}'")
    try:
        folder = run(load_fit_input(args.data), spec, _settings(args),
                     _root(args), k=args.folds, cutoff=args.cutoff, seed=args.seed,
                     workers=args.workers, methods=methods, protocols=protocols)
    except ValueError as exc:  # unsupported spec, a cut-off that leaves one side empty
        raise GapbayesError(str(exc)) from exc
    print((folder / "table.md").read_text())
    return 0


def run_misspecified(args: argparse.Namespace) -> int:
    """Run the misspecified study (independent worlds) and print its table."""
    from dataclasses import replace

    import pandas as pd

    from gapbayes.studies.misspecified import MisspecifiedStudy
    from gapbayes.studies.misspecified import run_misspecified as run
    from gapbayes.worlds import WorldConfig

    hosts = _names(args.host, "--host", HOST_SETTINGS)
    dates = [d.strip() for d in args.dates.split(",") if d.strip()]
    for d in dates:
        try:
            pd.Timestamp(d)
        except ValueError as exc:
            raise InputError("--dates", f"not a date: '{d}'") from exc
    if args.host_cost < 0:
        raise InputError("--host-cost", "must be >= 0 points")
    world = replace(WorldConfig(), n_models=args.n_models, n_benchmarks=args.n_benchmarks)
    study = MisspecifiedStudy(
        ratios=tuple(_floats(args.ratios, "--ratios")),
        hosts=tuple(h == "on" for h in hosts), worlds=args.worlds, world=world,
        host_cost=args.host_cost, settings=_settings(args), dates=tuple(dates),
        seed=args.seed, n_bootstrap=args.bootstrap, selection=args.selection)
    folder = run(study, _root(args), workers=args.workers)
    print((folder / "table.md").read_text())
    return 0


def run_combine(args: argparse.Namespace) -> int:
    """Join misspecified studies and print the joined table."""
    from gapbayes.studies.misspecified_combine import combine_studies

    folder = combine_studies(args.folders, _root(args))
    print((folder / "table.md").read_text())
    print(f"wrote {folder}")
    return 0
