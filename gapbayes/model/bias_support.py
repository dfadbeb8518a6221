"""Support of each bias term: how many scores inform it, and whether the data identify it.

A bias term is only a finding when scores inform it; otherwise its posterior is its prior.

- ``provider_penalty`` acts on open-model scores served by third-party hosts. It is told apart
  from a benchmark's own open-vs-closed shift only by **same-weights contrasts**: base models
  with host-served and first-party scores. Contrasts on the same benchmark are direct; on the
  same category they go through the base model's shared category ability.
- ``self_report_offset`` acts on developers' own scores; its contrasts are base models with
  self-reported and independent scores.
- ``contamination`` acts on open-model scores on public benchmarks with a release date, in
  proportion to their exposure (0 before the benchmark's release, 1 a year after). It is told
  apart from the benchmark's own shift only by open models that met the benchmark less
  exposed: its contrasts are open base models with a score of exposure < 1 on a benchmark
  (or, for the category column, in a category) that also has fully exposed open scores.
- ``public_vs_private`` needs open-model scores on both public and private benchmarks.

Status: ``estimated``; ``not identified on this data`` (scores exist but no base model carries
a contrast: only the priors separate the term from benchmark shifts); ``not estimable (prior
only)`` (no score informs it: the model leaves the term out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ESTIMATED = "estimated"
NOT_IDENTIFIED = "not identified on this data"
PRIOR_ONLY = "not estimable (prior only)"
COLUMNS = ["term", "n_scores", "contrast_base_models_same_benchmark",
           "contrast_base_models_same_category", "status"]


def _contrasts(mask: np.ndarray, unit: np.ndarray, key: np.ndarray) -> int:
    """Units (base models) with scores both inside and outside ``mask`` at the same key."""
    inside = set(zip(unit[mask].tolist(), key[mask].tolist(), strict=True))
    outside = set(zip(unit[~mask].tolist(), key[~mask].tolist(), strict=True))
    return len({u for u, _ in inside & outside})


def _row(term: str, mask: np.ndarray, unit: np.ndarray, bench: np.ndarray,
         category: np.ndarray) -> dict:
    n = int(mask.sum())
    same_b = _contrasts(mask, unit, bench) if n else 0
    same_c = _contrasts(mask, unit, category) if n else 0
    status = PRIOR_ONLY if n == 0 else (ESTIMATED if same_c else NOT_IDENTIFIED)
    return {"term": term, "n_scores": n, "contrast_base_models_same_benchmark": same_b,
            "contrast_base_models_same_category": same_c, "status": status}


def _contamination_row(exposure: np.ndarray, open_rows: np.ndarray, unit: np.ndarray,
                       bench: np.ndarray, category: np.ndarray) -> dict:
    """Support of the contamination term (see the module docstring for its contrasts)."""
    n = int((exposure > 0).sum())

    # scores on benchmarks the term reaches (a dated public benchmark with an exposed open
    # score); there exposure 0 means released before the benchmark, not "no date"
    reached = open_rows & np.isin(bench, np.unique(bench[exposure > 0]))

    def contrasts(key: np.ndarray) -> int:
        full = np.unique(key[reached & (exposure >= 1.0)])
        less = reached & (exposure < 1.0) & np.isin(key, full)
        return len(np.unique(unit[less]))

    same_b = contrasts(bench) if n else 0
    same_c = contrasts(category) if n else 0
    status = PRIOR_ONLY if n == 0 else (ESTIMATED if same_b else NOT_IDENTIFIED)
    return {"term": "contamination", "n_scores": n, "contrast_base_models_same_benchmark": same_b,
            "contrast_base_models_same_category": same_c, "status": status}


def bias_support(data, hosts: bool = False, contamination: bool = False) -> pd.DataFrame:
    """Support table of the bias terms for a model design (either family).

    Parameters
    ----------
    data
        A :class:`~gapbayes.model.frontier_design.FrontierData` or
        :class:`~gapbayes.model.design.ModelData` (base models are the unit when the design
        has them, models otherwise).
    hosts
        Add a row per named host (``host_penalty_<host>``: the host effects of the switch
        ``host_effects``, :mod:`gapbayes.model.host_effects`).
    contamination
        Add the row of the contamination term (switch ``contamination``).

    Returns
    -------
    pandas.DataFrame
        One row per term with the columns of :data:`COLUMNS`.
    """
    unit = getattr(data, "obs_base", data.obs_model)
    bench = np.asarray(data.obs_bench)
    category = np.asarray(data.bench_category)[bench]
    open_rows = (np.asarray(data.base_open)[unit] if hasattr(data, "base_open")
                 else np.asarray(data.model_open)[unit]) == 1
    rows = [_row("provider_penalty", np.asarray(data.obs_host) == 1, unit, bench, category),
            _row("self_report_offset", np.asarray(data.obs_self) == 1, unit, bench, category)]
    if contamination:           # a frontier-model design: it has obs_exposure
        rows.append(_contamination_row(np.asarray(data.obs_exposure, float), open_rows, unit,
                                       bench, category))
    if hosts:
        from gapbayes.model.host_effects import host_term

        ids = np.asarray(data.obs_host_id)
        rows += [_row(host_term(h), ids == i + 1, unit, bench, category)
                 for i, h in enumerate(data.host_names)]
    public = np.asarray(data.bench_public)[bench] == 1
    n_pub, n_priv = int((open_rows & public).sum()), int((open_rows & ~public).sum())
    both = n_pub > 0 and n_priv > 0
    rows.append({"term": "public_vs_private", "n_scores": n_pub if both else 0,
                 "contrast_base_models_same_benchmark": 0,
                 "contrast_base_models_same_category": 0,
                 "status": ESTIMATED if both else PRIOR_ONLY})
    return pd.DataFrame(rows, columns=COLUMNS)


def with_support(terms: pd.DataFrame, support: pd.DataFrame) -> pd.DataFrame:
    """Bias-term intervals joined with their support; unsupported terms get a row too."""
    keep = support[["term", "n_scores", "status"]]
    if terms.empty:
        return keep.copy()
    return keep.merge(terms, on="term", how="outer")


def support_summary(support: pd.DataFrame) -> dict:
    """Manifest entry: per term, its score count, contrasts and status."""
    return {r.term: {"n_scores": int(r.n_scores),
                     "contrast_base_models_same_benchmark":
                         int(r.contrast_base_models_same_benchmark),
                     "contrast_base_models_same_category":
                         int(r.contrast_base_models_same_category),
                     "status": r.status} for r in support.itertuples()}
