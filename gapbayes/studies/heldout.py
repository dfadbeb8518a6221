"""Held-out predictive checks on real scores: K-fold over score cells and leave-future-out.

Protocols
---------
- **K-fold** (default K = 5): the folds partition the (model, benchmark) cells, stratified by
  benchmark (each benchmark's cells are shuffled and dealt round-robin, starting at a random
  fold); every score of a cell is in the cell's fold, so repeated scores of one pair never sit
  on both sides. Each fold is predicted by a fit to the other K-1 folds.
- **Leave-future-out** (Buerkner, Gabry & Vehtari 2020): fit on the scores of models released
  before the cut-off (default 2025-07-01), predict every score of the models released on or
  after it. For the gap model the frontier and the gap beyond the cut-off are the random
  walks' prior extrapolation and a new model's shortfall its family's prior; for the IRT
  reference (:mod:`gapbayes.studies.irt`) a new model's capability is drawn from the
  population N(0, 1): it predicts from the population of past models.

How training works without changing the design code: the :class:`ModelData` is built once
from **all** scores (so held-out models and benchmarks exist in the fitted model with the
same indices), then restricted to the training rows with ``dataclasses.replace``
(``subset_rows`` in :mod:`gapbayes.studies.heldout_predict`); the PyMC model built on that
object has the held-out observations removed from the likelihood, and parameters of models
without a training score stay at their prior. The only score-dependent part of the design,
the standardisation of linear benchmarks (METR), is recomputed from the training rows
(``rescale_linear``), so no held-out score enters the fit. The benchmark inclusion rule is
applied once on all scores (it decides which benchmarks exist, not what they score). The
``selection`` spec is refused: its evaluated-pair cells would reveal the held-out pairs.

Prediction: :func:`predictive_moments` computes the Normal predictive mean and sd of each
held-out score for each posterior draw with the formulas of :mod:`gapbayes.model.pymc_model`
(tests check it against ``pm.sample_posterior_predictive``). Metrics per score, from the
S-draw mixture: log predictive density log(1/S sum_s N(y | mu_s, sd_s)) on the transformed
scale (proportion; log-minutes for METR, i.e. with the Jacobian of the standardisation), the
PIT value 1/S sum_s Phi((y - mu_s) / sd_s), and central-interval coverage from the PIT
(y is inside the central L interval iff (1 - L)/2 <= PIT <= (1 + L)/2), exact for the mixture.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.inference.backends import SamplerSettings
from gapbayes.inference.results import code_fingerprint
from gapbayes.model.design import ModelData, years_since
from gapbayes.model.spec import Spec
from gapbayes.studies import common
from gapbayes.studies.heldout_predict import (  # noqa: F401  (public names)
    METHODS,
    cell_folds,
    covered,
    predictive_moments,
    score_rows,
    split,
)

NAME = "heldout"
PROTOCOLS = ("kfold", "lfo")
DEFAULT_CUTOFF = "2025-07-01"


# ---- tasks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldoutTask:
    """One fit: a protocol's fold, a method, its training and held-out data."""

    protocol: str
    fold: int
    method: str
    train: ModelData
    test: ModelData
    test_rows: np.ndarray
    spec: Spec
    settings: SamplerSettings

    @property
    def key(self) -> str:
        """Name of the fit's JSON file."""
        return f"{self.protocol}-fold{self.fold}-{self.method}"


def build_method_model(method: str, data: ModelData, spec: Spec) -> Any:
    """Build the PyMC model of ``method`` on ``data``'s observations."""
    if method == "gapbayes":
        from gapbayes.model.pymc_model import build_pymc_model

        return build_pymc_model(data, spec)
    if method == "irt":
        from gapbayes.studies.irt import build_irt_model

        return build_irt_model(data, spec)
    raise ValueError(f"unknown method '{method}': use one of {', '.join(METHODS)}")


def run_heldout_task(task: HeldoutTask) -> dict[str, Any]:
    """Fit ``task.method`` on the training rows and score its predictions of the held-out rows."""
    import arviz as az

    start = time.perf_counter()
    with common.quiet_pymc():
        model = build_method_model(task.method, task.train, task.spec)
        free = [v.name for v in model.free_RVs]
        dt = common.sample_posterior(model, task.settings)
    post = dt["posterior"].to_dataset()
    mu, sd = predictive_moments(post, task.test, task.spec, task.method)
    t = task.test
    jac = -np.log(np.where(t.bench_linear[t.obs_bench] == 1, t.lin_scale[t.obs_bench], 1.0))
    scores = score_rows(t.y, mu, sd, jac)
    rhat = az.rhat(dt, var_names=free).to_dataset()
    stats = dt["sample_stats"]
    # Back to the transformed scale (proportion / log-minutes) for the predictions table.
    lin = t.bench_linear[t.obs_bench] == 1
    sc = np.where(lin, t.lin_scale[t.obs_bench], 1.0)
    ce = np.where(lin, t.lin_center[t.obs_bench], 0.0)
    return {
        "key": task.key, "protocol": task.protocol, "fold": task.fold, "method": task.method,
        "n_train": len(task.train.y), "n_test": len(t.y),
        "row": task.test_rows.tolist(),
        "y": (t.y * sc + ce).tolist(),
        "pred_mean": (scores["pred_mean"] * sc + ce).tolist(),
        "pred_sd": (scores["pred_sd"] * sc).tolist(),
        "lpd": scores["lpd"].tolist(), "pit": scores["pit"].tolist(),
        "divergences": int(stats["diverging"].values.sum()) if "diverging" in stats else 0,
        "rhat_max": float(max(float(np.nanmax(v.values)) for v in rhat.data_vars.values())),
        "wall_seconds": round(time.perf_counter() - start, 1),
    }


def heldout_tasks(
    data: ModelData, spec: Spec, settings: SamplerSettings, k: int = 5,
    cutoff: str = DEFAULT_CUTOFF, seed: int = 0, methods: Sequence[str] = METHODS,
    protocols: Sequence[str] = PROTOCOLS,
) -> list[HeldoutTask]:
    """Every (protocol, fold, method) fit of the study, on the full design ``data``."""
    if spec.switches.get("selection"):
        raise ValueError("held-out checks do not support the selection spec: its "
                         "evaluated-pair cells would reveal the held-out pairs")
    splits: list[tuple[str, int, np.ndarray, np.ndarray]] = []
    rows = np.arange(len(data.y))
    if "kfold" in protocols:
        fold = cell_folds(data, k, seed)
        splits += [("kfold", f, rows[fold != f], rows[fold == f]) for f in range(k)]
    if "lfo" in protocols:
        t_cut = years_since(pd.DatetimeIndex([pd.Timestamp(cutoff)]), data.origin)[0]
        future = data.model_time[data.obs_model] >= t_cut
        if not future.any() or future.all():
            raise ValueError(f"cut-off {cutoff} leaves no training or no held-out score")
        splits.append(("lfo", 0, rows[~future], rows[future]))
    tasks = []
    for protocol, f, tr, te in splits:
        train, test = split(data, tr, te)
        for method in methods:
            s = replace(settings, seed=settings.seed + f)
            tasks.append(HeldoutTask(protocol, f, method, train, test, te, spec, s))
    return tasks


# ---- summaries ----------------------------------------------------------------------------


def prediction_table(results: Sequence[dict], data: ModelData) -> pd.DataFrame:
    """One row per held-out score and method."""
    frames = []
    for r in results:
        df = pd.DataFrame({c: r[c] for c in ("row", "y", "pred_mean", "pred_sd", "lpd", "pit")})
        df.insert(0, "method", r["method"])
        df.insert(0, "fold", r["fold"])
        df.insert(0, "protocol", r["protocol"])
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out["benchmark_id"] = [data.bench_ids[b] for b in data.obs_bench[out["row"]]]
    out["model_id"] = [data.model_ids[m] for m in data.obs_model[out["row"]]]
    out["open"] = data.model_open[data.obs_model[out["row"]]].astype(bool)
    out["linear"] = data.bench_linear[data.obs_bench[out["row"]]].astype(bool)
    return out


def _metrics(g: pd.DataFrame) -> dict[str, float]:
    n = len(g)
    sig = g[~g["linear"]]
    c50, c90 = covered(g["pit"].to_numpy(), 0.5).mean(), covered(g["pit"].to_numpy(), 0.9).mean()
    return {
        "n_scores": n,
        "coverage50": c50, "coverage50_se": np.sqrt(c50 * (1 - c50) / n),
        "coverage90": c90, "coverage90_se": np.sqrt(c90 * (1 - c90) / n),
        "mlpd": g["lpd"].mean(), "mlpd_se": g["lpd"].std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
        "rmse_pp": (float(np.sqrt(((sig["pred_mean"] - sig["y"]) ** 2).mean())) * 100
                    if len(sig) else np.nan),
        "mean_pit": g["pit"].mean(),
    }


def summarise(pred: pd.DataFrame, results: Sequence[dict]) -> pd.DataFrame:
    """Per protocol and method: coverage of 50%/90% intervals, mean lpd, RMSE, diagnostics.

    ``mlpd_diff_vs_irt`` is the paired mean difference in log predictive density per score
    (gapbayes - irt, same held-out scores) with its standard error.
    """
    fits = pd.DataFrame([{k: r[k] for k in ("protocol", "method", "divergences", "rhat_max",
                                            "wall_seconds")} for r in results])
    rows = []
    for (protocol, method), g in pred.groupby(["protocol", "method"], sort=True):
        f = fits[(fits["protocol"] == protocol) & (fits["method"] == method)]
        row = {"protocol": protocol, "method": method, **_metrics(g), "n_fits": len(f),
               "fits_with_divergences": int((f["divergences"] > 0).sum()),
               "rhat_max": f["rhat_max"].max(), "fit_seconds": f["wall_seconds"].sum()}
        other = pred[(pred["protocol"] == protocol) & (pred["method"] == "irt")]
        if method != "irt" and len(other):
            d = g.set_index("row")["lpd"] - other.set_index("row")["lpd"]
            d = d.dropna()
            row["mlpd_diff_vs_irt"] = d.mean()
            row["mlpd_diff_vs_irt_se"] = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def by_benchmark(pred: pd.DataFrame) -> pd.DataFrame:
    """Compute the metrics per protocol, method and benchmark."""
    rows = [{"protocol": p, "method": m, "benchmark_id": b, **_metrics(g)}
            for (p, m, b), g in pred.groupby(["protocol", "method", "benchmark_id"], sort=True)]
    return pd.DataFrame(rows)


def calibration_figure(pred: pd.DataFrame, path: Path) -> list[str]:
    """Empirical vs nominal coverage of central intervals, and PIT histograms, per protocol."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gapbayes.reporting.plots import save_figure

    protocols = sorted(pred["protocol"].unique())
    fig, axes = plt.subplots(2, len(protocols), figsize=(5 * len(protocols), 8), squeeze=False)
    levels = np.linspace(0.05, 0.95, 19)
    for j, protocol in enumerate(protocols):
        sub = pred[pred["protocol"] == protocol]
        ax, axh = axes[0, j], axes[1, j]
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        for method, g in sub.groupby("method", sort=True):
            pit = g["pit"].to_numpy()
            ax.plot(levels, [covered(pit, lv).mean() for lv in levels], marker="o", ms=3,
                    label=f"{method} (mlpd {g['lpd'].mean():.2f})")
            axh.hist(pit, bins=20, range=(0, 1), histtype="step", density=True, label=method)
        ax.set_title(f"{protocol}: {sub['row'].nunique()} held-out scores")
        ax.set_xlabel("nominal coverage of the central interval")
        ax.set_ylabel("empirical coverage")
        ax.legend(fontsize=8)
        axh.axhline(1.0, color="grey", lw=0.8, ls="--")
        axh.set_xlabel("PIT of the held-out score")
        axh.set_ylabel("density")
        axh.legend(fontsize=8)
    fig.tight_layout()
    written = save_figure(fig, path, svg=True)
    plt.close(fig)
    return [p.name for p in written]


def run_heldout(
    inp: Any, spec: Spec, settings: SamplerSettings, root: Path, k: int = 5,
    cutoff: str = DEFAULT_CUTOFF, seed: int = 0, workers: int = 1,
    methods: Sequence[str] = METHODS, protocols: Sequence[str] = PROTOCOLS,
    log: Callable[[str], None] = print,
) -> Path:
    """Run (or resume) the held-out study on ``inp`` (a :class:`gapbayes.inference.fit.FitInput`).

    Returns
    -------
    Path
        ``root/heldout-<id>/`` with ``table.csv``/``table.md`` (per protocol and method),
        ``by_benchmark.csv``, ``predictions.csv``, ``fits.csv``, ``calibration.png/.svg`` and
        ``manifest.json``.
    """
    from gapbayes.model.design import build_model_data

    data = build_model_data(inp.models, inp.benchmarks, inp.scores, spec)
    settings_id = settings.as_dict()
    settings_id.pop("cores")  # parallel chains do not change the draws
    config = {"study": NAME, "code": code_fingerprint(), "data_label": inp.label,
              "data_hash": inp.data_hash,
              "spec": spec.name, "spec_id": spec.spec_id, "k": k, "cutoff": cutoff,
              "seed": seed, "settings": settings_id, "methods": list(methods),
              "protocols": list(protocols)}
    sid = common.study_id(config)
    tasks = heldout_tasks(data, spec, settings, k, cutoff, seed, methods, protocols)
    work = root / common.WORK_DIR / f"{NAME}-{sid}"
    log(f"{NAME}: {len(data.y)} scores, {len(data.model_ids)} models, "
        f"{len(data.bench_ids)} benchmarks; {len(tasks)} fits; work folder {work}")
    results, failed, elapsed = common.run_keyed_tasks(run_heldout_task, tasks, work, workers,
                                                      log, "every held-out fit")
    pred = prediction_table(results, data)
    table = summarise(pred, results)
    fits = pd.DataFrame([{k2: r[k2] for k2 in ("protocol", "fold", "method", "n_train",
                                               "n_test", "divergences", "rhat_max",
                                               "wall_seconds")} for r in results])
    manifest = common.base_manifest(f"study:{NAME}", sid, config)
    manifest.update({
        "n_scores": len(data.y), "fits_finished": len(results), "fits_failed": failed,
        "wall_time_seconds_this_run": round(elapsed, 1),
        "wall_time_seconds_sum_of_fits": round(sum(r["wall_seconds"] for r in results), 1),
        "metrics": {
            "lpd": "log of the S-draw Normal mixture density at the held-out score, on the "
                   "transformed scale (proportion; log-minutes for METR)",
            "coverage": "share of held-out scores inside the central 50%/90% predictive "
                        "interval (from the mixture PIT)",
            "rmse_pp": "RMSE of the predictive mean on proportion-scale benchmarks, points",
        },
        "irt_reference": "theta_m ~ N(0, 1), same link/noise/priors, no time; models without "
                         "training scores (all of them in LFO) predicted from the population",
        "work_dir": str(work),
    })
    md = (f"# held-out predictive checks ({sid})\n\nSpec `{spec.name}`, K = {k}, "
          f"leave-future-out cut-off {cutoff}; {settings.chains} chains x "
          f"({settings.tune} + {settings.draws}).\n\n" + common.markdown_table(table))
    folder = common.write_study_folder(
        root / f"{NAME}-{sid}",
        {"table": table, "by_benchmark": by_benchmark(pred), "predictions": pred, "fits": fits},
        manifest, figures=lambda tmp: calibration_figure(pred, tmp / "calibration"),
        markdown=md)
    log(f"wrote {folder} ({elapsed:.0f} s)")
    return folder

