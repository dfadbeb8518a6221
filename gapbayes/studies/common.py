"""Shared machinery of the studies: lean sampling, resumable parallel tasks, output files."""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes import atomic
from gapbayes.inference.backends import SamplerSettings
from gapbayes.inference.results import checksums, fit_id, now_iso, versions

#: Sub-folder of the studies root holding one JSON per finished replication or fit.
WORK_DIR = ".work"


def sample_posterior(model: Any, settings: SamplerSettings) -> xr.DataTree:
    """Sample ``model`` with NUTS and return the DataTree (posterior and sample_stats only).

    The fit backend (:class:`gapbayes.inference.backends.PyMCBackend`) also computes the pointwise
    log-likelihood and thinned posterior-predictive draws; a study needs neither and runs
    hundreds of fits, so this leaner twin skips them (same sampler call otherwise).

    Parameters
    ----------
    model
        A ``pymc.Model``.
    settings
        Chains, draws, tune, seed, cores, target acceptance, sampler (nutpie or pymc).

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` and ``sample_stats``.
    """
    import pymc as pm

    nuts = {"target_accept": settings.target_accept, "max_treedepth": settings.max_treedepth}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        dt = pm.sample(
            draws=settings.draws, tune=settings.tune, chains=settings.chains,
            cores=settings.cores, random_seed=settings.seed, nuts_sampler=settings.sampler,
            nuts=nuts, model=model, progressbar=settings.progressbar,
            compute_convergence_checks=False,
        )
    return dt


@contextlib.contextmanager
def quiet_pymc() -> Iterator[None]:
    """Silence PyMC's per-call INFO lines ("Sampling: [...]"): hundreds of them in a study."""
    # Child loggers may carry their own level, so each is set (as pymc's own quiet mode does).
    loggers = [logging.getLogger(n) for n in
               ("pymc", "pymc.sampling.forward", "pymc.sampling.mcmc", "pymc.stats.convergence")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def scalar_diagnostics(dt: xr.DataTree, draws: np.ndarray) -> dict[str, float]:
    """Divergences, R-hat and bulk ESS of one scalar quantity given as (chain, draw) draws."""
    import arviz as az

    ds = xr.Dataset({"q": (("chain", "draw"), np.asarray(draws, float))})
    stats = dt["sample_stats"]
    return {
        "divergences": int(stats["diverging"].values.sum()) if "diverging" in stats else 0,
        "rhat": float(az.rhat(ds)["q"]),
        "ess_bulk": float(az.ess(ds, method="bulk")["q"]),
    }


def eti(draws: np.ndarray, prob: float = 0.9) -> tuple[float, float, float]:
    """Median and equal-tailed ``prob`` interval of flat draws: (median, lo, hi)."""
    lo, hi = (1.0 - prob) / 2.0, 1.0 - (1.0 - prob) / 2.0
    q = np.quantile(np.asarray(draws, float).ravel(), [0.5, lo, hi])
    return float(q[0]), float(q[1]), float(q[2])


def study_id(config: dict[str, Any]) -> str:
    """Short content hash of everything that determines a study's numbers (and the version)."""
    return fit_id({"config": config, "gapbayes": versions()["gapbayes"]})


def _run_and_store(fn: Callable[[Any], dict], task: Any, path: str) -> dict:
    """Run one task in a worker and write its result JSON atomically before returning it.

    Written by the worker (not the parent) so that a finished replication is on disk even when
    the parent is interrupted while other workers are still busy.
    """
    return _store(path, fn(task))


def _store(path: str, result: dict) -> dict:
    """Write a task's result JSON atomically; return the result."""
    atomic.write_text(path, json.dumps(result, indent=1, default=_json_default) + "\n")
    return result


def _json_default(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def run_tasks(
    fn: Callable[[Any], dict],
    tasks: Sequence[Any],
    keys: Sequence[str],
    work_dir: Path,
    workers: int = 1,
    log: Callable[[str], None] = print,
    client: Any = None,
) -> tuple[list[dict], list[str]]:
    """Run ``fn`` on every task not already finished in ``work_dir``; resumable.

    Parameters
    ----------
    fn
        Top-level (picklable) function task -> JSON-ready dict.
    tasks, keys
        The tasks and their unique file-name-safe keys (``work_dir/<key>.json``).
    work_dir
        Folder of the per-task JSON files; existing files count as finished.
    workers
        Processes; 1 runs in this process (no pool: easier to debug, and what tests use).
    log
        Progress printer.
    client
        A ``distributed.Client``: run the tasks on its Dask cluster instead (overrides
        ``workers``). Results come back here and are written by this process, so the
        cluster's workers need not share ``work_dir``'s disk.

    Returns
    -------
    (results, failed)
        Results of every finished task in task order, and the keys of tasks that raised (their
        error is logged; a re-run retries them).
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    done: dict[str, dict] = {}
    todo = []
    for task, key in zip(tasks, keys, strict=True):
        path = work_dir / f"{key}.json"
        if path.is_file():
            done[key] = json.loads(path.read_text())
        else:
            todo.append((task, key, str(path)))
    if done:
        log(f"resuming: {len(done)} of {len(tasks)} tasks already finished in {work_dir}")
    failed: list[str] = []
    start = time.perf_counter()

    def finished(key: str, n: int) -> None:
        log(f"  [{n}/{len(todo)}] {key} done ({time.perf_counter() - start:.0f} s elapsed)")

    if client is not None and todo:
        _run_on_dask(client, fn, todo, done, failed, finished, log)
    elif workers <= 1 or len(todo) <= 1:
        for n, (task, key, path) in enumerate(todo, 1):
            try:
                done[key] = _run_and_store(fn, task, path)
                finished(key, n)
            except Exception as exc:  # noqa: BLE001 - one failed world must not stop a study
                log(f"  {key} FAILED: {type(exc).__name__}: {exc}")
                failed.append(key)
    else:
        # spawn, not fork: the parent may hold PyTensor/numba state and threads.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(_run_and_store, fn, t, p): k for t, k, p in todo}
            for n, fut in enumerate(as_completed(futures), 1):
                key = futures[fut]
                try:
                    done[key] = fut.result()
                    finished(key, n)
                except Exception as exc:  # noqa: BLE001
                    log(f"  {key} FAILED: {type(exc).__name__}: {exc}")
                    failed.append(key)
    return [done[k] for k in keys if k in done], failed


def _run_on_dask(client: Any, fn: Callable[[Any], dict], todo: list[tuple[Any, str, str]],
                 done: dict[str, dict], failed: list[str], finished: Callable[[str, int], None],
                 log: Callable[[str], None]) -> None:
    """Submit every task to the Dask ``client``; store each result here as it arrives."""
    from distributed import as_completed as dask_completed

    futures = {client.submit(fn, task, pure=False): (key, path) for task, key, path in todo}
    try:
        for n, fut in enumerate(dask_completed(list(futures)), 1):
            key, path = futures[fut]
            try:
                done[key] = _store(path, fut.result())
                finished(key, n)
            except Exception as exc:  # noqa: BLE001 - one failed task must not stop the others
                log(f"  {key} FAILED: {type(exc).__name__}: {exc}")
                failed.append(key)
    except BaseException:
        client.cancel(list(futures))
        raise


def run_keyed_tasks(
    fn: Callable[[Any], dict],
    tasks: Sequence[Any],
    work_dir: Path,
    workers: int,
    log: Callable[[str], None],
    what: str,
) -> tuple[list[dict], list[str], float]:
    """Run the tasks (each with a ``key``) by :func:`run_tasks`, timed; refuse a total failure.

    Parameters
    ----------
    fn, tasks, work_dir, workers, log
        As for :func:`run_tasks`; the keys are the tasks' ``key`` attributes.
    what
        Names the tasks in the error when none finished (``"every held-out fit"``).

    Returns
    -------
    (results, failed, elapsed)
        As :func:`run_tasks`, plus the wall time of this run in seconds.

    Raises
    ------
    RuntimeError
        No task finished (a study cannot summarise nothing).
    """
    start = time.perf_counter()
    results, failed = run_tasks(fn, tasks, [t.key for t in tasks], work_dir, workers, log)
    elapsed = time.perf_counter() - start
    if not results:
        raise RuntimeError(f"{what} failed; see the log above")
    return results, failed, elapsed


def run_study_tasks(
    study: Any,
    name: str,
    fn: Callable[[Any], dict],
    root: Path,
    workers: int,
    log: Callable[[str], None],
    plan: str,
    what: str,
) -> tuple[Path, list[dict], list[str], float]:
    """Run a simulation study's tasks in its work folder (:func:`run_keyed_tasks`).

    Parameters
    ----------
    study
        Has ``task_config()`` (what the tasks' results depend on: names the work folder) and
        ``tasks()``.
    name
        The study's name, first in the work folder's name and in the messages.
    fn, root, workers, log
        Task function, studies root, processes and progress printer.
    plan
        What is run, for the opening log line (``"3 cells x 4 replications"``).
    what
        Names the tasks in the error when none finished (``"every replication"``).

    Returns
    -------
    (work, results, failed, elapsed)
        The work folder, then as :func:`run_keyed_tasks`.
    """
    work = root / WORK_DIR / f"{name}-{study_id(study.task_config())}"
    log(f"{name}: {plan}; work folder {work}")
    results, failed, elapsed = run_keyed_tasks(fn, study.tasks(), work, workers, log,
                                               f"{name}: {what}")
    return work, results, failed, elapsed


def cores_per_task(workers: int, chains: int) -> int:
    """Parallel chains per fit so that ``workers`` fits together use at most the CPU count."""
    n_cpu = os.cpu_count() or 1
    return max(1, min(chains, n_cpu // max(1, workers)))


def markdown_table(df: pd.DataFrame, digits: int = 3) -> str:
    """Render ``df`` as a GitHub markdown table (floats rounded to ``digits`` significant)."""

    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return "" if not np.isfinite(v) else f"{v:.{digits}g}"
        return str(v)

    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_study_folder(
    final: Path,
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    figures: Callable[[Path], list[str]] | None = None,
    markdown: str | None = None,
) -> Path:
    """Write a study folder atomically: CSV tables, ``table.md``, figures, ``manifest.json``.

    Parameters
    ----------
    final
        The folder (replaced whole, or left untouched when anything fails).
    tables
        name -> table, written as ``<name>.csv``.
    manifest
        JSON-ready provenance; ``files`` and ``checksums`` (sha256 of each file) are filled
        in here.
    figures
        Called with the staged folder; returns the file names it wrote.
    markdown
        Text of ``table.md``.
    """
    with atomic.staged_dir(final) as tmp:
        files = []
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")
            files.append(f"{name}.csv")
        if markdown is not None:
            (tmp / "table.md").write_text(markdown, encoding="utf-8")
            files.append("table.md")
        if figures is not None:
            files.extend(figures(tmp))
        manifest = {**manifest, "files": sorted(files), "checksums": checksums(tmp)}
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return final


def base_manifest(kind: str, sid: str, config: dict[str, Any]) -> dict[str, Any]:
    """Return the provenance block every study manifest starts with."""
    return {"kind": kind, "study_id": sid, "created": now_iso(), "config": config,
            "versions": versions()}


def dask_client(address: str | None, refits: bool = True) -> Any:
    """Connect to the Dask scheduler at ``address`` for ``--scheduler``; None without one.

    Parameters
    ----------
    address
        Scheduler address (``tcp://host:8786``), or None/empty for no cluster.
    refits
        Whether the run has refits to distribute; a ``--scheduler`` without any is refused.

    Raises
    ------
    GapbayesError
        No refits to distribute, ``distributed`` missing, or no scheduler answers at
        ``address`` within 10 seconds (one line naming the flag).
    """
    from gapbayes.errors import GapbayesError

    if not address:
        return None
    if not refits:
        raise GapbayesError("argument --scheduler: there are no refits to distribute; use it "
                            "with --cv lomo|lfo or --kfold auto|always")
    try:
        from distributed import Client
    except ImportError as exc:
        raise GapbayesError("argument --scheduler: needs the 'distributed' package "
                            "(pip install distributed)") from exc
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise GapbayesError(f"argument --scheduler: no Dask scheduler answers at '{address}' "
                            f"({reason})") from exc
