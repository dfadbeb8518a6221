"""Selection with a sampling frame (switch ``selection``): which models get evaluated at all.

Why: benchmarks test the models that look promising, and private benchmarks test about ten
closed models per open one. If evaluation depends on capability, the evaluated models are a
tilted sample of their group, and more so in the group that is evaluated less often (a
logistic selection with a low base rate tilts harder than one near 1). The fitted frontier
of the rarely evaluated group then sits too high: on independent worlds with closed:open
10:1 the model without this term under-estimated the gap by about 3 months
(docs/studies.md).

The frame is every base model of the models table released inside the data's window,
evaluated or not. A (frame model, fitted benchmark) pair is a **candidate** when the model's
release lies inside the benchmark's era: the range of release dates of the base models
scored on it. Each candidate pair is evaluated (the model has a score there) or not:

    logit P(evaluated) = selection_access[group] + selection_benchmark[b]
                         + selection_capability * (ability - F_closed(release))

``selection_benchmark`` sums to zero over the benchmarks (the access intercepts carry the
mean). Frame models with no fitted score ("unscored frame models") get abilities from the
same composed-error population as the scored ones, with the population's typical shortfall
scale (no family effect: a family is known only from scored models): their non-evaluation is
what pulls a group's frontier towards the population it was sampled from.

What the frame cannot see: models that no one evaluated on anything are not in the table,
so that first step of selection stays unmodelled on the bundled data (on the independent
worlds the frame is every release). This module imports only numpy, pandas and pymc.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt


def selection_frame(models: pd.DataFrame, fitted_bases: list[str], base_time: np.ndarray,
                    obs_base: np.ndarray, obs_bench: np.ndarray, n_bench: int,
                    times_of: Any) -> dict[str, Any]:
    """Unscored frame models and the candidate (unit, benchmark) pairs.

    Parameters
    ----------
    models
        The whole models table (before the inclusion rule): ``model_id``, ``base_model``
        (optional), ``access`` and ``release_date``.
    fitted_bases, base_time
        The fitted base models and their release times (years since the origin).
    obs_base, obs_bench
        Base model and benchmark of each fitted score.
    n_bench
        Number of fitted benchmarks.
    times_of
        Function: release dates -> years since the origin.

    Returns
    -------
    dict
        ``frame_ids``, ``frame_time``, ``frame_open`` (the unscored frame models inside the
        window [first, last] fitted release), and per candidate pair ``cand_unit`` (a fitted
        base model k, or K + j for unscored frame model j), ``cand_bench`` and
        ``cand_evaluated`` (1 = scored).
    """
    base = models["base_model"] if "base_model" in models else models["model_id"]
    base = base.where(base.astype(str) != "", models["model_id"]).astype(str)
    frame = (models.assign(base_model=base)
             .dropna(subset=["release_date"])
             .loc[lambda m: m["access"].isin(["open", "closed"])]
             .groupby("base_model", sort=True)
             .agg(access=("access", "first"), release=("release_date", "min"))
             .reset_index())
    t = np.asarray(times_of(frame["release"]), float)
    lo, hi = float(base_time.min()), float(base_time.max())
    unscored = (~frame["base_model"].isin(set(fitted_bases))).to_numpy() & (t >= lo) & (t <= hi)
    unscored_time, unscored_open = t[unscored], (frame["access"] == "open").to_numpy(int)[unscored]
    K = len(fitted_bases)
    scored = np.zeros((K, n_bench), int)
    scored[obs_base, obs_bench] = 1
    era_lo = np.array([base_time[scored[:, b] == 1].min() for b in range(n_bench)])
    era_hi = np.array([base_time[scored[:, b] == 1].max() for b in range(n_bench)])
    unit_time = np.concatenate([base_time, unscored_time])
    candidate = (unit_time[:, None] >= era_lo) & (unit_time[:, None] <= era_hi)
    unit, bench = np.nonzero(candidate)
    evaluated = np.concatenate([scored, np.zeros((len(unscored_time), n_bench), int)])
    return {"frame_ids": frame["base_model"][unscored].tolist(), "frame_time": unscored_time,
            "frame_open": unscored_open, "cand_unit": unit.astype(int),
            "cand_bench": bench.astype(int), "cand_evaluated": evaluated[unit, bench]}


def uses_selection(data: Any, spec: Any) -> bool:
    """Tell whether the term exists: its switch and a candidate pair not evaluated."""
    return bool(spec.switches.get("selection", False)) and bool(
        len(data.cand_evaluated) and (data.cand_evaluated == 0).any())


def frontier_at(frontier: pt.TensorVariable, group: np.ndarray, left: np.ndarray,
                frac: np.ndarray) -> pt.TensorVariable:
    """Frontier (2, G) of ``group`` interpolated between grid points ``left`` and ``left+1``."""
    G = frontier.shape[1]
    flat = frontier.reshape((-1,))
    idx = group * G + left
    return flat[idx] * (1.0 - frac) + flat[idx + 1] * frac


def add_selection(data: Any, spec: Any, frontier: pt.TensorVariable,
                  ability: pt.TensorVariable, noise_sd: pt.TensorVariable,
                  log_shortfall: pt.TensorVariable) -> None:
    """Add unscored frame abilities and the evaluation likelihood (PyMC model in context).

    ``noise_sd`` and ``log_shortfall`` are the soft frontier's symmetric sd and typical log
    shortfall scale (the population the unscored frame models come from).
    """
    units = [ability]
    if len(data.frame_ids):
        su = pt.exp(log_shortfall)
        mu = frontier_at(frontier, data.frame_open, data.frame_cell_left, data.frame_cell_frac)
        units.append(pm.SkewNormal("frame_ability", mu=mu, sigma=pt.sqrt(su**2 + noise_sd**2),
                                   alpha=-su / noise_sd, dims="frame_model"))
    every = pt.concatenate(units)
    left = np.concatenate([data.base_cell_left, data.frame_cell_left]).astype(int)
    frac = np.concatenate([data.base_cell_frac, data.frame_cell_frac])
    relative = every - frontier_at(frontier, np.zeros(len(left), int), left, frac)
    group = np.concatenate([data.base_open, data.frame_open]).astype(int)
    p_acc, p_cap = spec.prior("selection_access"), spec.prior("selection_capability")
    access = pm.Normal("selection_access", p_acc["mu"], p_acc["sigma"], dims="access")
    bench = pm.ZeroSumNormal("selection_benchmark",
                             sigma=spec.prior("selection_benchmark")["sigma"], dims="benchmark")
    slope = pm.Normal("selection_capability", p_cap["mu"], p_cap["sigma"])
    u, b = data.cand_unit, data.cand_bench
    eta = access[group[u]] + bench[b] + slope * relative[u]
    # a Potential, not an observed Bernoulli: the evaluation pattern is part of the design,
    # not a score, so it stays out of the pointwise log-likelihood (LOO, the Stan twin's
    # log_lik) and of the posterior predictive
    e = data.cand_evaluated
    pm.Potential("selection_loglik", pt.sum(e * eta - pt.softplus(eta)))
