"""ECI-style gap: months between the open and closed running-best ability curves.

Source: Epoch AI data insight "Open-weight models lag state-of-the-art by around 3 months on
average" (L. Emberson, 2025-10-30, epoch.ai/data-insights/open-weights-vs-closed-weights-models;
docs/methods.md sections 3 and 5) on the Epoch Capabilities Index (Ho et al. 2025). Its method
section: the horizontal distance between the open and closed running-best ECI curves across
the ECI values where both are drawn, averaged; an open model counts as caught up when its
difference to the closed one is not statistically significant. Abilities come from
:mod:`gapbayes.baseline.abilities`, the curves and distances from
:mod:`gapbayes.baseline.frontiers`. The rules followed and the deviations are listed in
:data:`RULES` and :data:`DEVIATIONS` and written into every summary.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.baseline.abilities import CLIP, AbilitySample
from gapbayes.baseline.crossings import DAYS_PER_MONTH
from gapbayes.baseline.frontiers import backward_gap, interval, mean_horizontal_gap, running_best
from gapbayes.baseline.run import REFERENCE_DATE, json_number, write_tables

#: Window of Epoch's published 3.5-month average (Jan 2023 to the insight's date).
EPOCH_WINDOW = (pd.Timestamp("2023-01-01"), pd.Timestamp("2025-10-30"))

RULES = [
    "one ability per model from a two-parameter logistic item-response fit across benchmarks "
    "(perf = sigmoid(alpha_b (C_m - D_b)), ridge-penalised least squares), as ECI",
    "per access group the running best ability over release date",
    "gap at date t = t - the date the closed running best first reached the open running "
    "best's level at t (months of 30.4375 days; backward-looking, as Epoch's horizontal "
    "distance between the two curves)",
    "uncertainty: bootstrap over benchmarks (resample benchmarks with replacement, refit), "
    "median and 90% equal-tailed interval",
    "Epoch-comparable average: mean horizontal distance over the levels both curves reach in "
    "2023-01-01..2025-10-30",
]

DEVIATIONS = [
    "fit in logit space after normalising each score between the benchmark's chance level and "
    f"1 and clipping to [{CLIP}, {1 - CLIP}] (ECI: least squares in score space, no chance "
    "floor)",
    "scale fixed by standardising abilities (mean 0, sd 1), not by WinoGrande's anchor and the "
    "130/150 rescaling; the gap in months does not depend on the scale",
    "benchmarks on a linear link (METR minutes, Elo, points) are skipped",
    "a model needs >= 3 benchmarks (Epoch: 'enough evaluations', rule not published); reasoning "
    "efforts are separate models (Epoch's dump gives GPT-5's efforts one ECI)",
    "an open model catches up only when its ability is >= the closed one (Epoch also counts "
    "differences that are not statistically significant as caught up, which shortens gaps)",
    "where the closed curve never reached the open level the gap is not a number (open ahead); "
    "bootstrap replicates in that state rank below every finite gap",
]

MEASURES = ("backward-looking: months since the closed running-best ability first reached "
            "the open running best's level")


@dataclass(frozen=True)
class EciResult:
    """Everything the ECI-style estimator computes.

    Attributes
    ----------
    curve
        ``date, gap, median, lo90, hi90, open_ahead_share, open_model, closed_model``: the
        point gap (full fit) and its bootstrap summary at month starts, 2025-01-20 and the data
        end; -inf where the open level is above every closed model (open ahead);
        ``open_ahead_share`` is the share of replicates where open led.
    abilities
        One row per fitted model with its ability, bootstrap interval (each replicate on its
        own standardised scale, so only roughly comparable) and running-best record flags.
    benchmarks
        ``benchmark_id, status, n_models, slope, difficulty``.
    summary
        JSON-ready dict (rules, deviations, parameters, points, Epoch-window average).
    """

    curve: pd.DataFrame
    abilities: pd.DataFrame
    benchmarks: pd.DataFrame
    summary: dict[str, Any]


def eval_dates(start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Return month starts after ``start`` up to ``end``, 2025-01-20 (if inside) and ``end``."""
    months = pd.date_range(start + pd.offsets.MonthBegin(1), end, freq="MS")
    extra = [end] + ([REFERENCE_DATE] if start <= REFERENCE_DATE <= end else [])
    return np.unique(np.concatenate([months.to_numpy("datetime64[D]"),
                                     pd.DatetimeIndex(extra).to_numpy("datetime64[D]")]))


def group_masks(models: pd.DataFrame, chinese_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return the open and closed masks of ``models`` (open: Chinese only if asked)."""
    is_open = (models["access"] == "open").to_numpy()
    if chinese_only:
        is_open = is_open & models["chinese"].astype(bool).to_numpy()
    return is_open, (models["access"] == "closed").to_numpy()


@dataclass(frozen=True)
class Groups:
    """The fitted models split into the compared groups.

    Attributes
    ----------
    models
        :attr:`AbilitySample.models` (one row per fitted model, with its point ability).
    masks
        Open and closed row masks.
    end
        The data's end: the last release among the compared models.
    """

    models: pd.DataFrame
    masks: tuple[np.ndarray, np.ndarray]
    end: pd.Timestamp

    @property
    def counts(self) -> dict[str, int]:
        """Models per group, and fitted in all, for summary.json."""
        return {"open": int(self.masks[0].sum()), "closed": int(self.masks[1].sum()),
                "fitted": int(len(self.models))}


def split_groups(sample: AbilitySample, chinese_only: bool) -> Groups:
    """Return the open and closed groups of ``sample``'s models.

    Raises
    ------
    ValueError
        When either group is empty: there is no gap to measure.
    """
    models = sample.models
    masks = group_masks(models, chinese_only)
    if not masks[0].any() or not masks[1].any():
        raise ValueError("the ability fit has no open or no closed model: no gap to measure")
    dates = models["release_date"].to_numpy("datetime64[D]")
    return Groups(models, masks, pd.Timestamp(dates[masks[0] | masks[1]].max()))


def gaps_for(ability: np.ndarray, dates: np.ndarray, masks: tuple[np.ndarray, np.ndarray],
             when: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Return the gap at ``when``, the holders (indices into ``ability``) and the Epoch mean."""
    is_open, is_closed = masks
    o_idx, c_idx = np.flatnonzero(is_open), np.flatnonzero(is_closed)
    of = running_best(dates[o_idx], ability[o_idx])
    cf = running_best(dates[c_idx], ability[c_idx])
    gap, oh, ch = backward_gap(when, of, cf)
    oh = np.where(oh >= 0, o_idx[np.maximum(oh, 0)], -1)
    ch = np.where(ch >= 0, c_idx[np.maximum(ch, 0)], -1)
    mean = mean_horizontal_gap(of, cf, EPOCH_WINDOW[0].to_datetime64(),
                               EPOCH_WINDOW[1].to_datetime64())
    return gap, oh, ch, mean


def _records(models: pd.DataFrame, ability: np.ndarray, masks) -> tuple[set, set]:
    """Return the ids of the models that set a running-best record in each group."""
    out = []
    for mask in masks:
        idx = np.flatnonzero(mask)
        front = running_best(models["release_date"].to_numpy("datetime64[D]")[idx], ability[idx])
        out.append(set(models["model_id"].to_numpy()[idx[np.unique(front.holder)]]))
    return out[0], out[1]


def run_eci(sample: AbilitySample, chinese_only: bool = False, level: float = 0.90) -> EciResult:
    """Compute the ECI-style gap curve from a fit and its bootstrap replicates.

    Parameters
    ----------
    sample
        Output of :func:`gapbayes.baseline.abilities.sample_abilities`.
    chinese_only
        Restrict the open group to Chinese developers (closed models unchanged).
    level
        Interval level (0.90).

    Returns
    -------
    EciResult
    """
    groups = split_groups(sample, chinese_only)
    models, masks, end = groups.models, groups.masks, groups.end
    ability = models["ability"].to_numpy(float)
    dates = models["release_date"].to_numpy("datetime64[D]")
    start = max(pd.Timestamp(dates[m].min()) for m in masks)
    when = eval_dates(start, end)
    gap, oh, ch, mean = gaps_for(ability, dates, masks, when)
    reps = sample.replicates
    per_rep = [gaps_for(r, dates, masks, when) for r in reps]
    boot = np.array([g[0] for g in per_rep]).reshape(len(reps), when.size)
    boot_mean = np.array([g[3] for g in per_rep])
    summ = interval(boot, level) if len(reps) else np.full((3, when.size), np.nan)
    ids = np.append(models["model_id"].to_numpy(object), None)
    pct = int(round(level * 100))
    curve = pd.DataFrame({
        "date": pd.to_datetime(when),
        "gap": gap,
        "median": summ[0], f"lo{pct}": summ[1], f"hi{pct}": summ[2],
        "open_ahead_share": np.isneginf(boot).mean(axis=0) if len(reps) else np.nan,
        "open_model": ids[oh], "closed_model": ids[ch],
    })
    abil = _ability_table(models, ability, reps, masks, level)
    bench = _benchmark_table(sample)
    summary = _summary(sample, groups, curve, mean, boot_mean, chinese_only, level)
    return EciResult(curve, abil, bench, summary)


def _ability_table(models, ability, reps, masks, level) -> pd.DataFrame:
    pct = int(round(level * 100))
    q = interval(reps, level) if len(reps) else np.full((3, len(models)), np.nan)
    open_rec, closed_rec = _records(models, ability, masks)
    ids = models["model_id"]
    return models.assign(**{
        f"lo{pct}": q[1], f"hi{pct}": q[2],
        "open_record": ids.isin(open_rec).to_numpy(),
        "closed_record": ids.isin(closed_rec).to_numpy(),
    }).sort_values(["release_date", "model_id"]).reset_index(drop=True)


def _benchmark_table(sample: AbilitySample) -> pd.DataFrame:
    fit = sample.fit
    n = sample.table.rows.groupby("benchmark_id").size()
    fitted = pd.DataFrame({"benchmark_id": fit.slope.index, "status": "fitted",
                           "n_models": n.reindex(fit.slope.index).to_numpy(),
                           "slope": fit.slope.to_numpy(), "difficulty": fit.difficulty.to_numpy()})
    skipped = pd.DataFrame({"benchmark_id": list(sample.table.skipped),
                            "status": list(sample.table.skipped.values())})
    parts = [p for p in (fitted, skipped) if not p.empty]
    return pd.concat(parts, ignore_index=True).sort_values("benchmark_id").reset_index(drop=True)


def curve_point(curve: pd.DataFrame, when: pd.Timestamp, level: float = 0.90) -> dict | None:
    """Return the curve row dated ``when`` as a JSON-ready dict (None: not in the curve).

    Values that are -inf (open ahead of every closed model) are written as null and named in
    ``open_ahead``.
    """
    pct = int(round(level * 100))
    rows = curve[curve["date"] == when]
    if rows.empty:
        return None
    r = rows.iloc[0]
    values = {"gap": r["gap"], "median": r["median"], "lo90": r[f"lo{pct}"],
              "hi90": r[f"hi{pct}"]}
    return {
        "date": r["date"].strftime("%Y-%m-%d"),
        **{k: json_number(v) for k, v in values.items()},
        "open_ahead": [k for k, v in values.items() if v == -np.inf],
        "open_ahead_share": json_number(r["open_ahead_share"]),
        "open_model": r["open_model"], "closed_model": r["closed_model"],
    }


def _summary(sample, groups, curve, mean, boot_mean, chinese_only, level) -> dict:
    end = groups.end
    m = interval(boot_mean, level) if boot_mean.size else np.full(3, np.nan)
    return {
        "method": "ECI-style running-best gap (Epoch AI 2025; docs/methods.md sections 3, 5)",
        "measures": MEASURES,
        "unit": "months",
        "rules": RULES,
        "deviations": DEVIATIONS,
        "parameters": {
            **sample.settings,
            "chinese_only": bool(chinese_only), "interval": level,
            "days_per_month": DAYS_PER_MONTH,
        },
        "n_models": groups.counts,
        "n_benchmarks": int(sample.fit.slope.size),
        "n_scores": int(len(sample.table.rows)),
        "skipped_benchmarks": sample.table.skipped,
        "fit": {"rmse_logit": sample.fit.rmse, "iterations": sample.fit.iterations},
        "data_end": end.strftime("%Y-%m-%d"),
        "last": curve_point(curve, end, level),
        "near_2025_01_20": curve_point(curve, REFERENCE_DATE, level),
        "epoch_window_mean": {
            "since": EPOCH_WINDOW[0].strftime("%Y-%m-%d"),
            "until": EPOCH_WINDOW[1].strftime("%Y-%m-%d"),
            "gap": json_number(mean), "median": json_number(m[0]),
            "lo90": json_number(m[1]), "hi90": json_number(m[2]),
            "published": "3.5 months, 90% CI 1.1-5.3 (Epoch data insight 2025-10-30)",
        },
    }


def write_eci_outputs(result: EciResult, out_dir: str | Path,
                      extra_summary: dict[str, Any] | None = None) -> Path:
    """Write ``curve.csv``, ``abilities.csv``, ``benchmarks.csv`` and ``summary.json`` atomically.

    ``extra_summary`` (data folder, data hash) is merged into summary.json.
    """
    tables = {"curve": result.curve, "abilities": result.abilities,
              "benchmarks": result.benchmarks}
    return write_tables(out_dir, tables, {**result.summary, **(extra_summary or {})})
