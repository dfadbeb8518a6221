"""The functions of the Python API: fit, load, latest, compare, sbc.

Each takes the settings of the matching ``gapbayes`` command as keyword arguments (``--max-models``
becomes ``max_models``), checks them with that command's parser, calls the same code and writes
the same result folder: ``gb.fit(max_models=60)`` and ``gapbayes fit --max-models 60`` share
one cached result. Progress goes to stderr (``verbose=False`` silences it); errors are
:class:`~gapbayes.errors.GapbayesError` with the CLI's one-line message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gapbayes.api.args import one_line_errors, parse
from gapbayes.api.result import Fit
from gapbayes.errors import GapbayesError

if TYPE_CHECKING:
    from gapbayes.api.runs import Comparison, SBCRun

PathLike = str | Path


def _log(verbose: bool) -> Callable[[str], None]:
    """Progress lines on stderr, so that a notebook cell's output (stdout) stays the result."""
    return (lambda line: print(line, file=sys.stderr)) if verbose else (lambda line: None)


@one_line_errors
def fit(spec: PathLike = "default", *, data: PathLike | None = None,
        benchmarks: Sequence[str] | None = None, max_models: int | None = None,
        backend: str = "pymc", sampler: str = "nutpie", chains: int | None = None,
        draws: int | None = None, tune: int | None = None,
        target_accept: float | None = None, adaptation: str | None = None,
        extra_doublings: int | None = None, seed: int = 0, cores: int = 2,
        out: PathLike | None = None, force: bool = False,
        plots: bool = True, progress: bool = True, verbose: bool = True) -> Fit:
    """Fit a model specification and return its result (``gapbayes fit``).

    A result folder made earlier with the same spec, data, backend and settings is reused
    (its checksums verified) unless ``force``.

    Parameters
    ----------
    spec
        Shipped spec name (``default``, ``published``, ``no-bias-terms``, ``timeshift-v1``)
        or the path of a spec ``.toml``.
    data
        Data folder holding ``tidy/`` (default: the bundled Epoch data).
    benchmarks
        Fit only these benchmark ids (still subject to the spec's inclusion rule).
    max_models
        Fit a random subset of this many models (quick runs; drawn with ``seed``).
    backend, sampler
        ``pymc`` (with the ``nutpie`` or ``pymc`` NUTS sampler) or ``stan`` (needs CmdStan).
    chains, draws, tune, target_accept, adaptation, extra_doublings
        Sampler settings; None takes the spec's ``[sampler]`` value.
    seed
        Random seed of the sampler and of the model subset.
    cores
        Chains run in parallel.
    out
        Results root (default ``./results``, env ``GAPBAYES_RESULTS``).
    force
        Refit even when a cached result exists.
    plots
        Also write the figures into the result's ``plots/`` folder.
    progress
        Show the sampler's progress bar.
    verbose
        Print progress lines (fitting, reusing, written to) on stderr.

    Returns
    -------
    Fit
        The result folder, read back.

    Raises
    ------
    GapbayesError
        A bad setting, spec or data folder (the CLI's message), or a result that cannot be
        written.

    Examples
    --------
    >>> import gapbayes as gb
    >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
    >>> fit.manifest["subset"]
    {'max_models': 60}
    >>> gb.fit(draws=0)
    Traceback (most recent call last):
    ...
    gapbayes.errors.GapbayesError: argument --draws: must be an integer >= 1, got '0'
    """
    from gapbayes.commands.common import fit_input, spec_fitter
    from gapbayes.inference.results import load_result
    from gapbayes.model.spec import load_spec

    args = parse("fit", {
        "spec": spec, "data": data, "benchmarks": benchmarks, "max_models": max_models,
        "backend": backend, "sampler": sampler, "chains": chains, "draws": draws,
        "tune": tune, "target_accept": target_accept, "adaptation": adaptation,
        "extra_doublings": extra_doublings, "seed": seed,
        "cores": cores, "out": out, "force": force, "no_plots": not plots,
        "no_progress": not progress})
    chosen = load_spec(args.spec)
    inp, subset = fit_input(args)
    result = spec_fitter(args, inp, subset, log=_log(verbose))(chosen)
    return Fit(load_result(result.path))


@one_line_errors
def load(path: PathLike) -> Fit:
    """Read a fit result folder (checksums verified).

    Parameters
    ----------
    path
        A folder written by ``gapbayes fit`` or :func:`fit`, e.g.
        ``results/epoch-default-1a2b3c4d``.

    Raises
    ------
    GapbayesError
        Not a result folder, not a fit, or a file changed since the fit.

    Examples
    --------
    >>> import gapbayes as gb
    >>> first = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
    >>> gb.load(first.path).manifest["fit_id"] == first.manifest["fit_id"]
    True
    >>> gb.load("no/such/folder")
    Traceback (most recent call last):
    ...
    gapbayes.errors.GapbayesError: no/such/folder: not a gapbayes result folder (no manifest.json)
    """
    from gapbayes.inference.results import load_result

    return Fit(load_result(path))


@one_line_errors
def latest(results: PathLike | None = None) -> Fit:
    """Read the newest fit result under a results root (what ``--latest`` picks).

    Parameters
    ----------
    results
        Results root (default ``./results``, env ``GAPBAYES_RESULTS``).

    Examples
    --------
    >>> import gapbayes as gb
    >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
    >>> gb.latest().path.parent == fit.path.parent
    True
    """
    from gapbayes.inference.results import latest_result, load_result
    from gapbayes.paths import results_dir

    root = Path(results) if results is not None else results_dir()
    return Fit(load_result(latest_result(root)))


@one_line_errors
def compare(*specs: PathLike | Fit, kfold: str = "never", cv: str = "loo", cv_folds: int = 10,
            cv_cutoff: str | None = None, workers: int = 1, scheduler: str | None = None,
            data: PathLike | None = None,
            benchmarks: Sequence[str] | None = None, max_models: int | None = None,
            backend: str = "pymc", sampler: str = "nutpie", chains: int | None = None,
            draws: int | None = None, tune: int | None = None,
            target_accept: float | None = None, seed: int = 0, cores: int = 2,
            out: PathLike | None = None, force: bool = False, plots: bool = True,
            progress: bool = True, verbose: bool = True) -> Comparison:
    """Fit (or reuse) two or more specs on the same data and compare them (``gapbayes compare``).

    PSIS-LOO on the score likelihood, elpd differences with standard errors, Pareto-k counts
    and stacking weights, and the gaps side by side; with ``kfold="auto"`` exact 5-fold CV
    replaces PSIS-LOO when a Pareto k is high (5 refits per spec).

    Parameters
    ----------
    *specs
        Spec names, spec ``.toml`` paths, result folders or :class:`Fit` objects; at least
        two.
    kfold
        ``"never"`` (default), ``"auto"`` or ``"always"``.
    cv, cv_folds, cv_cutoff, workers
        ``"loo"`` (PSIS-LOO, default), ``"lomo"`` (leave-one-model-out over ``cv_folds``
        folds of base models) or ``"lfo"`` (leave-future-out from ``cv_cutoff``,
        YYYY-MM-DD); exact refits, ``workers`` at a time.
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``): the refits run on that cluster.
    data, benchmarks, max_models, backend, sampler, chains, draws, tune, target_accept, \
seed, cores, out, force, plots, progress, verbose
        As in :func:`fit`, for the specs fitted here.

    Returns
    -------
    Comparison
        The comparison table, the gaps and the folder ``OUT/compare/<id>/`` it was written to.

    Examples
    --------
    >>> import gapbayes as gb
    >>> gb.compare("default")
    Traceback (most recent call last):
    ...
    gapbayes.errors.GapbayesError: gapbayes compare needs at least two different specs
    >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
    >>> cmp = gb.compare(fit, "no-bias-terms", max_models=60, chains=2, draws=100, tune=100,
    ...                  plots=False, progress=False)
    >>> sorted(cmp.table["spec"])
    ['default', 'no-bias-terms']
    >>> cmp.path.parent.name
    'compare'
    """
    from gapbayes.api.runs import run_compare

    names = [str(s.path) if isinstance(s, Fit) else str(s) for s in specs]
    if len(set(names)) < 2:
        raise GapbayesError("gapbayes compare needs at least two different specs")
    args = parse("compare", {
        "kfold": kfold, "cv": cv, "cv_folds": cv_folds, "cv_cutoff": cv_cutoff,
        "workers": workers, "scheduler": scheduler, "data": data, "benchmarks": benchmarks,
        "max_models": max_models,
        "backend": backend, "sampler": sampler, "chains": chains, "draws": draws,
        "tune": tune, "target_accept": target_accept, "seed": seed, "cores": cores,
        "out": out, "force": force, "no_plots": not plots, "no_progress": not progress},
        names)
    return run_compare(args, _log(verbose))


@one_line_errors
def sbc(spec: PathLike = "default", *, simulations: int = 400,
        simulate_spec: PathLike | None = None, backend: str = "pymc",
        n_models: int | None = None, n_benchmarks: int | None = None,
        n_linear: int | None = None, eval_rate: float | None = None,
        design_seed: int | None = None, draws: int | None = None, tune: int | None = None,
        chains: int | None = None, thin: int | None = None,
        target_accept: float | None = None, cores: int | None = None, workers: int = 1,
        seed: int = 0, out: PathLike | None = None, retry_failed: bool = False,
        include_not_converged: bool = False, progress: bool = True) -> SBCRun:
    """Run (or resume) simulation-based calibration of a spec (``gapbayes sbc``).

    Parameters
    ----------
    spec
        Fitted spec (frontier or timeshift-v1 family; default: ``default``).
    simulations
        Number of simulated datasets (400 detects a bias of 0.2 posterior sd).
    simulate_spec
        Spec the data are drawn from (default: ``spec``); ``"broken"`` is the shipped
        simulator that SBC must reject.
    backend
        ``pymc``, ``stan``, or ``mock`` / ``mock-prior`` / ``mock-biased`` (a conjugate
        normal model with a known answer: checks the SBC machinery in seconds).
    n_models, n_benchmarks, n_linear, eval_rate, design_seed
        The synthetic design (None: the CLI's defaults, like the bundled data).
    draws, tune, chains, thin, target_accept, cores
        Per-fit sampling (None: the CLI's defaults); ranks among
        ``chains * draws / thin`` draws.
    workers
        Local worker processes.
    seed
        Seeds simulations, fits and PIT jitter.
    out
        Run folder (default ``results/sbc/<spec>-<id>/``); an existing run is resumed.
    retry_failed, include_not_converged
        As the CLI's ``--retry-failed`` and ``--include-not-converged``.
    progress
        Show a progress bar.

    Returns
    -------
    SBCRun
        The run folder, its summary (``passed``...) and the uniformity tests.

    Examples
    --------
    >>> import gapbayes as gb
    >>> run = gb.sbc(backend="mock", simulations=40, out="sbc-mock", progress=False)
    >>> run.passed, run.summary["done"]
    (True, 40)
    >>> gb.sbc(backend="mock", eval_rate=1.5)
    Traceback (most recent call last):
    ...
    gapbayes.errors.GapbayesError: argument --eval-rate: must be in (0, 1], got '1.5'
    """
    from gapbayes.api.runs import run_sbc

    args = parse("sbc", {
        "spec": spec, "simulations": simulations, "simulate_spec": simulate_spec,
        "backend": backend, "n_models": n_models, "n_benchmarks": n_benchmarks,
        "n_linear": n_linear, "eval_rate": eval_rate, "design_seed": design_seed,
        "draws": draws, "tune": tune, "chains": chains, "thin": thin,
        "target_accept": target_accept, "cores": cores, "workers": workers, "seed": seed,
        "out": out, "retry_failed": retry_failed,
        "include_not_converged": include_not_converged, "no_progress": not progress})
    return run_sbc(args)
