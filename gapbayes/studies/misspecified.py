"""The misspecified study: the baseline and the model on independent worlds.

Worlds come from :mod:`gapbayes.worlds` (no code shared with the fitted model). Per setting
(closed:open evaluation ratio x host degradation off/on) the study generates N worlds and on
each runs

- the **baseline** (threshold crossing, :func:`gapbayes.baseline.run.run_baseline`, the
  published smoothing: Gaussian kernel of 60 days, percentile bootstrap): its smoothed gap at
  each date, 90% interval = the bootstrap's;
- the **model** (spec ``default``): posterior median of the backward gap at each date
  (monthly ``gap_backward`` interpolated), 90% equal-tailed interval;
- with host degradation on, also the **model without the host term** (``default`` with
  ``provider_degradation = false``; the self-report term stays);
- with ``selection``, also the **model with the selection term** (``default`` with
  ``selection = true``: evaluation over the world's frame of releases).

Estimates are scored against the world's true backward gap D(t) at the same dates (defined in
:mod:`gapbayes.worlds.curves`), for the overall gap (all benchmarks) and for the private
benchmarks (where tuning cannot act). Dates outside a method's window are left out, and so
are the model's estimates that its fit flags as read before its closed data
(:mod:`gapbayes.studies.misspecified_report`: counted, with the bias they would give).
Host degradation "off" keeps the host-served runs but sets their cost to 0, so the two
settings differ only in the cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.inference.backends import SamplerSettings
from gapbayes.inference.results import code_fingerprint
from gapbayes.model.spec import Spec, load_spec
from gapbayes.studies import common
from gapbayes.worlds import World, WorldConfig, generate_world

NAME = "misspecified"
DATES = ("2023-01-01", "2024-01-01", "2025-01-01", "2025-09-01")
GROUPS = {"overall": "all", "private": "private"}   # model group -> baseline group
HOST_COST = 5.0
FitFn = Callable[[Any, Spec, SamplerSettings], Any]   # (FrontierData, spec, settings) -> DataTree


@dataclass(frozen=True)
class WorldTask:
    """One world of one setting, with everything its fits need (picklable)."""

    ratio: float
    host: bool
    rep: int
    seed: int
    world: WorldConfig
    fits: tuple[tuple[str, Spec], ...]
    settings: SamplerSettings
    dates: tuple[str, ...] = DATES
    n_bootstrap: int = 500
    fit_fn: FitFn | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """Name of the world's result file."""
        return f"ratio{self.ratio:g}-host{'on' if self.host else 'off'}-rep{self.rep:03d}"


def model_fits(host: bool, selection: bool = False) -> tuple[tuple[str, Spec], ...]:
    """Return the model fits of a setting.

    ``default``; without the host term if hosts cost; with the selection term if asked.
    """
    spec = load_spec("default")
    fits = [("model", spec)]
    if host:
        fits.append(("model (no host term)",
                     spec.with_changes(switches={"provider_degradation": False})))
    if selection:
        fits.append(("model (selection)", spec.with_changes(switches={"selection": True})))
    return tuple(fits)


def baseline_rows(world: World, dates: Sequence[str], truth: np.ndarray, n_boot: int,
                  seed: int) -> list[dict[str, Any]]:
    """Smoothed baseline gap and bootstrap interval at ``dates`` (NaN outside its curve)."""
    from gapbayes.baseline.run import run_baseline

    result = run_baseline(world.scores_with_models(), world.benchmarks, n_bootstrap=n_boot,
                          seed=seed, groups=tuple(GROUPS.values()))
    rows = []
    for group, bgroup in GROUPS.items():
        curve = result.curves[result.curves["group"] == bgroup].dropna(subset=["gap"])
        x = pd.to_datetime(curve["date"]).to_numpy("datetime64[D]").astype(float)
        for date, true in zip(dates, truth, strict=True):
            d = float(np.datetime64(date, "D").astype(float))
            row = {"method": "baseline", "group": group, "date": date, "truth": float(true)}
            if len(x) and x.min() <= d <= x.max():
                row.update({k: float(np.interp(d, x, curve[c].to_numpy(float)))
                            for k, c in (("estimate", "gap"), ("lo90", "lo90"),
                                         ("hi90", "hi90"))})
            else:
                row.update(estimate=np.nan, lo90=np.nan, hi90=np.nan)
            rows.append(row)
    return rows


def nuts_fit(data: Any, spec: Spec, settings: SamplerSettings) -> Any:
    """Default fitter: the fit command's PyMC backend (nutpie, data-driven start points)."""
    from gapbayes.inference.backends import PyMCBackend

    return PyMCBackend().sample(data, spec, settings)


def model_rows(world: World, label: str, spec: Spec, settings: SamplerSettings,
               dates: Sequence[str], truth: np.ndarray, fit_fn: FitFn | None = None
               ) -> list[dict[str, Any]]:
    """Fit ``spec`` to the world; posterior median and 90% ETI of the gap at ``dates``."""
    from gapbayes.model.frontier_design import build_frontier_data
    from gapbayes.model.frontier_gaps import gap_quantities
    from gapbayes.worlds.config import years

    base = {"method": label}
    try:
        data = build_frontier_data(world.models, world.benchmarks, world.scores, spec)
    except ValueError as exc:   # no benchmark with 3 open and 3 closed models: no fit
        return [{**base, "group": g, "date": d, "truth": float(t), "estimate": np.nan,
                 "lo90": np.nan, "hi90": np.nan, "note": str(exc)}
                for g in GROUPS for d, t in zip(dates, truth, strict=True)]
    t0 = time.perf_counter()
    dt = (fit_fn or nuts_fit)(data, spec, settings)
    seconds = round(time.perf_counter() - t0, 1)
    post = dt["posterior"].to_dataset()
    quantities = gap_quantities(post, data)
    gaps = quantities["gap_backward"]
    before = quantities["gap_backward_before_data"].mean(("chain", "draw"))
    times = years(pd.DatetimeIndex(pd.to_datetime(list(dates))))
    lo_t, hi_t = data.report_time[0], data.report_time[-1]
    stats = dt["sample_stats"]
    extra = {"fit_seconds": seconds, "divergences": int(stats["diverging"].values.sum()),
             "n_benchmarks_fitted": len(data.bench_ids)}
    if "provider_penalty" in post:
        extra["provider_penalty"] = float(post["provider_penalty"].median())
    rows = []
    for group in GROUPS:
        if group not in gaps["group"].values:
            continue
        g = gaps.sel(group=group).stack(s=("chain", "draw")).transpose("s", "month").values
        for date, t, true in zip(dates, times, truth, strict=True):
            row = {**base, "group": group, "date": date, "truth": float(true), **extra}
            if lo_t <= t <= hi_t:
                draws = np.array([np.interp(t, data.report_time, s) for s in g])
                med, lo, hi = common.eti(draws)
                chains = draws.reshape(post.sizes["chain"], post.sizes["draw"])
                share = np.interp(t, data.report_time, before.sel(group=group).values)
                row.update(estimate=med, lo90=lo, hi90=hi, before_data_share=float(share),
                           rhat=common.scalar_diagnostics(dt, chains)["rhat"])
            else:
                row.update(estimate=np.nan, lo90=np.nan, hi90=np.nan)
            rows.append(row)
    return rows


def run_world(task: WorldTask) -> dict[str, Any]:
    """Generate one world, run the baseline and every model fit; JSON-ready results."""
    with common.quiet_pymc():
        start = time.perf_counter()
        world = generate_world(task.world, seed=task.seed)
        truth = world.truth.gap_at(list(task.dates))
        rows = baseline_rows(world, task.dates, truth, task.n_bootstrap, task.seed)
        for label, spec in task.fits:
            rows.extend(model_rows(world, label, spec, task.settings, task.dates, truth,
                                   task.fit_fn))
        terms = world.truth.terms
        return {"key": task.key, "ratio": task.ratio, "host": task.host, "rep": task.rep,
                "seed": task.seed, "n_scores": len(world.scores),
                "ratio_realised": terms["ratio_realised"],
                "evaluated_pairs": terms["evaluated_pairs"], "rows": rows,
                "wall_seconds": round(time.perf_counter() - start, 1)}


@dataclass
class MisspecifiedStudy:
    """Settings x worlds of the misspecified study."""

    ratios: tuple[float, ...] = (1.0, 3.0, 5.0, 10.0)
    hosts: tuple[bool, ...] = (False, True)
    worlds: int = 2
    world: WorldConfig = field(default_factory=WorldConfig)
    host_cost: float = HOST_COST
    settings: SamplerSettings = field(default_factory=lambda: SamplerSettings(
        chains=2, draws=300, tune=300, progressbar=False))
    dates: tuple[str, ...] = DATES
    seed: int = 0
    n_bootstrap: int = 500
    fit_fn: FitFn | None = None
    selection: bool = False   # also fit the model with the selection term

    def task_config(self) -> dict[str, Any]:
        """Return what one world's result depends on (names the work folder)."""
        settings = self.settings.as_dict()
        settings.pop("cores")   # parallel chains do not change the draws
        # the model code's fingerprint: after a model or sampler change a re-run refits
        # instead of reusing the old code's fits
        return {"study": NAME, "code": code_fingerprint(), "world": self.world.as_dict(),
                "host_cost": self.host_cost,
                "settings": settings, "dates": list(self.dates), "seed": self.seed,
                "n_bootstrap": self.n_bootstrap,
                "fitter": "nuts" if self.fit_fn is None else getattr(self.fit_fn, "__name__", "?"),
                "fits": {str(h): [{"method": m, "spec_id": s.spec_id, "switches": s.switches}
                                  for m, s in model_fits(h, self.selection)]
                         for h in (False, True)}}

    def config(self) -> dict[str, Any]:
        """Return the full configuration (names the output folder)."""
        return {**self.task_config(), "ratios": list(self.ratios),
                "hosts": list(self.hosts), "worlds": self.worlds}

    def tasks(self) -> list[WorldTask]:
        """Every (setting, world). World r has the same seed in every setting.

        Ordered world by world (every setting of world 0 first): a study stopped early has
        the same number of finished worlds in every setting, and a re-run with a smaller
        ``worlds`` reuses them.
        """
        out = []
        for rep in range(self.worlds):
            for host in self.hosts:
                fits = model_fits(host, self.selection)
                for ratio in self.ratios:
                    cfg = replace(self.world, ratio=float(ratio),
                                  host_cost=self.host_cost if host else 0.0)
                    out.append(WorldTask(
                        ratio=float(ratio), host=host, rep=rep, seed=self.seed * 1000 + rep,
                        world=cfg, fits=fits,
                        settings=replace(self.settings, seed=self.settings.seed + rep),
                        dates=self.dates, n_bootstrap=self.n_bootstrap, fit_fn=self.fit_fn))
        return out


def run_misspecified(study: MisspecifiedStudy, root: Path, workers: int = 1,
                     log: Callable[[str], None] = print) -> Path:
    """Run (or resume) the study and write ``root/misspecified-<id>/``.

    Returns
    -------
    Path
        The folder: ``table.csv`` (per setting, method and group), ``by_date.csv``,
        ``paired.csv`` (model with minus without the host term), ``worlds.csv``,
        ``table.md``, ``bias_vs_ratio.png/.svg``, ``manifest.json``.
    """
    from gapbayes.studies.misspecified_report import (
        by_date_table,
        figure,
        markdown,
        paired_table,
        rows_table,
        summary_table,
    )

    config = study.config()
    sid = common.study_id(config)
    work, results, failed, elapsed = common.run_study_tasks(
        study, NAME, run_world, root, workers, log,
        f"{len(study.ratios) * len(study.hosts)} settings x {study.worlds} worlds", "every world")
    rows = rows_table(results)
    table, paired = summary_table(rows), paired_table(rows)
    fit_seconds = rows.drop_duplicates(["ratio", "host", "rep", "method"])["fit_seconds"]
    manifest = common.base_manifest(f"study:{NAME}", sid, config)
    manifest.update({
        "truth_definition": "D(t) = t - F_closed^-1(F_open(t)) of the world's best closed and "
                            "open lab trajectories (gapbayes/worlds/curves.py), months",
        "baseline_interval": f"bootstrap ({study.n_bootstrap}) of the smoothed curve, 90%",
        "model_interval": "posterior median, 90% equal-tailed interval",
        "worlds_finished": len(results), "worlds_failed": failed,
        "fit_seconds_mean": float(np.nanmean(fit_seconds)) if fit_seconds.notna().any()
        else None,
        "wall_time_seconds_this_run": round(elapsed, 1),
        "wall_time_seconds_sum_of_worlds": round(sum(r["wall_seconds"] for r in results), 1),
        "work_dir": str(work),
    })
    worlds = pd.DataFrame([{k: r[k] for k in ("ratio", "host", "rep", "seed", "n_scores",
                                              "ratio_realised", "wall_seconds")}
                           for r in results])
    folder = common.write_study_folder(
        root / f"{NAME}-{sid}",
        {"table": table, "by_date": by_date_table(rows), "paired": paired, "worlds": worlds,
         "rows": rows},
        manifest, figures=lambda tmp: figure(table, tmp / "bias_vs_ratio"),
        markdown=markdown(sid, table, paired, len(results)))
    log(f"wrote {folder} ({elapsed:.0f} s)")
    return folder

