"""First crossers of each threshold and the de-duplicated gap datapoints.

Source: ``docs/methods.md`` section 1 (Ihle 2026). For each (benchmark, threshold T): the first
closed model (by release date) with score >= T and the first open model with score >= T; the
gap is open date - closed date in months of 30.4375 days, dated at the open model's release
(backward-looking). Thresholds crossed only by closed models are left out, negative gaps are
kept, and each (closed model, open model) pair is counted once, at the highest threshold it
spans.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gapbayes.baseline.thresholds import REL_TOL, accepted_thresholds

#: Days per month used for every gap (365.25 / 12), as published.
DAYS_PER_MONTH = 30.4375

#: Columns the baseline needs in its "scores with model info" input.
SCORE_COLUMNS = ("benchmark_id", "model_id", "score", "release_date", "access", "chinese")

#: Columns the baseline needs in its benchmarks input.
BENCHMARK_COLUMNS = ("benchmark_id", "scale", "access_type", "name")

#: Columns of the datapoints table, in order.
DATAPOINT_COLUMNS = [
    "benchmark_id",
    "access_type",
    "threshold",
    "closed_model",
    "closed_date",
    "open_model",
    "open_date",
    "gap_months",
]


def as_bool(values: pd.Series) -> pd.Series:
    """Read a boolean column that may hold bools, 0/1 or the strings "true"/"false"."""
    if values.dtype == bool:
        return values
    text = values.astype("string").str.strip().str.lower()
    return text.isin(["true", "1", "yes", "t"]).fillna(False).astype(bool)


def prepare_scores(scores: pd.DataFrame, chinese_only: bool = False) -> pd.DataFrame:
    """Reduce a "scores with model info" frame to one score per (benchmark, model).

    Where a model has several score rows on one benchmark (different settings, scaffolds or
    sources) the baseline keeps the **maximum**: the published method works from one score per
    model version and the hub's headline tables list the best reported result, so the first
    crosser is whichever setting first reached the threshold. (The Bayesian model keeps every
    row with its own noise term instead.)

    Rows are dropped when the model's access is neither ``open`` nor ``closed``, when the release
    date is missing, or when the score is missing: none of them can be placed in time or group.

    Parameters
    ----------
    scores
        Columns ``benchmark_id, model_id, score, release_date, access, chinese``; other columns
        are ignored.
    chinese_only
        Keep only open models with ``chinese == True`` (closed models are all kept), for the
        published "Chinese open models" variant.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`SCORE_COLUMNS`, one row per (benchmark_id, model_id), sorted by
        benchmark, release date, score (descending) and model id.
    """
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise KeyError(f"scores frame lacks column(s) {missing}")
    df = scores.loc[:, list(SCORE_COLUMNS)].copy()
    df["score"] = pd.to_numeric(df["score"], errors="coerce")
    df["release_date"] = pd.to_datetime(df["release_date"], errors="coerce")
    df["access"] = df["access"].astype("string").str.strip().str.lower()
    df["chinese"] = as_bool(df["chinese"])
    df = df[df["access"].isin(["open", "closed"])]
    df = df.dropna(subset=["score", "release_date"])
    if chinese_only:
        df = df[(df["access"] == "closed") | df["chinese"]]
    # Keep each model's best row on a benchmark; date, access and country are properties of
    # the model, identical on all its rows.
    agg = df.sort_values("score", ascending=False, kind="mergesort").drop_duplicates(
        ["benchmark_id", "model_id"]
    )
    agg["access"] = agg["access"].astype(str)
    agg["benchmark_id"] = agg["benchmark_id"].astype(str)
    agg["model_id"] = agg["model_id"].astype(str)
    return sort_crossing_order(agg).reset_index(drop=True)


def sort_crossing_order(df: pd.DataFrame) -> pd.DataFrame:
    """Sort models in the order used to pick first crossers.

    Release date first (the method). Ties in release date are broken by the **higher score**,
    then by ``model_id``: of two models released the same day, the stronger one is first at every
    threshold both cross, so variants of one release (reasoning efforts ``_high``/``_medium``,
    third-party host copies) form one (closed, open) pair across thresholds instead of several
    pairs that would escape the pair de-duplication. The gap itself does not depend on the
    choice (same date).
    """
    return df.sort_values(
        ["benchmark_id", "release_date", "score", "model_id"],
        ascending=[True, True, False, True],
        kind="mergesort",
    )


def benchmark_thresholds(
    prepared: pd.DataFrame,
    benchmarks: pd.DataFrame,
    accepted_lists: Mapping[str, tuple[str, tuple[float, ...]]] | None = None,
    percentile: float = 10.0,
) -> dict[str, tuple[np.ndarray, str]]:
    """Return the accepted thresholds of every benchmark in ``benchmarks``.

    The 10th-percentile rule uses the per-model (max) scores of every model with known access
    and release date on the benchmark, i.e. ``prepared`` *before* any Chinese-only restriction:
    which thresholds are meaningful is a property of the benchmark, not of the comparison group.

    Parameters
    ----------
    prepared
        Output of :func:`prepare_scores` (``chinese_only=False``).
    benchmarks
        Columns ``benchmark_id, scale, name`` (one row per benchmark to analyse).
    accepted_lists, percentile
        Passed to :func:`gapbayes.baseline.thresholds.accepted_thresholds`.

    Returns
    -------
    dict
        benchmark_id -> (thresholds, rule).
    """
    out: dict[str, tuple[np.ndarray, str]] = {}
    by_bench = dict(tuple(prepared.groupby("benchmark_id", sort=False)))
    for row in benchmarks.itertuples(index=False):
        bid = str(row.benchmark_id)
        sub = by_bench.get(bid)
        values = sub["score"].to_numpy(float) if sub is not None else np.array([], dtype=float)
        out[bid] = accepted_thresholds(
            bid,
            str(row.scale),
            values,
            name=str(getattr(row, "name", "") or ""),
            accepted_lists=accepted_lists,
            percentile=percentile,
        )
    return out


def _first_index(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Return, per threshold, the first position with ``score >= threshold`` (-1 if none).

    ``scores`` must already be in crossing order (see :func:`sort_crossing_order`).
    """
    if scores.size == 0:
        return np.full(thresholds.size, -1)
    tol = REL_TOL * np.maximum(1.0, np.abs(thresholds))
    hit = scores[None, :] >= (thresholds - tol)[:, None]
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1)


_STATUS = np.array(["uncrossed", "open_only", "closed_only", "datapoint"])


def find_crossings(
    prepared: pd.DataFrame,
    benchmarks: pd.DataFrame,
    thresholds: Mapping[str, tuple[np.ndarray, str]],
) -> pd.DataFrame:
    """Return one row per (benchmark, accepted threshold) with its first crossers and status.

    Parameters
    ----------
    prepared
        Output of :func:`prepare_scores` (possibly Chinese-only).
    benchmarks
        Columns ``benchmark_id, access_type``.
    thresholds
        Output of :func:`benchmark_thresholds`.

    Returns
    -------
    pandas.DataFrame
        Columns ``benchmark_id, access_type, threshold, rule, closed_model, closed_date,
        open_model, open_date, gap_months, status``. ``status`` is ``datapoint`` (counted),
        ``duplicate_pair`` (the pair is counted at a higher threshold), ``closed_only`` (no open
        model has crossed yet: left out, as published), ``open_only`` (no closed model crossed:
        there is no closed date to measure from, so it is left out too; this does not happen
        in the published data) or ``uncrossed``.
    """
    access_type = dict(
        zip(benchmarks["benchmark_id"].astype(str), benchmarks["access_type"], strict=True)
    )
    by_bench = dict(tuple(prepared.groupby("benchmark_id", sort=False)))
    parts: list[pd.DataFrame] = []
    for bid, (values, rule) in thresholds.items():
        sub = by_bench.get(bid)
        t = np.asarray(values, dtype=float)
        if sub is None or t.size == 0:
            continue
        sub = sort_crossing_order(sub)
        cols = {}
        nat = np.datetime64("NaT", "ns")
        for group in ("closed", "open"):
            g = sub[sub["access"] == group]
            idx = _first_index(g["score"].to_numpy(float), t)
            ok = idx >= 0
            # Pad with one missing entry so that "no crosser" (-1) indexes a blank.
            models = np.append(g["model_id"].to_numpy(object), None)
            dates = np.append(g["release_date"].to_numpy("datetime64[ns]"), nat)
            cols[group] = (ok, models[idx], dates[idx])
        c_ok, c_model, c_date = cols["closed"]
        o_ok, o_model, o_date = cols["open"]
        gap = (o_date - c_date) / np.timedelta64(1, "D") / DAYS_PER_MONTH
        parts.append(
            pd.DataFrame(
                {
                    "benchmark_id": bid,
                    "access_type": access_type.get(bid, ""),
                    "threshold": t,
                    "rule": rule,
                    "closed_model": c_model,
                    "closed_date": pd.to_datetime(c_date),
                    "open_model": o_model,
                    "open_date": pd.to_datetime(o_date),
                    "gap_months": np.where(c_ok & o_ok, gap, np.nan),
                    "status": _STATUS[2 * c_ok + o_ok],
                }
            )
        )
    cols_out = [*DATAPOINT_COLUMNS[:3], "rule", *DATAPOINT_COLUMNS[3:], "status"]
    if not parts:
        table = pd.DataFrame(columns=cols_out)
        for col in ("closed_date", "open_date"):
            table[col] = pd.to_datetime(table[col])
        return table
    table = pd.concat(parts, ignore_index=True)[cols_out]
    return _dedup_pairs(table)


def _dedup_pairs(table: pd.DataFrame) -> pd.DataFrame:
    """Mark all but the highest threshold of each (benchmark, closed, open) pair as duplicates.

    De-duplication runs over the *accepted* thresholds of one benchmark: a pair whose highest
    spanned threshold was rejected by review is kept at its highest accepted one. Pairs on
    different benchmarks are separate evidence and are not merged.
    """
    if table.empty:
        return table
    both = table["status"] == "datapoint"
    top = (
        table[both]
        .groupby(["benchmark_id", "closed_model", "open_model"])["threshold"]
        .transform("max")
    )
    dup = both & (table["threshold"] < top.reindex(table.index))
    table.loc[dup, "status"] = "duplicate_pair"
    return table


def datapoints_from_crossings(crossings: pd.DataFrame) -> pd.DataFrame:
    """Return the counted datapoints (status ``datapoint``) in the datapoints.csv layout.

    Sorted by open date, benchmark and threshold so the table reads in time order.
    """
    dp = crossings.loc[crossings["status"] == "datapoint", DATAPOINT_COLUMNS]
    dp = dp.sort_values(["open_date", "benchmark_id", "threshold"], kind="mergesort")
    return dp.reset_index(drop=True)
