"""Generate one independent world: releases, abilities, evaluations, runs and tidy tables.

Steps (module docstrings of :mod:`~gapbayes.worlds.curves` and
:mod:`~gapbayes.worlds.benchmarks` define the curves and the benchmarks):

1. labs and their trajectories; releases spread uniformly over the window, each lab getting
   an equal share of its group's releases;
2. ability of base model k = its lab's trajectory at release + ``ability_scale`` *
   Student-t(``ability_df``), minus a Gamma shortfall for small models; per (model,
   category) Normal deviations;
3. evaluation: each candidate (base model, benchmark) pair is evaluated with the probability
   of :func:`~gapbayes.worlds.benchmarks.evaluation_probability` (capability and access);
4. runs of an evaluated pair: an independent run, first party or on a third-party host
   (model id ``<host>/<base>``, ``third_party_host`` true; the host costs a known number of
   points), sometimes both; and sometimes the developer's own report (``self_reported``,
   source ``developer report``: a known inflation in points), alone or next to an
   independent run. Tuned open models gain a known boost on public benchmarks, and every
   open model gains ``contamination`` points on a public benchmark in proportion to how long
   its items have been public (:func:`contamination_gain`);
5. observed score: the expected score (effects in points added on the proportion scale,
   clipped to [0, 1]) made noisy by item heterogeneity (a Beta with sd ``overdispersion``
   at 0.5) and item sampling (binomial over ``n_items``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapbayes.worlds.benchmarks import (
    benchmarks_frame,
    candidates,
    evaluation_probability,
    make_benchmarks,
)
from gapbayes.worlds.config import CATEGORIES, HOSTS, WorldConfig, to_date
from gapbayes.worlds.curves import group_frontier, lab_capability, make_labs, truth_path
from gapbayes.worlds.tables import World, WorldTruth, models_frame, typed

HOST_MULTIPLIER = dict(zip(HOSTS, (0.5, 1.0, 1.5), strict=True))
INDEPENDENT = "independent evaluator"
DEVELOPER = "developer report"


def _releases(cfg: WorldConfig, labs, rng: np.random.Generator) -> pd.DataFrame:
    """Draw the base models: lab, access, release time (years), id ``<lab>-m<nn>``."""
    lo, hi = cfg.window
    n_open = int(round(cfg.open_share * cfg.n_models))
    rows = []
    for access, n in (("closed", cfg.n_models - n_open), ("open", n_open)):
        members = [lab for lab in labs if lab.access == access]
        owner = np.arange(n) % len(members)
        for j, lab in enumerate(members):
            times = np.sort(rng.uniform(lo, hi, int((owner == j).sum())))
            for i, t in enumerate(times):
                rows.append({"model_id": f"{lab.name}-m{i + 1:02d}", "lab": lab.name,
                             "access": access, "t": float(t), "chinese": lab.chinese})
    return pd.DataFrame(rows)


def _abilities(cfg: WorldConfig, labs, rel: pd.DataFrame, rng: np.random.Generator
               ) -> pd.DataFrame:
    by_name = {lab.name: lab for lab in labs}
    trajectory = np.array([float(lab_capability(by_name[lab], np.array([t]), cfg)[0])
                           for lab, t in zip(rel["lab"], rel["t"], strict=True)])
    small = rng.random(len(rel)) < cfg.small_share
    shortfall = np.where(small, rng.gamma(2.0, cfg.small_shortfall / 2.0, len(rel)), 0.0)
    noise = cfg.ability_scale * rng.standard_t(cfg.ability_df, len(rel))
    tuned = (rel["access"] == "open").to_numpy() & (rng.random(len(rel)) < cfg.tuned_share)
    top = np.maximum(group_frontier(labs, "closed", cfg)(rel["t"].to_numpy()),
                     group_frontier(labs, "open", cfg)(rel["t"].to_numpy()))
    ability = trajectory + noise - shortfall
    return rel.assign(trajectory=trajectory, small=small, shortfall=shortfall, ability=ability,
                      relative=ability - top, tuned=tuned)


def contamination_gain(cfg: WorldConfig, bench, base: pd.Series) -> float:
    """Proportion an open model gains on a public benchmark from leaked items.

    ``contamination`` points times the share of ``contamination_years`` that the benchmark's
    items had been public when the model was released (0 before the benchmark appeared).
    """
    if base["access"] != "open" or not bench.public:
        return 0.0
    exposed = min(max((base["t"] - bench.intro) / cfg.contamination_years, 0.0), 1.0)
    return cfg.contamination / 100.0 * exposed


def _runs(cfg: WorldConfig, bench, base: pd.Series, theta: float,
          rng: np.random.Generator) -> list[dict]:
    """Score rows of one evaluated (base model, benchmark) pair, with their expected scores."""
    clean = float(bench.expected(theta))
    boost = cfg.tuning_boost / 100.0 if (base["tuned"] and bench.public) else 0.0
    common = {"benchmark_id": bench.benchmark_id, "base_model": base["model_id"],
              "access": base["access"], "p_clean": clean, "tuning": boost,
              "contamination": contamination_gain(cfg, bench, base)}
    rows = []
    independent = True
    if rng.random() < cfg.self_report_share:
        rows.append({**common, "model_id": base["model_id"], "source": DEVELOPER,
                     "self_reported": True, "host": "", "host_cost": 0.0,
                     "inflation": cfg.self_inflation / 100.0})
        independent = rng.random() < cfg.self_pair_share
    if independent:
        hosted = base["access"] == "open" and rng.random() < bench.host_share
        if hosted:
            host = HOSTS[int(rng.integers(len(HOSTS)))]
            rows.append({**common, "model_id": f"{host}/{base['model_id']}", "source": INDEPENDENT,
                         "self_reported": False, "host": host,
                         "host_cost": cfg.host_cost * HOST_MULTIPLIER[host] / 100.0,
                         "inflation": 0.0})
        if not hosted or rng.random() < cfg.host_pair_share:
            rows.append({**common, "model_id": base["model_id"], "source": INDEPENDENT,
                         "self_reported": False, "host": "", "host_cost": 0.0,
                         "inflation": 0.0})
    return rows


def _observe(expected: np.ndarray, n_items: np.ndarray, cfg: WorldConfig,
             rng: np.random.Generator) -> np.ndarray:
    """Item heterogeneity (Beta around the expected score) then binomial item sampling."""
    p = np.clip(expected, 1e-4, 1.0 - 1e-4)
    if cfg.overdispersion > 0:
        kappa = max(0.25 / cfg.overdispersion**2 - 1.0, 1.0)
        p = rng.beta(kappa * p, kappa * (1.0 - p))
    return rng.binomial(n_items, p) / n_items


def generate_world(cfg: WorldConfig, seed: int = 0) -> World:
    """Generate one world.

    Parameters
    ----------
    cfg
        The world's settings.
    seed
        Its seed: the same (cfg, seed) gives the same world.

    Returns
    -------
    World
        Tidy ``models``, ``benchmarks`` and ``scores`` tables, typed and validated as
        :func:`gapbayes.data.load_tidy` returns them, and the :class:`WorldTruth`.
    """
    rng = np.random.default_rng(seed)
    labs = make_labs(cfg, rng)
    benches = make_benchmarks(cfg, rng)
    bases = _abilities(cfg, labs, _releases(cfg, labs, rng), rng)
    cat_dev = rng.normal(0.0, cfg.category_sd, (len(bases), len(CATEGORIES)))
    release = bases["t"].to_numpy()
    is_open = (bases["access"] == "open").to_numpy()
    active = np.column_stack([candidates(b, release, cfg) for b in benches])
    prob, calibration = evaluation_probability(bases["relative"].to_numpy(), is_open, active,
                                               cfg)
    evaluated = rng.random(prob.shape) < prob
    rows = []
    for k, j in zip(*np.nonzero(evaluated), strict=True):
        b = benches[j]
        theta = bases.at[k, "ability"] + cat_dev[k, CATEGORIES.index(b.category)]
        rows.extend(_runs(cfg, b, bases.iloc[k], theta, rng))
    runs = pd.DataFrame(rows)
    runs["p_expected"] = np.clip(runs["p_clean"] + runs["tuning"] + runs["contamination"]
                                 + runs["inflation"] - runs["host_cost"], 0.0, 1.0)
    by_id = {b.benchmark_id: b for b in benches}
    n_items = runs["benchmark_id"].map(lambda b: by_id[b].n_items).to_numpy()
    runs["observed"] = _observe(runs["p_expected"].to_numpy(), n_items, cfg, rng)
    runs = runs.sort_values(["benchmark_id", "model_id", "source"]).reset_index(drop=True)
    unit = runs["benchmark_id"].map(lambda b: 100.0 if by_id[b].percent else 1.0)
    scores = pd.DataFrame({
        "benchmark_id": runs["benchmark_id"], "model_id": runs["model_id"],
        "score": runs["observed"] * unit, "stderr": np.nan, "ci_low": np.nan,
        "ci_high": np.nan, "setting": "", "source": runs["source"],
        "self_reported": runs["self_reported"], "third_party_host": runs["host"] != "",
        "raw_row": np.arange(len(runs)) + 2})
    hosted = runs.loc[runs["host"] != "", ["model_id", "base_model"]].drop_duplicates()
    models = models_frame(bases.assign(release_date=[to_date(t) for t in bases["t"]]), hosted)
    pairs = runs.drop_duplicates(["benchmark_id", "base_model"])
    n_pairs = pairs.groupby("access").size().reindex(["closed", "open"], fill_value=0)
    terms = {
        "host_cost_points": cfg.host_cost,
        "host_costs_points": {h: cfg.host_cost * m for h, m in HOST_MULTIPLIER.items()},
        "self_inflation_points": cfg.self_inflation,
        "tuning_boost_points": cfg.tuning_boost,
        "contamination_points": cfg.contamination,
        "contamination_years": cfg.contamination_years,
        "ratio_target": cfg.ratio,
        "ratio_expected": calibration["ratio_expected"],
        "ratio_realised": float(n_pairs["closed"] / max(n_pairs["open"], 1)),
        "evaluated_pairs": {"closed": int(n_pairs["closed"]), "open": int(n_pairs["open"])},
        "alpha_closed": calibration["alpha_closed"], "alpha_open": calibration["alpha_open"],
    }
    truth = WorldTruth(gap=truth_path(labs, cfg), terms=terms, runs=runs,
                       bases=bases.drop(columns=["relative"]), labs=labs, benchmarks=benches)
    return World(models=typed("models", models),
                 benchmarks=typed("benchmarks", benchmarks_frame(benches)),
                 scores=typed("scores", scores), truth=truth, config=cfg, seed=seed)
