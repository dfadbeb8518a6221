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
                         + selection_family_sd * selection_family_z[lab]
                         + selection_era[b] . (P1(z), P2(z))
                         + selection_capability * (ability - F_closed(release))

``selection_benchmark`` sums to zero over the benchmarks (the access intercepts carry the
mean). The lab term: some labs' models are run by every evaluator whatever their capability
(hierarchical over the labs of the frame, so a lab with few models shrinks to its group). The
era term: how often a benchmark is run changes over its era (few runs of models released
before it was popular or after it went out of use), a popularity curve that is not
capability; ``z`` is the release's position in the era scaled to [-1, 1] and P1, P2 the first
two Legendre polynomials. On the bundled data, open candidate pairs were evaluated at 8% in
the first fifth of an era, 27% in the middle fifth and 16% in the last (closed: 27%, 38%,
29%); with no era term only the capability slope could follow that shape.

Frame models with no fitted score ("unscored frame models") get abilities from the
same prior as the scored ones: the composed error around their group's frontier with their
lab's shortfall scale (and, with those switches, the lab's walk and the Chinese offset).
Their non-evaluation is what pulls a group's frontier towards the population it was
sampled from. One prior for every unit, evaluated or not, is what makes the term a
generative model of the evaluation pattern (:func:`coherent_units`); so, with the term on,
the selection covariate is the general ability of every model (a model scored in one
category keeps its deviation apart, ``single_dev_z``).

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

from gapbayes.model.composed_error import composed_ability


def selection_frame(models: pd.DataFrame, fitted_bases: list[str], base_time: np.ndarray,
                    obs_base: np.ndarray, obs_bench: np.ndarray, n_bench: int,
                    times_of: Any, candidates: pd.DataFrame | None = None,
                    bench_ids: list[str] | None = None) -> dict[str, Any]:
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
    candidates, bench_ids
        A fixed frame (:func:`candidate_table`: ``base_model``, ``benchmark_id``, ``era``)
        and the fitted benchmarks' ids. Given, the candidate pairs and their era positions
        are these instead of functions of which models were scored (so that simulated
        evaluation patterns can be fitted on the design they were drawn on: SBC), and every
        base model the table names that has no fitted score is an unscored frame model.

    Returns
    -------
    dict
        ``frame_ids``, ``frame_time``, ``frame_open``, ``frame_labs`` (lab names, "other"
        for none) and ``frame_chinese`` (the unscored frame models inside the window
        [first, last] fitted release); ``sel_family_names`` and ``unit_family`` (the
        lab of every unit: fitted base models, then frame models; "other" when the table has
        none); per candidate pair ``cand_unit`` (a fitted base model k, or K + j for unscored
        frame model j), ``cand_bench``, ``cand_evaluated`` (1 = scored) and ``cand_era``
        (the release's position in the benchmark's era, -1 at its first scored release, +1 at
        its last, 0 when the era is one date).
    """
    base = models["base_model"] if "base_model" in models else models["model_id"]
    base = base.where(base.astype(str) != "", models["model_id"]).astype(str)
    lab = models["family"] if "family" in models else pd.Series("", index=models.index)
    lab = lab.fillna("").astype(str).replace("", "other")
    chinese = (models["chinese"].fillna(False).astype(bool) if "chinese" in models
               else pd.Series(False, index=models.index))
    frame = (models.assign(base_model=base, family=lab, chinese=chinese)
             .dropna(subset=["release_date"])
             .loc[lambda m: m["access"].isin(["open", "closed"])]
             .groupby("base_model", sort=True)
             .agg(access=("access", "first"), release=("release_date", "min"),
                  family=("family", "first"), chinese=("chinese", "first"))
             .reset_index())
    t = np.asarray(times_of(frame["release"]), float)
    lo, hi = float(base_time.min()), float(base_time.max())
    unscored = (~frame["base_model"].isin(set(fitted_bases))).to_numpy().copy()
    if candidates is None:
        unscored &= (t >= lo) & (t <= hi)
    else:
        unscored &= frame["base_model"].isin(set(candidates["base_model"])).to_numpy()
    unscored_time, unscored_open = t[unscored], (frame["access"] == "open").to_numpy(int)[unscored]
    K = len(fitted_bases)
    scored = np.zeros((K, n_bench), int)
    scored[obs_base, obs_bench] = 1
    evaluated = np.concatenate([scored, np.zeros((len(unscored_time), n_bench), int)])
    if candidates is None:
        unit, bench, era = _era_pairs(base_time, unscored_time, scored)
    else:
        unit_ids = list(fitted_bases) + frame["base_model"][unscored].tolist()
        unit, bench, era = _fixed_pairs(candidates, unit_ids, list(bench_ids or []), scored)
    family_of = dict(zip(frame["base_model"], frame["family"], strict=True))
    unit_lab = [family_of.get(b, "other") for b in fitted_bases]
    unit_lab += frame["family"][unscored].tolist()
    labs, unit_family = np.unique(np.asarray(unit_lab, dtype=str), return_inverse=True)
    return {"frame_ids": frame["base_model"][unscored].tolist(), "frame_time": unscored_time,
            "frame_open": unscored_open, "frame_labs": frame["family"][unscored].tolist(),
            "frame_chinese": frame["chinese"][unscored].to_numpy(bool).astype(int),
            "sel_family_names": labs.tolist(),
            "unit_family": unit_family.astype(int), "cand_unit": unit.astype(int),
            "cand_bench": bench.astype(int), "cand_evaluated": evaluated[unit, bench],
            "cand_era": np.clip(era, -1.0, 1.0)}


def _era_pairs(base_time: np.ndarray, unscored_time: np.ndarray, scored: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate (unit, benchmark) pairs and era positions from the scored releases."""
    n_bench = scored.shape[1]
    era_lo = np.array([base_time[scored[:, b] == 1].min() for b in range(n_bench)])
    era_hi = np.array([base_time[scored[:, b] == 1].max() for b in range(n_bench)])
    unit_time = np.concatenate([base_time, unscored_time])
    candidate = (unit_time[:, None] >= era_lo) & (unit_time[:, None] <= era_hi)
    unit, bench = np.nonzero(candidate)
    half = (era_hi - era_lo) / 2.0
    era = np.divide(unit_time[unit] - (era_lo + half)[bench], half[bench],
                    out=np.zeros(len(unit)), where=half[bench] > 0)
    return unit, bench, era


def _fixed_pairs(candidates: pd.DataFrame, unit_ids: list[str], bench_ids: list[str],
                 scored: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index the pairs of a fixed frame into this fit's units and benchmarks."""
    unit_of = {u: i for i, u in enumerate(unit_ids)}
    bench_of = {b: i for i, b in enumerate(bench_ids)}
    missing = sorted(set(candidates["benchmark_id"]) - set(bench_of))
    if missing:
        raise ValueError("the fixed selection frame names benchmarks that are not fitted: "
                         + ", ".join(missing))
    unknown = sorted(set(candidates["base_model"]) - set(unit_of))
    if unknown:
        raise ValueError("the fixed selection frame names base models with no release date "
                         "or access in the models table: " + ", ".join(unknown[:5]))
    unit = candidates["base_model"].map(unit_of).to_numpy(int)
    bench = candidates["benchmark_id"].map(bench_of).to_numpy(int)
    k, b = np.nonzero(scored)
    pairs = set(zip(unit.tolist(), bench.tolist(), strict=True))
    outside = [(unit_ids[i], bench_ids[j]) for i, j in zip(k, b, strict=True)
               if (i, j) not in pairs]
    if outside:
        raise ValueError(f"{len(outside)} scored pairs lie outside the fixed selection frame, "
                         f"e.g. {outside[0][0]} on {outside[0][1]}")
    return unit.astype(int), bench, candidates["era"].to_numpy(float)


def candidate_table(data: Any) -> pd.DataFrame:
    """Return a design's candidate pairs as a fixed frame for :func:`selection_frame`.

    Columns ``base_model``, ``benchmark_id`` and ``era``, one row per candidate pair.
    """
    units = list(data.base_ids) + list(data.frame_ids)
    return pd.DataFrame({"base_model": [units[u] for u in data.cand_unit],
                         "benchmark_id": [data.bench_ids[b] for b in data.cand_bench],
                         "era": np.asarray(data.cand_era, float)})


def selects(frame: dict[str, Any], spec: Any) -> bool:
    """:func:`uses_selection` on the output of :func:`selection_frame` (before the design)."""
    return bool(spec.switches.get("selection", False)) and bool(
        (np.asarray(frame["cand_evaluated"]) == 0).any())


def coherent_units(frame: dict[str, Any], families: list[str], on: bool
                   ) -> tuple[list[str], np.ndarray]:
    """Give every unit of the frame one ability prior, whether it is scored or not.

    Why: the evaluation pattern is data, so a model's prior must not depend on whether it
    happened to be evaluated. With the term on, an unscored frame model's shortfall scale
    gets its lab's term like a scored model's (labs seen only in the frame join the
    ``family`` dimension, informed by the evaluation pattern alone). The other half is in
    :func:`gapbayes.model.frontier_pymc.base_abilities`: a model scored in one category keeps
    its category deviation apart from its general ability (``single_dev_z``), so the
    selection covariate is the general ability of every model.

    Returns
    -------
    families, frame_family
        The family names and each unscored frame model's index into them (0 when the term
        is off: unused).
    """
    labs = frame["frame_labs"]
    if not on:
        return families, np.zeros(len(labs), int)
    families = sorted(set(families) | set(labs))
    return families, np.array([families.index(f) for f in labs], int)


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
                  ability: pt.TensorVariable, frame_prior: tuple | None) -> None:
    """Add unscored frame abilities and the evaluation likelihood (PyMC model in context).

    ``ability`` is the scored base models' general ability; ``frame_prior`` the (frontier,
    shortfall scale, symmetric sd, shortfall shape) of the unscored frame models' composed
    error: the scored models' prior, lab term included (:func:`coherent_units`), or None when
    the frame has no unscored model.
    """
    units = [ability]
    if frame_prior is not None:
        mu, su, sv, shape = frame_prior
        units.append(composed_ability("frame_ability", shape, mu, su, sv, dims="frame_model"))
    every = pt.concatenate(units)
    left = np.concatenate([data.base_cell_left, data.frame_cell_left]).astype(int)
    frac = np.concatenate([data.base_cell_frac, data.frame_cell_frac])
    relative = every - frontier_at(frontier, np.zeros(len(left), int), left, frac)
    group = np.concatenate([data.base_open, data.frame_open]).astype(int)
    p_acc, p_cap = spec.prior("selection_access"), spec.prior("selection_capability")
    access = pm.Normal("selection_access", p_acc["mu"], p_acc["sigma"], dims="access")
    bench = pm.ZeroSumNormal("selection_benchmark",
                             sigma=spec.prior("selection_benchmark")["sigma"], dims="benchmark")
    lab_sd = pm.HalfNormal("selection_family_sd",
                           sigma=spec.prior("selection_family_sd")["sigma"])
    lab_z = pm.Normal("selection_family_z", 0.0, 1.0, dims="selection_family")
    era = pm.Normal("selection_era", 0.0, spec.prior("selection_era")["sigma"],
                    dims=("benchmark", "era_term"))
    slope = pm.Normal("selection_capability", p_cap["mu"], p_cap["sigma"])
    u, b, z = data.cand_unit, data.cand_bench, data.cand_era
    eta = (access[group[u]] + bench[b] + lab_sd * lab_z[data.unit_family[u]]
           + era[b, 0] * z + era[b, 1] * (1.5 * z**2 - 0.5) + slope * relative[u])
    # a Potential, not an observed Bernoulli: the evaluation pattern is part of the design,
    # not a score, so it stays out of the pointwise log-likelihood (LOO, the Stan twin's
    # log_lik) and of the posterior predictive
    e = data.cand_evaluated
    pm.Potential("selection_loglik", pt.sum(e * eta - pt.softplus(eta)))
