"""Censoring-aware gap: time until an open model matches each closed frontier level.

A forward-looking estimate (docs/methods.md section 4, D_f): every time the closed running best
rises (a new closed frontier model), its ability is a *level*; the level's time-to-match is the
time from that model's release to the first open model with an ability >= the level (0 when an
open model was already there). Levels that no open model has matched by the end of the data are
**right-censored** at the time elapsed until then: they say "longer than this", not "this".
The distribution of time-to-match is estimated by Kaplan-Meier (1958) and summarised by its
median. Abilities are the ECI-style fit of :mod:`gapbayes.baseline.abilities`, so this and the
ECI-style gap rank models identically.

Uncertainty: each bootstrap replicate refits the abilities on resampled benchmarks (as the
ECI-style gap does), recomputes the levels and their times, then resamples the levels with
replacement (the usual Kaplan-Meier bootstrap, Efron 1981) before taking the median.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.baseline.abilities import AbilitySample
from gapbayes.baseline.crossings import DAYS_PER_MONTH
from gapbayes.baseline.eci import split_groups
from gapbayes.baseline.frontiers import interval, running_best
from gapbayes.baseline.run import REFERENCE_DATE, json_number, write_tables

ERA_SPLIT = pd.Timestamp("2025-01-01")
#: A median needs at least this many levels in its subset; fewer are reported as too few.
MIN_LEVELS = 5
DEFAULT_WINDOW_DAYS = 365

RULES = [
    "levels: the ability of every closed model that raised the closed running best",
    "time-to-match: months from the level's release to the first open model with ability >= "
    "the level (0 if an open model was already there)",
    "levels unmatched at the data's end are right-censored at the months elapsed until then",
    "Kaplan-Meier estimate of the time-to-match distribution; reported: its median",
    "at a date t: the median over the levels set in the year up to t (follow-up runs to the "
    "data's end); by era: levels set before / from 2025-01-01",
    "uncertainty: per replicate, refit on benchmarks resampled with replacement, then resample "
    "the levels with replacement; 90% equal-tailed interval",
]

DEVIATIONS = [
    "no published reference implementation: a survival fit of time-to-match is the issue's "
    "specification ('as another public port ships'), not a published estimator",
    "matching uses point abilities with no tolerance: a near miss counts as unmatched",
    "Kaplan-Meier assumes censoring unrelated to the time-to-match; recent levels are both "
    "censored early and set by the strongest models, so the recent-era median leans on few "
    "matched levels",
]

MEASURES = ("forward-looking: months until an open model matches a closed frontier level "
            "(Kaplan-Meier median; unmatched levels right-censored)")


@dataclass(frozen=True)
class CensoredResult:
    """Everything the censored estimator computes.

    Made by :func:`run_censored`; :func:`write_censored_outputs` writes it as levels.csv,
    km.csv and summary.json.

    Attributes
    ----------
    levels
        ``closed_model, set_date, level, open_model, match_date, months, matched`` per level.
    km
        Kaplan-Meier table of all levels: ``months, at_risk, matched, censored, survival``.
    summary
        JSON-ready dict: rules, deviations, parameters and every reported median.
    """

    levels: pd.DataFrame
    km: pd.DataFrame
    summary: dict[str, Any]


def kaplan_meier(months: np.ndarray, matched: np.ndarray) -> pd.DataFrame:
    """Return the Kaplan-Meier table of time-to-match.

    At a time with both matches and censorings the matches come first (the censored levels
    were still at risk), the usual convention.

    Returns
    -------
    pandas.DataFrame
        One row per distinct time: ``months, at_risk, matched, censored, survival`` (the share
        of levels still unmatched just after that time).
    """
    t = np.asarray(months, dtype=float)
    e = np.asarray(matched, dtype=bool)
    times = np.unique(t)
    d = np.array([np.sum(e & (t == x)) for x in times], dtype=int)
    c = np.array([np.sum(~e & (t == x)) for x in times], dtype=int)
    at_risk = t.size - np.concatenate([[0], np.cumsum(d + c)[:-1]]).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(at_risk > 0, 1.0 - d / at_risk, 1.0))
    return pd.DataFrame({"months": times, "at_risk": at_risk, "matched": d, "censored": c,
                         "survival": surv})


def km_median(months: np.ndarray, matched: np.ndarray) -> float:
    """Return the Kaplan-Meier median: the first time the survival drops to 0.5 or below.

    +inf when it never does (more than half of the levels could still be unmatched: the median
    exceeds the longest follow-up); NaN for no levels.
    """
    if len(months) == 0:
        return float("nan")
    km = kaplan_meier(months, matched)
    hit = np.flatnonzero(km["survival"].to_numpy() <= 0.5 + 1e-12)
    return float(km["months"].iloc[hit[0]]) if hit.size else float("inf")


def match_levels(models: pd.DataFrame, ability: np.ndarray, masks: tuple[np.ndarray, np.ndarray],
                 end: np.datetime64) -> pd.DataFrame:
    """Return the closed frontier levels with their time-to-match (see the module docstring).

    Parameters
    ----------
    models
        Fitted models (``model_id, release_date``), aligned with ``ability``.
    ability
        One ability per row of ``models`` (NaN: not fitted, left out).
    masks
        Open and closed row masks (:func:`gapbayes.baseline.eci.group_masks`).
    end
        The data's end: unmatched levels are censored there.
    """
    dates = models["release_date"].to_numpy("datetime64[D]")
    end = np.datetime64(end, "D")
    ids = models["model_id"].to_numpy(object)
    o_idx, c_idx = np.flatnonzero(masks[0]), np.flatnonzero(masks[1])
    closed = running_best(dates[c_idx], ability[c_idx])
    opened = running_best(dates[o_idx], ability[o_idx])
    rec = c_idx[np.unique(closed.holder)] if len(closed) else np.array([], dtype=int)
    rec = rec[np.argsort(dates[rec], kind="stable")]
    level = ability[rec]
    j = opened.first_reach(level)
    matched = j < len(opened)
    jj = np.minimum(j, max(len(opened) - 1, 0))
    match_date = np.where(matched, opened.dates[jj] if len(opened) else end, end)
    days = (match_date - dates[rec]).astype(float)
    holder = np.where(matched, o_idx[opened.holder[jj]] if len(opened) else -1, -1)
    return pd.DataFrame({
        "closed_model": ids[rec],
        "set_date": pd.to_datetime(dates[rec]),
        "level": level,
        "open_model": np.append(ids, None)[holder],
        "match_date": pd.to_datetime(np.where(matched, match_date, np.datetime64("NaT", "D"))),
        "months": np.maximum(days, 0.0) / DAYS_PER_MONTH,
        "matched": matched,
    })


def subsets(levels: pd.DataFrame, end: pd.Timestamp, window_days: int) -> dict[str, np.ndarray]:
    """Return the reported subsets of levels as boolean masks, keyed by name."""
    set_date = levels["set_date"]
    out = {"all": np.ones(len(levels), dtype=bool),
           "before_2025": (set_date < ERA_SPLIT).to_numpy(),
           "from_2025": (set_date >= ERA_SPLIT).to_numpy()}
    for name, when in (("last", end), ("near_2025_01_20", REFERENCE_DATE)):
        lo = when - pd.Timedelta(days=window_days)
        out[name] = ((set_date > lo) & (set_date <= when)).to_numpy()
    return out


def _describe(months: np.ndarray, matched: np.ndarray, boot: np.ndarray, level: float) -> dict:
    """Return the JSON-ready summary of one subset: counts, KM median, bootstrap interval.

    Infinite values (median not reached) are written as null and named in ``not_reached``.
    """
    n = int(months.size)
    point = km_median(months, matched) if n >= MIN_LEVELS else float("nan")
    # Too few levels: no median, and no interval around it either.
    q = interval(boot, level) if boot.size and n >= MIN_LEVELS else np.full(3, np.nan)
    values = {"median": point, "boot_median": q[0], "lo90": q[1], "hi90": q[2]}
    return {
        "n_levels": n,
        "n_matched": int(matched.sum()),
        "n_censored": int(n - matched.sum()),
        "max_months": json_number(months.max()) if n else None,
        "too_few_levels": n < MIN_LEVELS,
        **{k: json_number(v) for k, v in values.items()},
        "not_reached": [k for k, v in values.items() if v == np.inf],
    }


def run_censored(sample: AbilitySample, chinese_only: bool = False,
                 window_days: int = DEFAULT_WINDOW_DAYS, level: float = 0.90) -> CensoredResult:
    """Compute the time-to-match levels, their Kaplan-Meier medians and bootstrap intervals.

    Parameters
    ----------
    sample, chinese_only, level
        As in :func:`gapbayes.baseline.eci.run_eci`; the sample's replicates drive the first
        bootstrap stage.
    window_days
        Width of the trailing window of levels reported at a date.

    Returns
    -------
    CensoredResult
    """
    groups = split_groups(sample, chinese_only)
    models, masks, end = groups.models, groups.masks, groups.end
    levels = match_levels(models, models["ability"].to_numpy(float), masks, end.to_datetime64())
    subs = subsets(levels, end, window_days)
    # A stream of its own for the level resampling, so the benchmark draws match run_eci's.
    rng = np.random.default_rng([sample.seed, 1])
    boot = {name: np.full(len(sample.replicates), np.nan) for name in subs}
    for r, ability in enumerate(sample.replicates):
        lv = match_levels(models, ability, masks, end.to_datetime64())
        for name, mask in subsets(lv, end, window_days).items():
            t, e = lv["months"].to_numpy()[mask], lv["matched"].to_numpy()[mask]
            if t.size:
                idx = rng.integers(0, t.size, t.size)
                boot[name][r] = km_median(t[idx], e[idx])
    t_all, e_all = levels["months"].to_numpy(), levels["matched"].to_numpy()
    medians = {name: _describe(t_all[m], e_all[m], boot[name], level) for name, m in subs.items()}
    for name, when in (("last", end), ("near_2025_01_20", REFERENCE_DATE)):
        lo = when - pd.Timedelta(days=window_days)
        medians[name]["window"] = [lo.strftime("%Y-%m-%d"), when.strftime("%Y-%m-%d")]
    if REFERENCE_DATE > end:
        medians["near_2025_01_20"] = None
    summary = {
        "method": "censored time-to-match (Kaplan-Meier; issue 17)",
        "measures": MEASURES,
        "unit": "months",
        "rules": RULES,
        "deviations": DEVIATIONS,
        "parameters": {
            **sample.settings,
            "window_days": int(window_days), "min_levels": MIN_LEVELS,
            "era_split": ERA_SPLIT.strftime("%Y-%m-%d"), "chinese_only": bool(chinese_only),
            "interval": level, "days_per_month": DAYS_PER_MONTH,
        },
        "n_models": groups.counts,
        "n_levels": int(len(levels)),
        "n_censored": int((~levels["matched"]).sum()),
        "data_end": end.strftime("%Y-%m-%d"),
        "medians": medians,
    }
    return CensoredResult(levels, kaplan_meier(t_all, e_all), summary)


def write_censored_outputs(result: CensoredResult, out_dir: str | Path,
                           extra_summary: dict[str, Any] | None = None) -> Path:
    """Write ``levels.csv``, ``km.csv`` and ``summary.json`` atomically (replaced whole)."""
    tables = {"levels": result.levels, "km": result.km}
    return write_tables(out_dir, tables, {**result.summary, **(extra_summary or {})})
