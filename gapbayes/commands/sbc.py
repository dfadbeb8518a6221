"""``gapbayes sbc``: simulation-based calibration of a specification on a synthetic design.

Flags (``gapbayes sbc --help``)::

    --spec NAME|FILE        fitted spec (default: default)
    --simulate-spec NAME|FILE  spec the data are drawn from (default: the fitted one);
                            ``broken`` = gapbayes/sbc/broken.toml, which SBC must fail
    --backend B             pymc (nutpie, default), stan (CmdStan), mock, mock-prior,
                            mock-biased (conjugate normal model: checks the SBC machinery)
    --simulations N         number of simulated datasets (default 400)
    --n-models, --n-benchmarks, --n-linear, --eval-rate, --design-seed
                            the synthetic design (default: like the bundled data, below)
    --draws, --tune, --chains, --thin, --target-accept
                            per-fit sampling; ranks among L = chains * draws / thin draws
    --workers K             local worker processes (each compiles the model once)
    --cores C               chains run in parallel inside one fit
    --scheduler ADDRESS     run the fits on a Dask cluster (tcp://host:8786)
    --seed S                seeds simulations, fits and PIT jitter
    --out DIR               run folder (default results/sbc/<spec>-<id>/)
    --retry-failed          fit again the simulations recorded as failed
    --include-not-converged rank non-converged fits too (short-chain smoke runs)
    --extend-not-converged F  refit the fits that did not converge with F x the draws and
                            F x the thinning (same L), fresh seeds (gapbayes.sbc.extend);
                            refit those still not converged once more, as long, with
    --refit-target-accept A   NUTS target acceptance A (default 0.98)
    --report-only           only rewrite the report of an existing run folder
    --strict                exit with code 3 when SBC fails

Default design: 440 models and 16 benchmarks (one linear), eval rate 0.25: the size of the
16-benchmark tables (timeshift-v1, ``published``). The default spec's design on the bundled
data is larger: ``make sbc`` uses ``--n-benchmarks 38 --n-linear 2 --eval-rate 0.15``, which
the frontier design turns into 524 models (436 base models), 38 benchmarks and about 2,760
scores (the bundled data: 512 models, 382 base models, 38 benchmarks, 2,790 scores; the
synthetic design's eval_rate applies to the pairs a benchmark could test, models released from
a year before the benchmark appeared). Use ``--n-models 150 --n-benchmarks 10`` for a medium
check. Monitored quantities: every reported one (:mod:`gapbayes.sbc.frontier_quantities`).
The run folder holds sims/<i>.json (one per finished fit: rerunning resumes), ranks.csv,
tests.csv, ecdf.png, summary.json and summary.md.
"""

from __future__ import annotations

import argparse
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from gapbayes.commands.argtypes import (
    chain_count,
    nonnegative_int,
    open_unit,
    positive_int,
    unit_rate,
)
from gapbayes.commands.common import add_subcommand
from gapbayes.errors import EXIT_DIAGNOSTICS_FAILED, GapbayesError, InputError

if TYPE_CHECKING:
    from gapbayes.model.spec import Spec
    from gapbayes.sbc.runner import SBCProblem

SBC_SPECS = {"broken": "broken.toml",              # fits the default (frontier) spec
             "broken-timeshift-v1": "broken-timeshift-v1.toml"}


HELP = "simulation-based calibration of a spec on a synthetic design"
DESCRIPTION = """
Draw parameters and data from the prior, fit each dataset, and test that the ranks of the prior
draws among the posterior draws are uniform (Talts et al. 2018; joint log-likelihood quantity of
Modrak et al. 2023).
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sbc`` subcommand."""
    p = add_subcommand(sub, "sbc", help=HELP, description=DESCRIPTION, func=run)
    p.add_argument("--spec", default="default",
                   help="fitted spec, frontier or timeshift-v1 family (default: %(default)s)")
    p.add_argument("--simulate-spec",
                   help="spec to simulate from ('broken' = the shipped failing check); "
                        "may change priors only (default: the fitted spec)")
    p.add_argument("--backend", default="pymc",
                   choices=["pymc", "stan", "mock", "mock-prior", "mock-biased"],
                   help="pymc (nutpie, compiled once), stan, or a mock (default: %(default)s)")
    p.add_argument("--simulations", type=positive_int, default=400,
                   help="number of simulations (default: %(default)s; 400 detects a bias of "
                        "0.2 posterior sd)")
    g = p.add_argument_group("synthetic design (defaults: like the bundled data)")
    g.add_argument("--n-models", type=positive_int, default=440)
    g.add_argument("--n-benchmarks", type=positive_int, default=16)
    g.add_argument("--n-linear", type=nonnegative_int, default=1,
                   help="benchmarks with a linear link")
    g.add_argument("--eval-rate", type=unit_rate, default=0.25,
                   help="share of eligible pairs evaluated (default %(default)s)")
    g.add_argument("--design-seed", type=nonnegative_int, default=0)
    add_sampling_flags(p, chains=2, cores_help="cpu count / workers")
    p.add_argument("--workers", type=positive_int, default=1,
                   help="local worker processes (default %(default)s)")
    p.add_argument("--scheduler", help="Dask scheduler address: run the fits on that cluster")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="(default %(default)s)")
    p.add_argument("--out", type=Path, help="run folder (default results/sbc/<spec>-<id>/)")
    p.add_argument("--retry-failed", action="store_true",
                   help="fit again simulations recorded as failed")
    p.add_argument("--include-not-converged", action="store_true",
                   help="rank non-converged fits too (smoke runs with short chains)")
    p.add_argument("--extend-not-converged", type=positive_int, metavar="F",
                   help="after the run, refit the fits that did not converge with F times "
                        "the draws and the thinning (same L) and fresh seeds; then refit "
                        "those still not converged once more with --refit-target-accept")
    p.add_argument("--refit-target-accept", type=open_unit, metavar="A", default=0.98,
                   help="NUTS target acceptance of the second refit (default %(default)s)")
    add_report_flags(p, progress_help="no progress bar")


def add_report_flags(p: argparse.ArgumentParser, progress_help: str) -> None:
    """Add ``--report-only``, ``--no-progress`` and ``--strict`` of an SBC command."""
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the report of the existing run folder, fit nothing")
    p.add_argument("--no-progress", action="store_true", help=progress_help)
    p.add_argument("--strict", action="store_true", help="exit with code 3 when SBC fails")


def add_sampling_flags(p: argparse.ArgumentParser, chains: int, cores_help: str) -> None:
    """Add the per-fit sampling flags of an SBC command (``L = chains * draws / thin``)."""
    s = p.add_argument_group("sampling")
    s.add_argument("--draws", type=positive_int, default=500,
                   help="per chain (default %(default)s)")
    s.add_argument("--tune", type=nonnegative_int, default=500,
                   help="per chain (default %(default)s)")
    s.add_argument("--chains", type=chain_count, default=chains, help="(default %(default)s)")
    s.add_argument("--thin", type=positive_int, default=10,
                   help=f"keep every n-th draw for ranks (default %(default)s: "
                        f"L = {chains * 500 // 10})")
    s.add_argument("--target-accept", type=open_unit, default=0.9)
    s.add_argument("--cores", type=positive_int,
                   help=f"chains in parallel per fit (default: {cores_help})")


def load_simulate_spec(value: str) -> Spec:
    """Load ``--simulate-spec``: an SBC check spec (``broken``), shipped name or .toml path."""
    from gapbayes.model.spec import load_spec

    if value in SBC_SPECS:
        with resources.as_file(resources.files("gapbayes.sbc") / SBC_SPECS[value]) as path:
            return load_spec(path)
    return load_spec(value)


def build_problem(args: argparse.Namespace) -> SBCProblem:
    """Build the :class:`~gapbayes.sbc.runner.SBCProblem` the flags describe."""
    from gapbayes.model.families import family
    from gapbayes.model.frontier_simulate import frontier_design
    from gapbayes.model.simulate import synthetic_design
    from gapbayes.model.spec import load_spec
    from gapbayes.sbc.backends import ConjugateNormal, SBCSettings, stan_available
    from gapbayes.sbc.extend import check_target_accept
    from gapbayes.sbc.runner import SBCProblem, check_same_structure

    if args.extend_not_converged is not None and args.extend_not_converged < 2:
        raise GapbayesError("--extend-not-converged must be at least 2 "
                            f"(got {args.extend_not_converged})")
    if args.extend_not_converged is not None:
        check_target_accept(args.refit_target_accept, args.target_accept)
    cores = args.cores or max(1, (os.cpu_count() or 1) // max(1, args.workers))
    settings = SBCSettings(chains=args.chains, draws=args.draws, tune=args.tune,
                           thin=args.thin, target_accept=args.target_accept,
                           cores=min(cores, args.chains))
    if args.backend.startswith("mock"):
        return SBCProblem(args.backend, ConjugateNormal(), None, settings, seed=args.seed)
    if args.backend == "stan" and (reason := stan_available()):
        raise GapbayesError(f"the Stan backend cannot run: {reason}")
    spec = load_spec(args.spec)
    if spec.model == "frontier" and spec.switches.get("selection"):
        # the simulator draws scores on a fixed design; the selection term models the design
        # itself (which pairs are evaluated), so its ranks would not test it
        raise InputError("--spec", "SBC does not simulate the evaluation pattern, so it cannot "
                         "check the switch 'selection': switch it off, or run "
                         "'gapbayes sbc-selection'")
    sim = load_simulate_spec(args.simulate_spec) if args.simulate_spec else None
    if sim is not None:
        check_same_structure(spec, sim)
    info = {"n_models": args.n_models, "n_benchmarks": args.n_benchmarks,
            "n_linear": args.n_linear, "eval_rate": args.eval_rate,
            "design_seed": args.design_seed}
    make_design = frontier_design if spec.model == "frontier" else synthetic_design
    models, benchmarks, scores = make_design(
        n_models=args.n_models, n_benchmarks=args.n_benchmarks, n_linear=args.n_linear,
        eval_rate=args.eval_rate, seed=args.design_seed)
    try:
        data = family(spec).build_data(models, benchmarks, scores, spec)
    except ValueError as exc:
        raise GapbayesError(f"synthetic design is empty after the inclusion rule: {exc}; "
                            "raise --eval-rate or --n-models") from exc
    return SBCProblem(args.backend, data, spec, settings, seed=args.seed, simulate_spec=sim,
                      design_info=info)


def default_out(problem: SBCProblem) -> Path:
    """results/sbc/<spec>-<id>/ (``-from-<simulator>`` when the simulator differs)."""
    from gapbayes.paths import results_dir

    name = problem.spec.name if problem.spec else problem.backend_name
    if problem.simulate_spec is not None:
        name += f"-from-{problem.simulate_spec.name}"
    return results_dir() / "sbc" / f"{name}-{problem.problem_id}"


def extend(problem: SBCProblem, out: Path, args: argparse.Namespace) -> None:
    """Refit the run's non-converged fits ``--extend-not-converged`` times longer, twice.

    The second refit (of the fits the first did not fix) also raises the NUTS target
    acceptance to ``--refit-target-accept``.
    """
    from gapbayes.sbc.extend import extend_not_converged

    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    try:
        for attempt, target in ((1, None), (2, args.refit_target_accept)):
            info = extend_not_converged(problem, out, args.extend_not_converged,
                                        workers=args.workers, client=client,
                                        progress=not args.no_progress, attempt=attempt,
                                        target_accept=target)
            print(f"gapbayes sbc: refit {attempt}: {len(info.refitted)} non-converged fits "
                  f"refitted with {info.factor}x longer chains, target_accept "
                  f"{info.target_accept}, {len(info.still_not_converged)} still not "
                  f"converged ({info.seconds:.0f} s)")
    finally:
        if client is not None:
            client.close()


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the SBC and print its summary."""
    from gapbayes.sbc.report import summarise
    from gapbayes.sbc.runner import run_sbc

    problem = build_problem(args)
    out = args.out or default_out(problem)
    if not args.report_only:
        info = run_sbc(problem, args.simulations, out, workers=args.workers,
                       scheduler=args.scheduler, progress=not args.no_progress,
                       retry_failed=args.retry_failed)
        print(f"gapbayes sbc: {info.ran} fits run, {info.already_done} already in {out} "
              f"({info.seconds:.0f} s)")
        if args.extend_not_converged is not None:
            extend(problem, out, args)
    elif not (out / "sbc.json").exists():
        raise GapbayesError(f"{out}: no SBC run there to report on")
    summary = summarise(out, requested=args.simulations,
                        include_not_converged=args.include_not_converged)
    print((out / "summary.md").read_text(), end="")
    print(f"report: {out}")
    return EXIT_DIAGNOSTICS_FAILED if args.strict and not summary["passed"] else 0
