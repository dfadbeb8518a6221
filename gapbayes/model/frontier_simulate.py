"""Synthetic worlds for the frontier model, drawn from the PyMC model itself.

A design with base models and effort variants, and scores drawn from the model (``pm.do``
fixes the parameters a test wants known; the rest come from the prior), so simulation and fit
cannot drift apart.

Worlds the model did not generate come from :mod:`gapbayes.model.frontier_worlds`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pymc as pm

from gapbayes.model.frontier_design import FrontierData, build_frontier_data
from gapbayes.model.frontier_pymc import build_frontier_model
from gapbayes.model.simulate import SyntheticWorld, synthetic_design
from gapbayes.model.spec import Spec

# Values that keep prior worlds inside what the real data look like (a growth rate near the
# measured 1-3 capability units per year and a calm growth path), so small tests recover them.
CALM_WORLD = {"growth_rw_sd": 0.3, "frontier_noise_sd": 0.2, "category_trend_sd": 0.2,
              "benchmark_shift_sd": 0.15, "category_shift_sd": 0.15}


@dataclass(frozen=True)
class FrontierWorld(SyntheticWorld[FrontierData]):
    """A simulated world of the frontier model (its ``data`` is a :class:`FrontierData`)."""


def frontier_design(n_models: int = 120, n_benchmarks: int = 10, n_linear: int = 1,
                    eval_rate: float = 0.5, effort_share: float = 0.2, start: str = "2022-06-01",
                    end: str = "2026-03-31", seed: int = 0
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Make a design like the real data: v1's synthetic design plus effort variants.

    A share ``effort_share`` of the models gets a ``_high`` variant with the same base model
    (scored on the same benchmarks as the base), as Epoch lists reasoning-effort settings.
    """
    models, benchmarks, scores = synthetic_design(
        n_models=n_models, n_benchmarks=n_benchmarks, n_linear=n_linear, eval_rate=eval_rate,
        start=start, end=end, seed=seed)
    rng = np.random.default_rng(seed + 7)
    models = models.assign(base_model=models["model_id"])
    chosen = models.sample(frac=effort_share, random_state=int(rng.integers(1 << 31)))
    variants = chosen.assign(model_id=chosen["model_id"] + "_high")
    extra = scores[scores["model_id"].isin(chosen["model_id"])].copy()
    extra["model_id"] = extra["model_id"] + "_high"
    models = pd.concat([models, variants], ignore_index=True)
    scores = pd.concat([scores, extra], ignore_index=True)
    scores["raw_row"] = np.arange(len(scores)) + 2
    benchmarks = benchmarks.assign(name=benchmarks["benchmark_id"].str.upper())
    return models, benchmarks, scores


def with_release_dates(benchmarks: pd.DataFrame, start: str, end: str,
                       seed: int = 0) -> pd.DataFrame:
    """Give the public benchmarks release dates, so the contamination term has scores to act on.

    Dates are spread evenly from a year before ``start`` to a year before ``end`` (in a random
    order), so some benchmarks are fully exposed throughout and others are released inside the
    window, where exposure varies between models. Private benchmarks get none (NaT).
    """
    public = (benchmarks["access_type"] == "public").to_numpy()
    lo = pd.Timestamp(start) - pd.DateOffset(years=1)
    hi = pd.Timestamp(end) - pd.DateOffset(years=1)
    n = int(public.sum())
    spread = pd.to_datetime(np.linspace(lo.value, hi.value, max(n, 1))[:n])
    order = np.random.default_rng(seed).permutation(n)
    dates = pd.Series(pd.NaT, index=benchmarks.index, dtype="datetime64[ns]")
    dates[public] = spread[order].normalize()
    return benchmarks.assign(release_date=dates)


def simulate_frontier_world(models: pd.DataFrame, benchmarks: pd.DataFrame,
                            scores: pd.DataFrame, spec: Spec,
                            fixed: dict[str, float | np.ndarray] | None = None, seed: int = 0
                            ) -> FrontierWorld:
    """Draw parameters (``fixed`` ones held) and scores from the frontier model.

    Returns
    -------
    FrontierWorld
        Scores on the native scale (linear links un-standardised) and the true values of every
        named variable of the model (deterministics included).
    """
    data = build_frontier_data(models, benchmarks, scores, spec)
    truth, y = draw_from_prior(data, spec, fixed, seed)
    # the design's arrays with the simulated scores (model scale), so the truth's link
    # parameters keep the standardisation they were drawn under
    return FrontierWorld(models, benchmarks, scores_table(data, y), truth, replace(data, y=y))


def draw_from_prior(data: FrontierData, spec: Spec,
                    fixed: dict[str, float | np.ndarray] | None = None, seed: int = 0
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One draw of every named variable (``fixed`` ones held) and of the scores of ``data``.

    Returns
    -------
    truth, y
        The draw by variable name, and the scores on the model scale (one per score row).
    """
    model = build_frontier_model(data, spec)
    fixed = {k: v for k, v in (fixed or {}).items() if k in model.named_vars}
    if fixed:
        model = pm.do(model, {model[k]: np.asarray(v, dtype=float) for k, v in fixed.items()})
    # FAST_COMPILE: one draw does not repay graph rewrites (measured 14 s -> 4 s; same draws)
    with warnings.catch_warnings():
        # the selection term's Potential is the evaluation pattern's likelihood: a prior draw
        # rightly ignores it (gapbayes/sbc/selection.py draws the pattern itself)
        warnings.filterwarnings("ignore", message="The effect of Potentials",
                                category=UserWarning)
        draw = pm.sample_prior_predictive(draws=1, model=model, random_seed=seed,
                                          compile_kwargs={"mode": "FAST_COMPILE"})
    truth = {k: np.asarray(v.values[0, 0]) for k, v in draw["prior"].data_vars.items()}
    truth.update({k: np.asarray(v, dtype=float) for k, v in fixed.items()})
    y = np.empty(len(data.y))
    pp = draw["prior_predictive"]
    if len(data.sig_idx):
        y[data.sig_idx] = pp["y_sig"].values[0, 0]
    if len(data.lin_idx):
        y[data.lin_idx] = pp["y_lin"].values[0, 0]
    return truth, y


def scores_table(data: FrontierData, y: np.ndarray) -> pd.DataFrame:
    """Tidy scores of ``data``'s score rows with model-scale scores ``y`` (native scale)."""
    ob = data.obs_bench
    return pd.DataFrame({
        "benchmark_id": [data.bench_ids[b] for b in ob],
        "model_id": [data.model_ids[m] for m in data.obs_model],
        "score": y * data.lin_scale[ob] + data.lin_center[ob],
        "stderr": np.nan,
        "self_reported": data.obs_self.astype(bool),
        "third_party_host": data.obs_host.astype(bool),
        "raw_row": np.arange(len(y)) + 2,
    })
