"""Worlds the frontier model did not generate: known gap paths on a real design.

The design (models, release dates, access mix, which model was scored on which benchmark,
item counts, chance levels) is kept from real tidy tables; only the scores are replaced. The
generating story differs from the model's on purpose, so that a fit is checked on data it
does not assume:

- the closed frontier is a known smooth curve (quadratic in time, accelerating), the open
  frontier is the closed one delayed by a chosen gap path: F_open(t) = F_closed(t - D(t));
- abilities sit below their frontier by an exponential shortfall (not half-normal) plus
  Student-t noise (3 degrees of freedom), with per (base model, category) deviations;
- effort variants get a fixed boost; open models get no per-benchmark shift;
- proportion scores are binomial counts over the benchmark's items (not Normal), with a
  ceiling of 0.95; linear scores have Student-t residuals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from gapbayes.model.design import years_since
from gapbayes.model.effort_classes import effort_class, effort_suffix

ORIGIN = pd.Timestamp("2024-01-01")


def widening_gap(start: float = 5.0, end: float = 9.0, months: float = 6.0,
                 t_end: float = 2.25) -> Callable[[np.ndarray], np.ndarray]:
    """Gap path (months): ``start`` until ``months`` before ``t_end``, then linear to ``end``."""
    t0 = t_end - months / 12.0

    def gap(t: np.ndarray) -> np.ndarray:
        return start + (end - start) * np.clip((np.asarray(t) - t0) / (t_end - t0), 0, 1)

    return gap


def constant_gap(months: float = 6.0) -> Callable[[np.ndarray], np.ndarray]:
    """Return a gap path that stays at ``months``."""
    return lambda t: np.full(np.shape(t), float(months))


def closed_frontier(t: np.ndarray) -> np.ndarray:
    """Known closed frontier (capability units, t in years since 2024): 1.5/yr, accelerating."""
    t = np.asarray(t, float)
    return 1.5 * t + 0.25 * t**2


def open_frontier(t: np.ndarray, gap: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Open frontier: the closed frontier ``gap(t)`` months earlier."""
    return closed_frontier(np.asarray(t, float) - gap(t) / 12.0)


def simulate_on_design(models: pd.DataFrame, benchmarks: pd.DataFrame, scores: pd.DataFrame,
                       gap: Callable[[np.ndarray], np.ndarray], seed: int = 0
                       ) -> pd.DataFrame:
    """Replace the scores of a real design with scores from a world with gap path ``gap``.

    Parameters
    ----------
    models, benchmarks, scores
        Tidy tables (only rows of models with a known access and release date are kept).
    gap
        Gap path in months as a function of years since 2024-01-01.
    seed
        Seed of the world.

    Returns
    -------
    pandas.DataFrame
        A scores table in the tidy format (native scale, no standard errors).
    """
    rng = np.random.default_rng(seed)
    known = models[models["access"].isin(["open", "closed"]) & models["release_date"].notna()]
    sc = scores[scores["model_id"].isin(known["model_id"])
                & scores["benchmark_id"].isin(benchmarks["benchmark_id"])].copy()
    info = known.set_index("model_id")
    base = info["base_model"].where(info["base_model"].astype(str) != "", info.index.to_series())
    t = pd.Series(years_since(info["release_date"], ORIGIN), index=info.index)
    bases = sorted(set(base))
    base_t = t.groupby(base).min()
    base_open = (info["access"] == "open").groupby(base).first()
    front = np.where(base_open.reindex(bases), open_frontier(base_t.reindex(bases).to_numpy(), gap),
                     closed_frontier(base_t.reindex(bases).to_numpy()))
    ability = pd.Series(front - rng.exponential(0.8, len(bases))
                        + 0.15 * rng.standard_t(3, len(bases)), index=bases)
    bench = benchmarks.set_index("benchmark_id")
    cats = sorted(bench["category"].unique())
    difficulty = pd.Series(rng.normal(0.5, 1.2, len(bench)), index=bench.index)
    slope = pd.Series(np.exp(rng.normal(0, 0.3, len(bench))), index=bench.index)
    dev = {(b, c): rng.normal(0, 0.25) for b in bases for c in cats}
    out = []
    for row in sc.itertuples():
        m, b = row.model_id, row.benchmark_id
        k = base[m]
        effort = effort_class(effort_suffix(m, k))
        theta = (ability[k] + dev[(k, bench.loc[b, "category"])]
                 + {"default": 0.0, "minimal": -0.3, "low": -0.1, "medium": 0.1,
                    "high": 0.3, "xhigh": 0.4}[effort])
        if bench.loc[b, "link"] == "linear":
            y = 1.0 + 0.8 * theta + 0.3 * rng.standard_t(5)
            value = float(np.exp(y)) if bench.loc[b, "transform"] == "log" else float(y)
        else:
            chance = float(bench.loc[b, "chance"]) if pd.notna(bench.loc[b, "chance"]) else 0.0
            p = chance + (0.95 - chance) / (1 + np.exp(-slope[b] * (theta - difficulty[b])))
            n = int(bench.loc[b, "n_items"]) if pd.notna(bench.loc[b, "n_items"]) and int(
                bench.loc[b, "n_items"]) > 0 else 200
            value = rng.binomial(n, p) / n
            if bench.loc[b, "transform"] == "percent_to_proportion":
                value *= 100.0
        out.append((b, m, value))
    new = sc[["benchmark_id", "model_id"]].copy()
    new["score"] = [v for _, _, v in out]
    new["stderr"] = np.nan
    for col in ("ci_low", "ci_high"):
        if col in sc:
            new[col] = np.nan
    new["self_reported"] = False
    new["third_party_host"] = False
    new["raw_row"] = np.arange(len(new)) + 2
    return new.reset_index(drop=True)
