"""Synthetic worlds: a design like the real data, and scores simulated from the model.

Scores are drawn from the PyMC model itself (``pm.do`` fixes the parameters we want known,
the rest are drawn from the prior), so simulation and fit cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm

from gapbayes.model.design import ModelData, build_model_data
from gapbayes.model.pymc_model import build_pymc_model
from gapbayes.model.spec import Spec

CATEGORIES = ["math", "reasoning", "coding_agentic", "knowledge"]
FAMILIES_CLOSED = ["OpenAI", "Anthropic", "Google", "xAI"]
FAMILIES_OPEN = ["Meta", "DeepSeek", "Alibaba/Qwen", "Mistral", "Moonshot", "Zhipu"]


@dataclass(frozen=True)
class SyntheticWorld[D]:
    """Tidy tables of a simulated world, the values that generated it and its design ``data``.

    ``D`` is the family's design class: :class:`ModelData` here, ``FrontierData`` in
    :class:`gapbayes.model.frontier_simulate.FrontierWorld`.
    """

    models: pd.DataFrame
    benchmarks: pd.DataFrame
    scores: pd.DataFrame
    truth: dict[str, np.ndarray]
    data: D


def synthetic_design(
    n_models: int = 300,
    n_benchmarks: int = 40,
    closed_per_open: float = 1.0,
    n_linear: int = 2,
    eval_rate: float = 0.35,
    start: str = "2023-01-01",
    end: str = "2026-03-31",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Models, benchmarks and the pattern of evaluated pairs (scores still placeholders).

    Parameters
    ----------
    n_models, n_benchmarks
        Sizes (the real default selection has ~400 models and 16 benchmarks).
    closed_per_open
        Ratio of the evaluation probability of closed to open models (the winner's-curse
        lever: benchmarks test more closed models).
    n_linear
        How many benchmarks have a linear link (like METR log-minutes).
    eval_rate
        Mean probability that an eligible (model, benchmark) pair is evaluated.
    start, end
        Range of release dates.
    seed
        Seed of the design.
    """
    rng = np.random.default_rng(seed)
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    span = (t1 - t0).days
    is_open = rng.random(n_models) < 0.5
    dates = t0 + pd.to_timedelta(np.sort(rng.integers(0, span, n_models)), unit="D")
    fam = np.where(
        is_open,
        rng.choice(FAMILIES_OPEN, n_models),
        rng.choice(FAMILIES_CLOSED, n_models),
    )
    models = pd.DataFrame(
        {
            "model_id": [f"m{i:03d}" for i in range(n_models)],
            "release_date": dates,
            "access": np.where(is_open, "open", "closed"),
            "family": fam,
            "chinese": is_open & np.isin(fam, ["DeepSeek", "Alibaba/Qwen", "Moonshot", "Zhipu"]),
        }
    )
    linear = np.arange(n_benchmarks) < n_linear
    benchmarks = pd.DataFrame(
        {
            "benchmark_id": [f"b{j:02d}" for j in range(n_benchmarks)],
            "transform": "identity",
            "link": np.where(linear, "linear", "sigmoid"),
            "chance": np.where(linear, 0.0, rng.choice([0.0, 0.0, 0.25, 0.5], n_benchmarks)),
            "n_items": np.where(linear, 0, rng.choice([0, 50, 200, 1000], n_benchmarks)),
            "access_type": np.where(rng.random(n_benchmarks) < 0.5, "public", "private"),
            "category": rng.choice(CATEGORIES, n_benchmarks),
            "third_party_hosts": np.where(rng.random(n_benchmarks) < 0.4, "yes", "no"),
            "published": True,
            "scale": np.where(linear, "minutes", "proportion"),
        }
    )
    # Benchmarks appear over time and test the models of their era (real-like missingness).
    bench_start = t0 + pd.to_timedelta(rng.integers(0, int(span * 0.6), n_benchmarks), unit="D")
    p_closed = 2 * eval_rate * closed_per_open / (1 + closed_per_open)
    p_open = 2 * eval_rate / (1 + closed_per_open)
    rows = []
    for j in range(n_benchmarks):
        lookback = bench_start[j] - pd.Timedelta(days=365)
        eligible = np.flatnonzero(dates >= lookback)
        p = np.where(is_open[eligible], p_open, p_closed)
        chosen = eligible[rng.random(len(eligible)) < np.clip(p, 0, 1)]
        for i in chosen:
            rows.append((f"b{j:02d}", f"m{i:03d}"))
    scores = pd.DataFrame(rows, columns=["benchmark_id", "model_id"])
    # placeholders halfway between chance and the top of the scale: above every benchmark's
    # floor, so the inclusion rule's floor count (min_above_floor) keeps the design
    meta = benchmarks.set_index("benchmark_id")
    chance = scores["benchmark_id"].map(meta["chance"]).to_numpy(float)
    sigmoid = scores["benchmark_id"].map(meta["link"] != "linear").to_numpy(bool)
    scores["score"] = np.where(sigmoid, (1.0 + chance) / 2.0, 0.0)
    scores["stderr"] = np.nan
    scores["self_reported"] = rng.random(len(scores)) < 0.1
    scores["third_party_host"] = False
    scores["raw_row"] = np.arange(len(scores)) + 2
    return models, benchmarks, scores


def simulate_world(
    models: pd.DataFrame,
    benchmarks: pd.DataFrame,
    scores: pd.DataFrame,
    spec: Spec,
    fixed: dict[str, float | np.ndarray] | None = None,
    seed: int = 0,
) -> SyntheticWorld[ModelData]:
    """Draw parameters (some fixed by ``fixed``) and scores from the model.

    Parameters
    ----------
    models, benchmarks, scores
        A design from :func:`synthetic_design` (scores are placeholders).
    spec
        The specification to simulate from.
    fixed
        Values for named free random variables (e.g. ``gap_mean``, ``public_offset``).
    seed
        Seed of the parameter and noise draws.

    Returns
    -------
    SyntheticWorld
        Tables with simulated scores on the native scale and the true parameter values.
    """
    data = build_model_data(models, benchmarks, scores, spec)
    model = build_pymc_model(data, spec)
    if fixed:
        model = pm.do(model, {model[k]: np.asarray(v, dtype=float) for k, v in fixed.items()})
    draw = pm.sample_prior_predictive(draws=1, model=model, random_seed=seed,
                                      compile_kwargs={"mode": "FAST_COMPILE"})
    truth = {k: np.asarray(v.values[0, 0]) for k, v in draw["prior"].data_vars.items()}
    if fixed:
        truth.update({k: np.asarray(v, dtype=float) for k, v in fixed.items()})
    y = np.empty(len(data.y))
    pp = draw["prior_predictive"]
    y[data.sig_idx] = pp["y_sig"].values[0, 0]
    if len(data.lin_idx):
        y[data.lin_idx] = pp["y_lin"].values[0, 0]
    sim = pd.DataFrame(
        {
            "benchmark_id": [data.bench_ids[b] for b in data.obs_bench],
            "model_id": [data.model_ids[m] for m in data.obs_model],
            "score": y * data.lin_scale[data.obs_bench] + data.lin_center[data.obs_bench],
            "stderr": np.nan,
            "self_reported": data.obs_self.astype(bool),
            "third_party_host": False,
            "raw_row": np.arange(len(y)) + 2,
        }
    )
    return SyntheticWorld(models, benchmarks, sim, truth, data)
