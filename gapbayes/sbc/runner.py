"""Run N simulations: serially, across local processes, or on a Dask cluster; resumable.

Every finished simulation is written at once to ``<out>/sims/<i>.json`` (atomic write), by
the coordinating process, so remote Dask workers need no shared file system. A rerun skips
every simulation that has a file, so an interrupted run loses at most the fits in flight,
and raising N later only fits the new simulations. Fits that raise, or that do not
converge (R-hat > 1.01 on a monitored quantity or any posterior variable, or any divergent
transition: the rule of a real fit), are
recorded with their reason and reported, never dropped silently.

``<out>/sbc.json`` records the run's configuration; resuming with a different one is an
error, so one folder never mixes ranks from different models or settings.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gapbayes.atomic import write_text
from gapbayes.errors import GapbayesError
from gapbayes.model.design import ModelData
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.spec import Spec
from gapbayes.sbc.backends import ConjugateNormal, SBCBackend, SBCSettings, make_backend
from gapbayes.sbc.ranks import ConjugateQuantities, GapQuantities, Quantities, rank_simulation
from gapbayes.sbc.simulate import (
    ConjugateNormalSimulator,
    PriorPredictiveSimulator,
    Simulation,
    Simulator,
)

STATUS_OK, STATUS_NOT_CONVERGED, STATUS_FAILED = "ok", "not_converged", "failed"
# a simulation rejected on its data alone (gapbayes/sbc/selection.py): not fitted, not ranked
STATUS_SKIPPED = "skipped"


@dataclass(frozen=True)
class SBCProblem:
    """Everything that defines an SBC run; picklable, so workers can rebuild it.

    Attributes
    ----------
    backend
        A name from :data:`gapbayes.sbc.backends.BACKENDS`, or a backend instance (tests).
    design
        :class:`ModelData` of the synthetic design (gap model) or a :class:`ConjugateNormal`.
    spec
        The fitted spec (None for the mock model).
    simulate_spec
        The simulator's spec; None means the fitted one (a correct SBC).
    settings
        Sampler and thinning settings.
    seed
        Seeds the simulations, the fits and the PIT jitter.
    design_info
        How the design was made (sizes, eval rate, design seed): recorded in the manifest.
    attempt
        0 for the run's own fits; k > 0 for refits with longer chains
        (:mod:`gapbayes.sbc.extend`), which get fresh seeds. Not part of :meth:`config`.
    """

    backend: str | SBCBackend
    design: ModelData | FrontierData | ConjugateNormal
    spec: Spec | None
    settings: SBCSettings
    seed: int = 0
    simulate_spec: Spec | None = None
    design_info: dict[str, Any] = field(default_factory=dict)
    attempt: int = 0

    @property
    def backend_name(self) -> str:
        """The backend's name (``pymc``, ``stan``, ``mock``...)."""
        return self.backend if isinstance(self.backend, str) else self.backend.name

    @property
    def sim_spec(self) -> Spec | None:
        """The spec the data are simulated from."""
        return self.simulate_spec or self.spec

    def config(self) -> dict[str, Any]:
        """Plain data identifying the run (the number of simulations is not part of it)."""
        from gapbayes.inference.results import fit_id

        if isinstance(self.design, ConjugateNormal):
            design: dict[str, Any] = {"conjugate_normal": vars(self.design)}
        else:
            d = self.design
            design = {"models": len(d.model_ids), "benchmarks": len(d.bench_ids),
                      "observations": len(d.y),
                      "hash": fit_id({"m": d.obs_model.tolist(), "b": d.obs_bench.tolist(),
                                      "t": np.round(_release_times(d), 9).tolist()})}
        return {
            "backend": self.backend_name,
            "spec": self.spec.as_dict() if self.spec else None,
            "spec_id": self.spec.spec_id if self.spec else None,
            "simulate_spec": self.sim_spec.as_dict() if self.sim_spec else None,
            "simulate_spec_id": self.sim_spec.spec_id if self.sim_spec else None,
            "design": {**self.design_info, **design},
            "settings": self.settings.as_dict(),
            "seed": self.seed,
        }

    @property
    def problem_id(self) -> str:
        """First 8 hex digits of sha256 over :meth:`config` and the gapbayes version."""
        from gapbayes import __version__
        from gapbayes.inference.results import fit_id

        return fit_id({"config": self.config(), "version": __version__})

    def fit_key(self) -> str:
        """Key of what a prepared backend depends on (not the simulator's spec nor the seed)."""
        from gapbayes.inference.results import fit_id

        cfg = self.config()
        return fit_id({k: cfg[k] for k in ("backend", "spec", "design", "settings")}) + (
            "" if isinstance(self.backend, str) else f"-{id(self.backend)}")

    def make_simulator(self) -> Simulator:
        """Return the prior-predictive simulator of this problem."""
        if isinstance(self.design, ConjugateNormal):
            return ConjugateNormalSimulator(self.design, self.seed)
        if self.sim_spec is None:
            raise ValueError("the gap model needs a spec")
        return PriorPredictiveSimulator(self.design, self.sim_spec, self.seed)

    def make_quantities(self) -> Quantities:
        """Return the monitored quantities (of the fitted model)."""
        if isinstance(self.design, ConjugateNormal):
            return ConjugateQuantities(self.design)
        if self.spec is None:
            raise ValueError("the gap model needs a spec")
        if isinstance(self.design, FrontierData):
            from gapbayes.sbc.frontier_quantities import FrontierQuantities

            return FrontierQuantities(self.design, self.spec)
        return GapQuantities(self.design, self.spec)

    def make_backend(self) -> SBCBackend:
        """Return the backend, prepared (compiled) for the design."""
        backend = (make_backend(self.backend, self.settings) if isinstance(self.backend, str)
                   else self.backend)
        backend.prepare(self.design, self.spec)
        return backend


def _release_times(d: ModelData | FrontierData) -> np.ndarray:
    """Release time of every model (the frontier design keeps them per base model)."""
    return d.base_time[d.model_base] if isinstance(d, FrontierData) else d.model_time


def check_same_structure(fit: Spec, sim: Spec) -> None:
    """Check that the simulator's spec changes priors only (not data, time, switches)."""
    for section in ("data", "time", "switches"):
        if getattr(fit, section) != getattr(sim, section):
            raise GapbayesError(
                f"--simulate-spec '{sim.name}' differs from '{fit.name}' in [{section}]; "
                "a simulator spec may only change [priors] (same model structure)")


def simulation_seed(seed: int, index: int, attempt: int = 0) -> int:
    """Return the fit seed of simulation ``index`` (independent of N and of work order).

    A refit (``attempt`` > 0) gets a seed of its own, so its chains share nothing with the
    attempt whose diagnostics asked for it.
    """
    key = [seed, index] if attempt == 0 else [seed, index, attempt]
    return int(np.random.SeedSequence(key).generate_state(1)[0])


# ---- worker side ---------------------------------------------------------------------------
# One prepared backend per (process, fit configuration): compiled once, reused by every
# simulation that process runs, including a broken-simulator run after a correct one.
_LIVE: dict[str, tuple[SBCBackend, Quantities]] = {}
_LIVE_LOCK = threading.Lock()


def _live(problem: SBCProblem) -> tuple[SBCBackend, Quantities]:
    key = problem.fit_key()
    with _LIVE_LOCK:
        if key not in _LIVE:
            _LIVE[key] = (problem.make_backend(), problem.make_quantities())
        return _LIVE[key]


def run_one(problem: SBCProblem, sim: Simulation) -> dict[str, Any]:
    """Fit one simulation and rank it; an exception in the fit becomes a ``failed`` record.

    Preparing the backend is outside the try: a model that does not compile is a
    configuration error for the whole run, not one failed simulation.
    """
    backend, quantities = _live(problem)
    seed = simulation_seed(problem.seed, sim.index, problem.attempt)
    rec: dict[str, Any] = {"index": sim.index, "seed": seed, "problem_id": problem.problem_id,
                           "backend": problem.backend_name}
    start = time.perf_counter()
    try:
        fit = backend.fit(sim.y, seed)
        rng = np.random.default_rng([problem.seed, sim.index, 1] + (
            [problem.attempt] if problem.attempt else []))
        ranked = rank_simulation(quantities, sim.prior, sim.y, fit,
                                 problem.settings.thin, rng)
    except Exception as exc:  # noqa: BLE001 - any fit error is recorded, never dropped
        rec.update(status=STATUS_FAILED, reason=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc(limit=5))
    else:
        converged = ranked.pop("converged")
        rec.update(status=STATUS_OK if converged else STATUS_NOT_CONVERGED, **ranked)
    rec["seconds"] = round(time.perf_counter() - start, 3)
    return rec


# ---- coordinator side ----------------------------------------------------------------------
def sim_path(out: Path, index: int) -> Path:
    """Where simulation ``index`` is stored."""
    return out / "sims" / f"{index}.json"


def load_records(out: Path) -> list[dict[str, Any]]:
    """Every stored simulation record of ``out``, by index."""
    files = sorted((out / "sims").glob("*.json"), key=lambda p: int(p.stem))
    return [json.loads(p.read_text()) for p in files]


def _write_manifest(problem: SBCProblem, out: Path) -> None:
    from gapbayes.inference.results import now_iso, versions

    path = out / "sbc.json"
    if path.exists():
        old = json.loads(path.read_text())
        if old.get("problem_id") != problem.problem_id:
            raise GapbayesError(
                f"{out} holds an SBC run of another configuration (id {old.get('problem_id')},"
                f" this one is {problem.problem_id}); use another --out folder")
        return
    write_text(path, json.dumps({
        "kind": "sbc", "problem_id": problem.problem_id, "created": now_iso(),
        "config": problem.config(), "quantities": problem.make_quantities().describe(),
        "versions": versions(),
    }, indent=2, default=str) + "\n")


def pending_indices(out: Path, n: int, retry_failed: bool = False) -> list[int]:
    """List simulations 0..n-1 without a stored record (or with a failed one, to retry)."""
    todo = []
    for i in range(n):
        p = sim_path(out, i)
        if not p.exists():
            todo.append(i)
        elif retry_failed and json.loads(p.read_text()).get("status") == STATUS_FAILED:
            todo.append(i)
    return todo


def _serial(problem: SBCProblem, sims: list[Simulation]) -> Iterator[dict[str, Any]]:
    for sim in sims:
        yield run_one(problem, sim)


def _processes(problem: SBCProblem, sims: list[Simulation], workers: int
               ) -> Iterator[dict[str, Any]]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: nutpie and PyTensor hold threads and locks a fork would copy mid-use.
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, problem, sim) for sim in sims]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _dask(problem: SBCProblem, sims: list[Simulation], client: Any
          ) -> Iterator[dict[str, Any]]:
    from distributed import as_completed

    # One copy of the problem (design arrays, spec) per worker instead of one per task.
    [shared] = client.scatter([problem], broadcast=True)
    futures = [client.submit(run_one, shared, sim, pure=False) for sim in sims]
    try:
        for fut in as_completed(futures):
            yield fut.result()
    except BaseException:
        client.cancel(futures)
        raise


def fit_simulations(problem: SBCProblem, sims: list[Simulation], workers: int = 1,
                    client: Any = None) -> Iterator[dict[str, Any]]:
    """Yield the record of each simulation as its fit finishes (any order).

    On the Dask ``client`` when given, else across ``workers`` local processes, else here.
    """
    if client is not None:
        return _dask(problem, sims, client)
    if workers > 1:
        return _processes(problem, sims, workers)
    return _serial(problem, sims)


@dataclass
class RunInfo:
    """What :func:`run_sbc` did."""

    out: Path
    requested: int
    already_done: int
    ran: int
    seconds: float
    records: list[dict[str, Any]] = field(default_factory=list)


def run_sbc(
    problem: SBCProblem,
    n: int,
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    progress: bool = True,
    retry_failed: bool = False,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> RunInfo:
    """Run simulations 0..n-1 of ``problem`` that ``out`` does not hold yet.

    Parameters
    ----------
    problem
        What to simulate and fit.
    n
        Total number of simulations wanted in ``out``.
    out
        Run folder (``sbc.json`` and ``sims/<i>.json``).
    workers
        Local worker processes (1: run in this process).
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``); overrides ``workers``.
    client
        An existing ``distributed.Client`` (e.g. on a LocalCluster); overrides both.
    progress
        Show a tqdm progress bar.
    retry_failed
        Run again the simulations whose stored record says ``failed``.
    on_record
        Called with each new record after it is written (tests use it to interrupt).

    Returns
    -------
    RunInfo
        Counts and timing of this call.
    """
    from tqdm.auto import tqdm

    out = Path(out)
    if problem.simulate_spec is not None and problem.spec is not None:
        check_same_structure(problem.spec, problem.simulate_spec)
    (out / "sims").mkdir(parents=True, exist_ok=True)
    _write_manifest(problem, out)
    todo = pending_indices(out, n, retry_failed)
    info = RunInfo(out, n, n - len(todo), len(todo), 0.0)
    if not todo:
        return info
    start = time.perf_counter()
    sims = problem.make_simulator().simulate(todo)
    own_client = None
    if client is None and scheduler:
        from distributed import Client

        client = own_client = Client(scheduler)
    results = fit_simulations(problem, sims, workers, client)
    bar = tqdm(total=len(todo), desc="SBC", unit="fit", disable=not progress)
    try:
        for rec in results:
            write_text(sim_path(out, rec["index"]), json.dumps(rec, indent=1) + "\n")
            info.records.append(rec)
            bar.update(1)
            bad = sum(r["status"] != STATUS_OK for r in info.records)
            bar.set_postfix(not_ok=bad, refresh=False)
            if on_record is not None:
                on_record(rec)
    finally:
        bar.close()
        if own_client is not None:
            own_client.close()
    info.seconds = time.perf_counter() - start
    return info

