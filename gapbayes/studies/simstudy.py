"""Replication engine of the simulation studies (winner's curse, provider degradation).

One replication = one simulated world with a known gap:

1. a design from :func:`gapbayes.model.simulate.synthetic_design` (closed:open evaluation
   ratio = the winner's-curse lever);
2. scores drawn from the model itself (:func:`gapbayes.model.simulate.simulate_world`) with
   the gap fixed through ``pm.do``: ``gap_mean`` = the true gap, ``public_offset``,
   ``category_sd``, ``benchmark_gap_sd`` and ``self_report_offset`` = 0, ``provider_penalty``
   = the cell's penalty (0 in the winner's-curse study), and the **measurement noise fixed**
   by setting ``noise_z`` so that every sigmoid benchmark's overdispersion sd at p = 0.5 equals
   the cell's noise level: noise_z = (log(noise) - mu) / sigma with (mu, sigma) the spec's
   ``noise_log_sd`` prior. This leaves the spec (and hence the fitted prior) unchanged: the fit
   still has to learn the noise; the level is a property of the world only. On top of it come
   the design's binomial item noise (n_items) and the 0.005 reporting floor, as in real data.
   With ``truth = "time-varying"`` the world comes from the default spec with ``gap_rw_sd``
   fixed and the gap's random walk drawn from its prior;
3. the estimand: the true gap averaged over the report months and over benchmarks,
   mean_t D(t) + mean_b offset_b (= ``gap_mean`` in a constant-gap world);
4. estimates: the **baseline** (threshold crossing, :func:`gapbayes.baseline.run.run_baseline`
   without smoothing): the mean of its datapoints' gaps, 90% interval = percentile bootstrap of
   that mean over datapoints; each **model** fit: posterior median of the same average of the
   posterior gap, 90% equal-tailed interval.

Per cell the summary gives bias (+ Monte Carlo se), RMSE, 90% coverage (+ se), mean interval
width and, for model fits, how many fits had divergences and the worst R-hat of the estimand.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.inference.backends import SamplerSettings
from gapbayes.inference.results import code_fingerprint
from gapbayes.model.design import ModelData, build_model_data, years_since
from gapbayes.model.spec import Spec, load_spec
from gapbayes.studies import common

FitFn = Callable[[ModelData, Spec, SamplerSettings], Any]
TRUTHS = ("constant", "time-varying")


@dataclass(frozen=True)
class Design:
    """Size of the simulated worlds (passed to ``synthetic_design``).

    Attributes
    ----------
    n_models, n_benchmarks, eval_rate
        Models and benchmarks per world; the mean probability that an eligible (model,
        benchmark) pair is evaluated.
    n_linear
        Linear-link benchmarks, none by default: simulated linear scores are standardised
        values, which the baseline's METR minute thresholds cannot read.
    """

    n_models: int = 200
    n_benchmarks: int = 12
    n_linear: int = 0
    eval_rate: float = 0.35


@dataclass(frozen=True)
class Cell:
    """One condition of a study: evaluation ratio, noise level, provider penalty."""

    ratio: float
    noise: float
    penalty: float = 0.0

    @property
    def key(self) -> str:
        """File-name-safe label."""
        return f"ratio{self.ratio:g}-noise{self.noise:g}-penalty{self.penalty:g}"


@dataclass(frozen=True)
class SimTask:
    """Everything one replication needs (picklable: it crosses process boundaries)."""

    cell: Cell
    rep: int
    seed: int
    truth: str
    true_gap: float
    gap_rw_sd: float
    design: Design
    fits: tuple[tuple[str, Spec], ...]
    settings: SamplerSettings
    n_bootstrap: int = 2000
    fit_fn: FitFn | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """Name of the replication's JSON file."""
        return f"{self.cell.key}-rep{self.rep:03d}"


def truth_spec(truth: str) -> Spec:
    """Return the spec worlds are simulated from: timeshift-v1 with a constant or moving gap.

    The simulation studies still run on the version-1 model (issue: bias corrections tested on
    worlds the model did not generate moves them to the frontier model).
    """
    if truth not in TRUTHS:
        raise ValueError(f"unknown truth '{truth}': use one of {', '.join(TRUTHS)}")
    v1 = load_spec("timeshift-v1")
    return v1.with_changes(switches={"time_varying_gap": False}) if truth == "constant" else v1


def fixed_values(task: SimTask, spec: Spec, n_sigmoid: int) -> dict[str, float | np.ndarray]:
    """Parameter values fixed in the simulated world (``pm.do``), see the module docstring."""
    npr = spec.prior("noise_log_sd")
    fixed: dict[str, float | np.ndarray] = {
        "gap_mean": task.true_gap,
        "public_offset": 0.0,
        "category_sd": 0.0,
        "benchmark_gap_sd": 0.0,
        "provider_penalty": task.cell.penalty,
        "self_report_offset": 0.0,
        "noise_z": np.full(n_sigmoid, (np.log(task.cell.noise) - npr["mu"]) / npr["sigma"]),
    }
    if spec.switches["time_varying_gap"]:
        fixed["gap_rw_sd"] = task.gap_rw_sd
    return fixed


def nuts_fit(data: ModelData, spec: Spec, settings: SamplerSettings) -> Any:
    """Default fitter: the PyMC model of ``spec`` sampled by :func:`common.sample_posterior`."""
    from gapbayes.model.pymc_model import build_pymc_model

    return common.sample_posterior(build_pymc_model(data, spec), settings)


def averaged_gap(post: Any) -> np.ndarray:
    """(chain, draw) draws of the estimand: gap averaged over months plus the mean offset."""
    return (post["gap"].mean("month") + post["gap_offset"].mean("benchmark")).values


def baseline_estimate(
    world: Any, truth_gap: np.ndarray, report_time: np.ndarray, n_boot: int, seed: int
) -> dict[str, Any]:
    """Run the threshold-crossing baseline on a world's tables; mean gap and bootstrap ETI.

    ``target_own`` is the true gap averaged at the datapoints' open-model release dates: the
    quantity the datapoint mean targets when the gap varies in time (= the estimand when it
    does not).
    """
    from gapbayes.baseline.run import run_baseline

    scores = world.scores.merge(world.models, on="model_id")
    bench = world.benchmarks.assign(name=world.benchmarks["benchmark_id"])
    dp = run_baseline(scores, bench, n_bootstrap=0, groups=("all",)).datapoints
    gaps = dp["gap_months"].to_numpy(float)
    row: dict[str, Any] = {"method": "baseline", "n_datapoints": int(gaps.size)}
    if gaps.size == 0:
        return {**row, "estimate": np.nan, "lo90": np.nan, "hi90": np.nan,
                "target_own": np.nan}
    rng = np.random.default_rng(seed)
    boot = gaps[rng.integers(0, gaps.size, (n_boot, gaps.size))].mean(axis=1)
    t_open = years_since(pd.to_datetime(dp["open_date"]), world.data.origin)
    return {
        **row,
        "estimate": float(gaps.mean()),
        "lo90": float(np.quantile(boot, 0.05)),
        "hi90": float(np.quantile(boot, 0.95)),
        "target_own": float(np.interp(t_open, report_time, truth_gap).mean()),
    }


def run_replication(task: SimTask) -> dict[str, Any]:
    """Simulate one world, run the baseline and every model fit; return JSON-ready results."""
    with common.quiet_pymc():
        return _run_replication(task)


def _run_replication(task: SimTask) -> dict[str, Any]:
    from gapbayes.model.simulate import simulate_world, synthetic_design

    start = time.perf_counter()
    spec0 = truth_spec(task.truth)
    models, benchmarks, scores = synthetic_design(
        n_models=task.design.n_models, n_benchmarks=task.design.n_benchmarks,
        closed_per_open=task.cell.ratio, n_linear=task.design.n_linear,
        eval_rate=task.design.eval_rate, seed=task.seed + task.rep,
    )
    n_sig = len(build_model_data(models, benchmarks, scores, spec0).sig_benchmarks)
    world = simulate_world(models, benchmarks, scores, spec0,
                           fixed=fixed_values(task, spec0, n_sig),
                           seed=task.seed + 1000 + task.rep)
    true_gap = np.asarray(world.truth["gap"], float) + float(np.mean(world.truth["gap_offset"]))
    truth = float(true_gap.mean())
    sm = world.scores.merge(world.models[["model_id", "access"]], on="model_id")
    rows = [baseline_estimate(world, true_gap, world.data.report_time, task.n_bootstrap,
                              task.seed + task.rep)]
    fit_fn = task.fit_fn or nuts_fit
    for label, spec in task.fits:
        data = build_model_data(world.models, world.benchmarks, world.scores, spec)
        settings = replace(task.settings, seed=task.settings.seed + task.rep)
        t0 = time.perf_counter()
        dt = fit_fn(data, spec, settings)
        draws = averaged_gap(dt["posterior"])
        med, lo, hi = common.eti(draws)
        rows.append({"method": label, "estimate": med, "lo90": lo, "hi90": hi,
                     "fit_seconds": round(time.perf_counter() - t0, 1),
                     **common.scalar_diagnostics(dt, draws)})
    return {
        "key": task.key, **asdict(task.cell), "rep": task.rep, "truth": truth,
        "n_scores": len(sm), "n_closed_scores": int((sm["access"] == "closed").sum()),
        "n_open_scores": int((sm["access"] == "open").sum()),
        "rows": rows, "wall_seconds": round(time.perf_counter() - start, 1),
    }


def replication_table(results: Sequence[dict]) -> pd.DataFrame:
    """One row per (replication, method) with the cell, truth, estimate and interval."""
    rows = []
    for r in results:
        head = {k: r[k] for k in ("ratio", "noise", "penalty", "rep", "truth", "n_scores",
                                  "n_closed_scores", "n_open_scores")}
        for m in r["rows"]:
            rows.append({**head, **m})
    df = pd.DataFrame(rows)
    df["error"] = df["estimate"] - df["truth"]
    df["covered"] = (df["lo90"] <= df["truth"]) & (df["truth"] <= df["hi90"])
    df["width90"] = df["hi90"] - df["lo90"]
    return df


SUMMARY_COLUMNS = [
    "ratio", "noise", "penalty", "method", "n_reps", "truth_mean", "mean_estimate", "bias",
    "bias_se", "rmse", "coverage90", "coverage90_se", "width90", "fits_with_divergences",
    "rhat_max",
]


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """Per cell and method: bias (+ MC se), RMSE, 90% coverage (+ se), width, diagnostics.

    Replications where a method gave no estimate (the baseline without any datapoint) are left
    out of that method's numbers and show in ``n_reps``.
    """
    out = []
    for (ratio, noise, penalty, method), g in reps.groupby(
            ["ratio", "noise", "penalty", "method"], sort=True):
        g = g[np.isfinite(g["estimate"])]
        n = len(g)
        cov = float(g["covered"].mean()) if n else np.nan
        out.append({
            "ratio": ratio, "noise": noise, "penalty": penalty, "method": method, "n_reps": n,
            "truth_mean": g["truth"].mean(), "mean_estimate": g["estimate"].mean(),
            "bias": g["error"].mean(),
            "bias_se": g["error"].std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
            "rmse": float(np.sqrt((g["error"] ** 2).mean())) if n else np.nan,
            "coverage90": cov,
            "coverage90_se": float(np.sqrt(cov * (1 - cov) / n)) if n else np.nan,
            "width90": g["width90"].mean(),
            "fits_with_divergences": (int((g["divergences"] > 0).sum())
                                      if "divergences" in g and g["divergences"].notna().any()
                                      else np.nan),
            "rhat_max": g["rhat"].max() if "rhat" in g else np.nan,
        })
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def bias_figure(table: pd.DataFrame, x: str, path: Path, title: str) -> list[str]:
    """Bias (+-2 se) and 90% coverage against ``x``, one line per method and noise level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gapbayes.reporting.plots import save_figure

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    lines = list(table.groupby(["method", "noise"], sort=True))
    xs = np.sort(table[x].unique())
    dx = 0.03 * (xs.max() - xs.min() if len(xs) > 1 else 1.0)
    for i, ((method, noise), g) in enumerate(lines):
        g = g.sort_values(x)
        shift = (i - (len(lines) - 1) / 2) * dx  # dodge so error bars do not overlap
        label = f"{method}, noise {noise:g}"
        ax1.errorbar(g[x] + shift, g["bias"], yerr=2 * g["bias_se"].fillna(0), marker="o",
                     capsize=3, label=label)
        # Clip the +-2 se bars to [0, 1]: a coverage cannot leave it (normal approximation).
        cov, err = g["coverage90"], 2 * g["coverage90_se"].fillna(0)
        ax2.errorbar(g[x] + shift, cov, yerr=[np.minimum(err, cov), np.minimum(err, 1 - cov)],
                     marker="o", capsize=3, label=label)
    ax1.axhline(0, color="grey", lw=0.8)
    ax1.set_xlabel(x)
    ax1.set_ylabel("bias of the gap estimate (months)")
    ax1.set_title(title)
    ax2.axhline(0.9, color="grey", lw=0.8, ls="--")
    ax2.set_ylim(-0.05, 1.05)
    ax2.set_xlabel(x)
    ax2.set_ylabel("coverage of the 90% interval")
    ax1.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.set_xticks(xs)
    fig.tight_layout()
    written = save_figure(fig, path, svg=True)
    plt.close(fig)
    return [p.name for p in written]


@dataclass
class SimStudy:
    """A simulation study: its cells, replications, fits and sampler settings."""

    name: str
    cells: list[Cell]
    replications: int
    fits: list[tuple[str, Spec]]
    truth: str = "constant"
    true_gap: float = 6.0
    gap_rw_sd: float = 2.5
    design: Design = field(default_factory=Design)
    settings: SamplerSettings = field(default_factory=lambda: SamplerSettings(
        chains=2, draws=300, tune=300, progressbar=False))
    seed: int = 0
    n_bootstrap: int = 2000
    x: str = "ratio"
    fit_fn: FitFn | None = None

    def task_config(self) -> dict[str, Any]:
        """Return what a single replication's result depends on (names its work folder)."""
        settings = self.settings.as_dict()
        settings.pop("cores")  # parallel chains do not change the draws
        return {
            "study": self.name, "code": code_fingerprint(),   # model code: refit after a change
            "truth": self.truth, "true_gap": self.true_gap,
            "gap_rw_sd": self.gap_rw_sd if self.truth == "time-varying" else None,
            "design": asdict(self.design), "settings": settings, "seed": self.seed,
            "n_bootstrap": self.n_bootstrap,
            "fits": [{"method": m, "spec": s.name, "spec_id": s.spec_id,
                      "switches": s.switches} for m, s in self.fits],
            "fitter": "nuts" if self.fit_fn is None else getattr(self.fit_fn, "__name__", "?"),
        }

    def config(self) -> dict[str, Any]:
        """Return the full configuration (names the output folder)."""
        return {**self.task_config(), "cells": [asdict(c) for c in self.cells],
                "replications": self.replications}

    def tasks(self) -> list[SimTask]:
        """List every (cell, replication).

        Replication r uses the same seeds in every cell, so cells are compared on common
        random numbers.
        """
        return [SimTask(cell=c, rep=r, seed=self.seed, truth=self.truth,
                        true_gap=self.true_gap, gap_rw_sd=self.gap_rw_sd, design=self.design,
                        fits=tuple(self.fits), settings=self.settings,
                        n_bootstrap=self.n_bootstrap, fit_fn=self.fit_fn)
                for c in self.cells for r in range(self.replications)]


def run_study(study: SimStudy, root: Path, workers: int = 1,
              log: Callable[[str], None] = print) -> Path:
    """Run (or resume) ``study`` and write ``root/<name>-<id>/``.

    Returns
    -------
    Path
        The result folder: ``table.csv``, ``table.md``, ``replications.csv``,
        ``bias_vs_<x>.png/.svg``, ``manifest.json``.
    """
    config = study.config()
    sid = common.study_id(config)
    work, results, failed, elapsed = common.run_study_tasks(
        study, study.name, run_replication, root, workers, log,
        f"{len(study.cells)} cells x {study.replications} replications, {len(study.fits)} "
        "model fit(s) each", "every replication")
    reps = replication_table(results)
    table = summarise(reps)
    manifest = common.base_manifest(f"study:{study.name}", sid, config)
    manifest.update({
        "truth_definition": "mean over report months of D(t) + mean over benchmarks of the "
                            "gap offsets (= gap_mean in a constant-gap world)",
        "noise_definition": "overdispersion sd at p = 0.5 on the proportion scale, fixed in "
                            "the world via noise_z (fitted prior unchanged)",
        "baseline_interval": f"percentile bootstrap ({study.n_bootstrap}) of the datapoint "
                             "mean, 90%",
        "model_interval": "posterior median, 90% equal-tailed interval",
        "replications_finished": len(results), "replications_failed": failed,
        "wall_time_seconds_this_run": round(elapsed, 1),
        "wall_time_seconds_sum_of_replications": round(
            sum(r["wall_seconds"] for r in results), 1),
        "work_dir": str(work),
    })
    folder = root / f"{study.name}-{sid}"
    md = (f"# {study.name} ({sid})\n\nTruth: {study.truth} gap of {study.true_gap:g} months; "
          f"{len(results)} replications finished.\n\n" + common.markdown_table(table))
    write = common.write_study_folder(
        folder, {"table": table, "replications": reps}, manifest,
        figures=lambda tmp: bias_figure(table, study.x, tmp / f"bias_vs_{study.x}",
                                        study.name),
        markdown=md)
    log(f"wrote {write} ({elapsed:.0f} s)")
    return write
