"""SBC of the selection switch: evaluation patterns drawn from the model on a fixed frame.

The fixed-design SBC (:mod:`gapbayes.sbc.runner`) draws scores for a fixed set of scored
pairs, so it cannot check a term whose data is *which* pairs are scored. Here each
simulation draws, from the prior of the model with the switch on:

1. every parameter and the ability of every unit of a fixed frame (one prior for every unit,
   scored or not: :func:`gapbayes.model.selection.coherent_units`);
2. a score for every candidate pair of the frame (the model's own score likelihood);
3. the evaluation pattern E, Bernoulli with the selection logit (:func:`selection_logit`, a
   numpy implementation of the model's formula: tests/test_selection_sbc.py checks that it
   gives the model's own density);

and keeps the scores of the evaluated pairs. The fit sees those scores and E, on the same
frame, candidate pairs and era positions (fixed: in a real fit they are computed from the
scores) and the same time grid. Which units are scored changes with E, so every fit builds
and compiles its own model: about a minute per simulation at the design's size.

Design choices and why:

- *One category, sigmoid links only, no effort variants.* The default model's category-trend
  prior weights its zero-sum bases by where the scores are, linear scores are standardised by
  their own mean and sd, and effort variants are scored where their base model is: three
  more places where a design depends on the scores, which would make the fitted density
  differ from the simulated one for reasons that have nothing to do with selection.
- *Simulations whose fit would drop a benchmark or a model under the inclusion rule* are
  recorded as ``skipped``. Rejecting simulations on their data only keeps the ranks of the
  others uniform.

Monitored: the selection slope, both access intercepts and the lab sd; the frontier noise sd
and the typical log shortfall scale; both frontiers and their difference at three fixed grid
dates; and the log-likelihood of E (the data-dependent test quantity of Modrak et al. 2023,
for the part of the data this SBC is about).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit

from gapbayes.model.frontier_design import FrontierData, build_frontier_data, single_category
from gapbayes.model.frontier_simulate import draw_from_prior, frontier_design, scores_table
from gapbayes.model.selection import candidate_table
from gapbayes.model.spec import Spec
from gapbayes.sbc.backends import FitDraws, NutpieBackend, SBCSettings
from gapbayes.sbc.ranks import LOGLIK, rank_simulation
from gapbayes.sbc.runner import STATUS_NOT_CONVERGED, STATUS_OK, STATUS_SKIPPED

#: positions of the three monitored dates inside the frame's releases (share of the span)
DATE_SHARES = (0.25, 0.5, 0.75)
SCALARS = ("selection_capability", "selection_family_sd", "frontier_noise_sd",
           "shortfall_log_scale")
EVALUATED = "evaluated"


@dataclass(frozen=True)
class SelectionDesign:
    """A fixed frame: every unit scored on every candidate pair (the simulator's design).

    Attributes
    ----------
    models, benchmarks, scores
        Tidy tables; ``scores`` has one row per candidate pair.
    candidates
        The fixed frame (:func:`gapbayes.model.selection.candidate_table`).
    data
        The design's arrays with the frame fixed (every unit scored).
    spec
        The spec, with the switch ``selection`` on.
    """

    models: pd.DataFrame
    benchmarks: pd.DataFrame
    scores: pd.DataFrame
    candidates: pd.DataFrame
    data: FrontierData
    spec: Spec


def selection_design(spec: Spec, n_models: int = 60, n_benchmarks: int = 6,
                     seed: int = 0) -> SelectionDesign:
    """Make a fixed frame from a synthetic design (one category, sigmoid links, no efforts)."""
    # the frame is fixed: the floor rule (min_above_floor) would make it depend on each
    # simulation's scores, and a simulation it changed would be skipped for its data
    spec = spec.with_changes(switches={"selection": True}, data={"min_above_floor": 0})
    models, benchmarks, scores = frontier_design(
        n_models=n_models, n_benchmarks=n_benchmarks, n_linear=0, eval_rate=1.0,
        effort_share=0.0, seed=seed)
    benchmarks = benchmarks.assign(category=benchmarks["category"].iloc[0])
    candidates = candidate_table(build_frontier_data(models, benchmarks, scores, spec))
    # one score row per candidate pair (no effort variants: a base model's id is its
    # model's), host and self-report flags kept where the design scored the pair
    scores = (candidates.rename(columns={"base_model": "model_id"})[["benchmark_id", "model_id"]]
              .merge(scores, on=["benchmark_id", "model_id"], how="left")
              .assign(score=lambda x: (1.0 + x["benchmark_id"].map(   # above the floor
                          benchmarks.set_index("benchmark_id")["chance"])) / 2.0,
                      self_reported=lambda x: x["self_reported"].astype("boolean")
                      .fillna(False).astype(bool),
                      third_party_host=lambda x: x["third_party_host"].astype("boolean")
                      .fillna(False).astype(bool)))
    scores["raw_row"] = np.arange(len(scores)) + 2
    data = build_frontier_data(models, benchmarks, scores, spec, candidates=candidates)
    return SelectionDesign(models, benchmarks, scores, candidates, data, spec)


def unit_ids(data: FrontierData) -> list[str]:
    """Every unit of a design: fitted base models, then unscored frame models."""
    return list(data.base_ids) + list(data.frame_ids)


def closed_frontier_at_release(data: FrontierData, frontier: np.ndarray) -> np.ndarray:
    """(S, units) the closed frontier at each unit's release; ``frontier`` is (S, 2, G)."""
    left = np.concatenate([data.base_cell_left, data.frame_cell_left]).astype(int)
    frac = np.concatenate([data.base_cell_frac, data.frame_cell_frac])
    return frontier[:, 0, left] * (1.0 - frac) + frontier[:, 0, left + 1] * frac


def selection_logit(data: FrontierData, theta: dict[str, np.ndarray],
                    ability: np.ndarray) -> np.ndarray:
    """(S, pairs) logit P(evaluated) of every candidate pair of ``data``.

    ``theta`` holds the selection parameters and ``frontier`` with a leading sample axis S;
    ``ability`` is (S, units) in the order of :func:`unit_ids`.
    """
    u, b, z = data.cand_unit, data.cand_bench, np.asarray(data.cand_era, float)
    group = np.concatenate([data.base_open, data.frame_open]).astype(int)
    relative = ability - closed_frontier_at_release(data, np.asarray(theta["frontier"]))
    era = np.asarray(theta["selection_era"])
    lab = np.asarray(theta["selection_family_z"])[:, data.unit_family[u]]
    return (np.asarray(theta["selection_access"])[:, group[u]]
            + np.asarray(theta["selection_benchmark"])[:, b]
            + np.asarray(theta["selection_family_sd"]).reshape(-1, 1) * lab
            + era[:, b, 0] * z + era[:, b, 1] * (1.5 * z**2 - 0.5)
            + np.asarray(theta["selection_capability"]).reshape(-1, 1) * relative[:, u])


@dataclass(frozen=True)
class SelectionSimulation:
    """One simulated world: the prior draw, E on the frame's pairs, the kept scores.

    ``prior`` holds the model's own variables (``ability``: the cell ability of a
    single-category model); :func:`to_frame_order` turns it into every unit's general
    ability.
    """

    index: int
    prior: dict[str, np.ndarray]
    evaluated: np.ndarray
    scores: pd.DataFrame


def simulate(design: SelectionDesign, index: int, seed: int) -> SelectionSimulation:
    """Draw simulation ``index`` (depends only on (seed, index))."""
    d = design.data
    # the model's selection terms exist only with an unevaluated pair; the evaluation
    # Potential itself does not enter prior draws, so the pattern set here does not matter
    full = replace(d, cand_evaluated=np.zeros_like(d.cand_evaluated))
    rng = np.random.default_rng([seed, index])
    truth, y = draw_from_prior(full, design.spec, seed=int(rng.integers(2**31)))
    one = {k: np.asarray(v)[None, ...] for k, v in to_frame_order(design, d, truth).items()}
    p = expit(selection_logit(d, one, one["ability"])[0])
    evaluated = (rng.random(len(p)) < p).astype(int)
    units = unit_ids(d)
    kept = {(units[u], d.bench_ids[b])
            for u, b, e in zip(d.cand_unit, d.cand_bench, evaluated, strict=True) if e}
    table = scores_table(d, y)
    base = [d.base_ids[k] for k in d.model_base[d.obs_model]]
    mask = [(k, b) in kept for k, b in zip(base, table["benchmark_id"], strict=True)]
    return SelectionSimulation(index, truth, evaluated, table[mask].reset_index(drop=True))


class SelectionQuantities:
    """What this SBC ranks, on the fixed frame's unit order (``ability`` is every unit)."""

    def __init__(self, design: SelectionDesign) -> None:
        d = design.data
        t = np.asarray(d.grid_time)
        span = np.concatenate([d.base_time, d.frame_time])
        self._design = d
        self.grid_index = {f"t{int(s * 100)}": int(np.argmin(np.abs(
            t - (span.min() + s * (span.max() - span.min()))))) for s in DATE_SHARES}
        self.names = ([*SCALARS, "selection_access[closed]", "selection_access[open]"]
                      + [f"{q}[{k}]" for k in self.grid_index
                         for q in ("F_closed", "F_open", "F_gap")] + [LOGLIK])

    def describe(self) -> dict[str, str]:
        """One line per quantity (the report's legend)."""
        when = {k: f"{2024 + self._design.grid_time[i]:.2f}" for k, i in self.grid_index.items()}
        out = {k: k for k in SCALARS}
        out.update({"selection_access[closed]": "logit evaluation rate, closed",
                    "selection_access[open]": "logit evaluation rate, open"})
        for k, w in when.items():
            out[f"F_closed[{k}]"] = f"closed frontier at year {w}"
            out[f"F_open[{k}]"] = f"open frontier at year {w}"
            out[f"F_gap[{k}]"] = f"closed minus open frontier at year {w}"
        out[LOGLIK] = "log-likelihood of the evaluation pattern"
        return out

    def values(self, theta: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Return the monitored quantities per draw (leading sample axis)."""
        out = {k: np.asarray(theta[k], float).reshape(-1) for k in SCALARS}
        access = np.asarray(theta["selection_access"], float)
        out["selection_access[closed]"], out["selection_access[open]"] = access.T
        F = np.asarray(theta["frontier"], float)
        for k, i in self.grid_index.items():
            out[f"F_closed[{k}]"], out[f"F_open[{k}]"] = F[:, 0, i], F[:, 1, i]
            out[f"F_gap[{k}]"] = F[:, 0, i] - F[:, 1, i]
        return out

    def loglik(self, y: dict[str, np.ndarray], theta: dict[str, np.ndarray]) -> np.ndarray:
        """Bernoulli log-likelihood of E (``y[EVALUATED]``) at every draw."""
        eta = selection_logit(self._design, theta, np.asarray(theta["ability"], float))
        e = np.asarray(y[EVALUATED])[None, :]
        return np.sum(e * log_expit(eta) + (1 - e) * log_expit(-eta), axis=1)


def to_frame_order(design: SelectionDesign, fit_data: FrontierData,
                   draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Draws with ``ability`` (..., units): every unit's general ability, frame order.

    A model scored in one category has its cell ability in ``ability`` and its deviation in
    ``single_dev_z`` (:func:`gapbayes.model.frontier_pymc.base_abilities`); the selection
    covariate is the general ability, the cell ability minus the deviation.
    """
    ability = np.array(draws["ability"], dtype=float)
    single = np.flatnonzero(single_category(fit_data))
    if len(single) and "single_dev_z" in draws:
        sd = np.asarray(draws["category_dev_sd"], float)[..., None]
        ability[..., single] -= sd * np.asarray(draws["single_dev_z"], float)
    if "frame_ability" in draws:
        ability = np.concatenate([ability, np.asarray(draws["frame_ability"])], axis=-1)
    where = {u: i for i, u in enumerate(unit_ids(fit_data))}
    order = [where[u] for u in unit_ids(design.data)]
    return {**draws, "ability": ability[..., order]}


def run_one(design: SelectionDesign, sim: SelectionSimulation, settings: SBCSettings,
            seed: int) -> dict[str, Any]:
    """Fit one simulation and rank it; ``status`` is ok, not_converged or skipped."""
    record: dict[str, Any] = {"index": sim.index,
                              "evaluated_share": float(sim.evaluated.mean())}
    try:
        data = build_frontier_data(design.models, design.benchmarks, sim.scores, design.spec,
                                   candidates=design.candidates)
    except ValueError as err:          # the inclusion rule dropped a benchmark or a model
        return {**record, "status": STATUS_SKIPPED, "reason": str(err)}
    backend = NutpieBackend(settings)
    backend.prepare(data, design.spec)
    y_data = {"y_sig_data": data.y[data.sig_idx]}
    fit = backend.fit(y_data, seed)
    posterior = to_frame_order(design, data, fit.posterior)
    quantities = SelectionQuantities(design)
    rec = rank_simulation(quantities, to_frame_order(design, design.data, sim.prior),
                          {EVALUATED: sim.evaluated}, FitDraws(posterior, fit.diverging),
                          settings.thin, np.random.default_rng([seed, sim.index, 1]))
    status = STATUS_OK if rec.pop("converged") else STATUS_NOT_CONVERGED
    return {**record, **rec, "status": status}


def run_selection_sbc(design: SelectionDesign, out: Path, n: int, settings: SBCSettings,
                      seed: int = 0, progress: Any = None) -> list[dict[str, Any]]:
    """Run simulations 0..n-1 (resumable: a simulation with a record file is not refitted).

    Each record is written atomically to ``<out>/sims/<i>.json`` as soon as its fit ends.
    """
    from gapbayes.atomic import write_text

    sims = out / "sims"
    sims.mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(n):
        path = sims / f"{i}.json"
        if path.exists():
            records.append(json.loads(path.read_text()))
            continue
        began = time.time()
        rec = run_one(design, simulate(design, i, seed), settings, seed=seed * 100_003 + i)
        rec["seconds"] = time.time() - began
        write_text(path, json.dumps(rec, default=float, indent=1))
        records.append(rec)
        if progress is not None:
            progress(i, rec)
    return records
