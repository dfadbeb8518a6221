"""Orchestration of the threshold-crossing baseline: datapoints, curves, summary, outputs.

:func:`run_baseline` is the entry point for reuse (the Bayesian model's comparison plots,
simulation studies on simulated tables with the same columns); :func:`write_outputs` writes a
result folder atomically; :func:`format_summary` is what ``gapbayes baseline`` prints.
The method is documented in ``docs/methods.md`` section 1 and in the modules
:mod:`~gapbayes.baseline.thresholds`, :mod:`~gapbayes.baseline.crossings` and
:mod:`~gapbayes.baseline.smoothing`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes import atomic
from gapbayes.baseline.crossings import (
    BENCHMARK_COLUMNS,
    as_bool,
    benchmark_thresholds,
    datapoints_from_crossings,
    find_crossings,
    prepare_scores,
)
from gapbayes.baseline.result import BaselineResult  # noqa: F401  (re-exported)
from gapbayes.baseline.smoothing import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_MIN_NEFF,
    DEFAULT_SIGMA_DAYS,
    DEFAULT_STEP_DAYS,
    smooth_gaps,
)

#: Groups of datapoints that get a smoothed curve: all benchmarks, then the access-type split.
GROUPS: tuple[str, ...] = ("all", "private", "public")

#: Date at which the published analysis found the smallest gap (DeepSeek R1's release).
REFERENCE_DATE = pd.Timestamp("2025-01-20")


def select_benchmarks(benchmarks: pd.DataFrame, published_only: bool = True) -> pd.DataFrame:
    """Return the analysed benchmarks: ``benchmark_id, name, scale, access_type`` columns.

    With ``published_only`` (default) only rows flagged ``published`` count: the 17 benchmarks
    of the published analysis, those present in the dump. A frame without a ``published``
    column (e.g. a simulation), or with no row flagged (an imported table: see
    :func:`uses_every_benchmark`), keeps every row.
    """
    missing = [c for c in BENCHMARK_COLUMNS if c not in benchmarks.columns]
    if missing:
        raise KeyError(f"benchmarks frame lacks column(s) {missing}")
    df = benchmarks
    if published_only and not uses_every_benchmark(df):
        df = df[as_bool(df["published"]).to_numpy()]
    df = df.loc[:, list(BENCHMARK_COLUMNS)].copy()
    df["benchmark_id"] = df["benchmark_id"].astype(str)
    df["name"] = df["name"].fillna("").astype(str)
    df.loc[df["name"] == "", "name"] = df["benchmark_id"]
    df["access_type"] = df["access_type"].astype(str).str.lower()
    return df.sort_values("benchmark_id").reset_index(drop=True)


def uses_every_benchmark(benchmarks: pd.DataFrame) -> bool:
    """Tell whether no benchmark is flagged ``published``, so the method uses them all."""
    return "published" not in benchmarks.columns or not as_bool(benchmarks["published"]).any()


def _group_mask(datapoints: pd.DataFrame, group: str) -> pd.Series:
    """Return the rows of ``datapoints`` that belong to ``group``."""
    if group == "all":
        return pd.Series(True, index=datapoints.index)
    return datapoints["access_type"] == group


def json_number(x: float) -> float | None:
    """Return ``x`` as a JSON number, or None for NaN/inf."""
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _curve_point(curve: pd.DataFrame, when: pd.Timestamp | None, step_days: int) -> dict | None:
    """Return the curve row at the grid date nearest ``when`` (None: last date).

    Returns None when the curve is empty or ``when`` lies more than one grid step outside it.
    """
    if curve.empty:
        return None
    if when is None:
        row = curve.iloc[-1]
    else:
        dist = (curve["date"] - when).abs()
        i = int(dist.to_numpy().argmin())
        if dist.iloc[i] > pd.Timedelta(days=step_days):
            return None
        row = curve.iloc[i]
    return {
        "date": row["date"].strftime("%Y-%m-%d"),
        "gap": json_number(row["gap"]),
        "lo90": json_number(row["lo90"]),
        "hi90": json_number(row["hi90"]),
        "n_eff": json_number(row["n_eff"]),
    }


def _curve_min(curve: pd.DataFrame) -> dict | None:
    """Return the date and value of the smallest smoothed gap (None if all NaN)."""
    ok = curve.dropna(subset=["gap"])
    if ok.empty:
        return None
    row = ok.loc[ok["gap"].idxmin()]
    return {"date": row["date"].strftime("%Y-%m-%d"), "gap": json_number(row["gap"])}


def run_baseline(
    scores: pd.DataFrame,
    benchmarks: pd.DataFrame,
    *,
    chinese_only: bool = False,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    sigma_days: float = DEFAULT_SIGMA_DAYS,
    seed: int = 0,
    step_days: int = DEFAULT_STEP_DAYS,
    min_neff: float = DEFAULT_MIN_NEFF,
    accepted_lists: Mapping[str, tuple[str, tuple[float, ...]]] | None = None,
    percentile: float = 10.0,
    published_only: bool = True,
    groups: Sequence[str] = GROUPS,
) -> BaselineResult:
    """Run the published threshold-crossing method on a scores table.

    Parameters
    ----------
    scores
        "Scores with model info": columns ``benchmark_id, model_id, score`` (native scale),
        ``release_date`` (datetime64 or ISO strings), ``access`` (``open``/``closed``; other
        values are dropped) and ``chinese`` (bool). Several rows per (benchmark, model) are
        reduced to the max score (see :func:`~gapbayes.baseline.crossings.prepare_scores`).
    benchmarks
        Columns ``benchmark_id, name, scale, access_type`` and optionally ``published``.
    chinese_only
        Restrict open models to ``chinese == True`` (the published Chinese-only variant).
    n_bootstrap, sigma_days, seed, step_days, min_neff
        Smoothing settings; published: 5000, 60, 0, 7, 2. ``n_bootstrap=0`` skips the
        bootstrap (NaN bounds), useful in simulation studies. Every group's bootstrap uses a
        fresh ``numpy.random.default_rng(seed)`` so a group's curve does not depend on which
        other groups are computed.
    accepted_lists, percentile
        Threshold acceptance (see :func:`gapbayes.baseline.thresholds.accepted_thresholds`);
        the defaults are the published review lists and the 10th percentile. Benchmarks with
        ids unknown to the lists (simulations) use the scale grid plus the percentile rule.
    published_only
        Keep only benchmarks flagged ``published`` when the column exists.
    groups
        Curves to compute: ``all`` and/or access types (``private``, ``public``).

    Returns
    -------
    BaselineResult
    """
    bench = select_benchmarks(benchmarks, published_only)
    prepared_all = prepare_scores(scores)
    prepared_all = prepared_all[prepared_all["benchmark_id"].isin(bench["benchmark_id"])]
    bench = bench[bench["benchmark_id"].isin(prepared_all["benchmark_id"])].reset_index(drop=True)
    thresholds = benchmark_thresholds(prepared_all, bench, accepted_lists, percentile)
    prepared = prepare_scores(scores, chinese_only=True) if chinese_only else prepared_all
    prepared = prepared[prepared["benchmark_id"].isin(bench["benchmark_id"])]
    crossings = find_crossings(prepared, bench, thresholds)
    datapoints = datapoints_from_crossings(crossings)

    curves = []
    group_summary: dict[str, Any] = {}
    for group in groups:
        sub = datapoints[_group_mask(datapoints, group)]
        curve = smooth_gaps(
            sub["open_date"],
            sub["gap_months"],
            sigma_days=sigma_days,
            step_days=step_days,
            n_boot=n_bootstrap,
            rng=np.random.default_rng(seed),
            min_neff=min_neff,
        )
        curves.append(curve.assign(group=group))
        gaps = sub["gap_months"].to_numpy(float)
        group_summary[group] = {
            "n_datapoints": int(gaps.size),
            "n_benchmarks": int(sub["benchmark_id"].nunique()),
            "median_gap_months": json_number(np.median(gaps)) if gaps.size else None,
            "mean_gap_months": json_number(gaps.mean()) if gaps.size else None,
            "n_negative": int((gaps < 0).sum()),
            "last": _curve_point(curve, None, step_days),
            "near_2025_01_20": _curve_point(curve, REFERENCE_DATE, step_days),
            "min": _curve_min(curve),
        }
    curve_cols = ["group", "date", "gap", "lo90", "hi90", "n_eff"]
    curves_df = (
        pd.concat(curves, ignore_index=True)[curve_cols]
        if curves
        else pd.DataFrame(columns=curve_cols)
    )

    n_dp = datapoints.groupby("benchmark_id").size()
    bench = bench.assign(
        rule=bench["benchmark_id"].map(lambda b: thresholds[b][1]),
        n_datapoints=bench["benchmark_id"].map(n_dp).fillna(0).astype(int),
    )
    status_counts = crossings["status"].value_counts().sort_index()
    summary: dict[str, Any] = {
        "method": "threshold crossing (Ihle 2026; docs/methods.md section 1)",
        "parameters": {
            "sigma_days": float(sigma_days),
            "step_days": int(step_days),
            "n_bootstrap": int(n_bootstrap),
            "seed": int(seed),
            "min_neff": float(min_neff),
            "interval": 0.90,
            "percentile_rule": float(percentile),
            "chinese_only": bool(chinese_only),
            "days_per_month": 30.4375,
        },
        "n_datapoints": int(len(datapoints)),
        "crossing_status": {str(k): int(v) for k, v in status_counts.items()},
        "groups": group_summary,
        "benchmarks": [
            {
                "benchmark_id": r.benchmark_id,
                "name": r.name,
                "access_type": r.access_type,
                "scale": r.scale,
                "rule": r.rule,
                "thresholds": [float(t) for t in thresholds[r.benchmark_id][0]],
                "n_datapoints": int(r.n_datapoints),
            }
            for r in bench.itertuples(index=False)
        ],
    }
    return BaselineResult(datapoints, curves_df, summary, crossings, bench)


def csv_text(df: pd.DataFrame) -> str:
    """Return ``df`` as CSV text: ISO dates, repr-exact floats, empty string for missing."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False, lineterminator="\n", na_rep="")


def write_tables(
    out_dir: str | Path, tables: Mapping[str, pd.DataFrame], summary: Mapping[str, Any]
) -> Path:
    """Write ``NAME.csv`` for every table and ``summary.json`` into ``out_dir`` atomically.

    The folder is replaced whole, or left untouched when anything fails
    (:func:`gapbayes.atomic.staged_dir`). Used by the peer estimators' result folders.
    """
    with atomic.staged_dir(out_dir) as tmp:
        for name, table in tables.items():
            (tmp / f"{name}.csv").write_text(csv_text(table), encoding="utf-8")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return Path(out_dir)


def write_outputs(
    result: BaselineResult,
    out_dir: str | Path,
    figure: bool = True,
    extra_summary: Mapping[str, Any] | None = None,
) -> Path:
    """Write a result folder atomically and return its path.

    Files: ``datapoints.csv``, ``curves.csv``, ``crossings.csv`` (audit of every accepted
    threshold), ``summary.json`` and, with ``figure``, ``gap.png`` and ``gap.svg``. Everything
    is written into a staged sibling folder that replaces ``out_dir`` only when all files were
    written (:func:`gapbayes.atomic.staged_dir`): an error leaves the previous folder untouched.
    """
    summary = dict(result.summary)
    if extra_summary:
        summary.update(extra_summary)
    with atomic.staged_dir(out_dir) as tmp:
        (tmp / "datapoints.csv").write_text(csv_text(result.datapoints), encoding="utf-8")
        (tmp / "curves.csv").write_text(csv_text(result.curves), encoding="utf-8")
        (tmp / "crossings.csv").write_text(csv_text(result.crossings), encoding="utf-8")
        (tmp / "summary.json").write_text(
            json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )
        if figure:
            from gapbayes.baseline.figure import save_figure

            save_figure(result, tmp / "gap")
    return Path(out_dir)


def _fmt_point(p: dict | None) -> str:
    """Format a curve point as ``7.9 [5.1, 10.2] mo at 2026-04-10``."""
    if p is None:
        return "n/a (outside the data)"
    if p["gap"] is None:
        return f"n/a (kernel n_eff < 2) at {p['date']}"
    ci = ""
    if p["lo90"] is not None and p["hi90"] is not None:
        ci = f" [90%: {p['lo90']:.1f}, {p['hi90']:.1f}]"
    return f"{p['gap']:.1f}{ci} months at {p['date']}"


def format_summary(result: BaselineResult) -> str:
    """Return the short text summary printed by ``gapbayes baseline``."""
    s = result.summary
    g = s["groups"]
    title = "Threshold-crossing baseline"
    if s["parameters"]["chinese_only"]:
        title += " (open models: Chinese only)"
    lines = [title]
    counts = ", ".join(f"{k} {v['n_datapoints']}" for k, v in g.items())
    lines.append(f"  datapoints: {counts}")
    for k, v in g.items():
        med = v["median_gap_months"]
        lines.append(
            f"  {k:<8} median gap {'n/a' if med is None else f'{med:.1f}'} months"
            f" ({v['n_benchmarks']} benchmarks, {v['n_negative']} negative)"
        )
    for k in [k for k in ("private", "public") if k in g] or list(g):
        lines.append(f"  {k:<8} smoothed, last date : {_fmt_point(g[k]['last'])}")
        lines.append(f"  {k:<8} smoothed, ~2025-01-20: {_fmt_point(g[k]['near_2025_01_20'])}")
    return "\n".join(lines)
