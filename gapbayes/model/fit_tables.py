"""The summary tables of a result folder, computed from a fitted DataTree.

Every interval is equal-tailed with its probability in the column name (``eti50_lo``,
``eti90_hi`` ...). Forward gaps carry ``forecast_share``: the share of draws whose forward
solution lies past the last open-model release (it rests on the open curve's extrapolation),
and ``forecast`` when that share exceeds 10%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.model.bias_support import bias_support, with_support
from gapbayes.model.diagnostics import interval_table, parameter_summary
from gapbayes.model.saturation import identification_table

FORECAST_SHARE = 0.1


def gap_over_time(post: xr.Dataset) -> pd.DataFrame:
    """Backward and forward gap by group and month, forward months flagged as forecasts."""
    parts = []
    for direction in ("backward", "forward"):
        t = interval_table(post[f"gap_{direction}"])
        t.insert(2, "direction", direction)
        if direction == "forward" and "gap_forward_beyond" in post:
            share = post["gap_forward_beyond"].mean(("chain", "draw")).to_dataframe(
                name="forecast_share").reset_index()
            t = t.merge(share, on=["group", "month"], how="left")
            t["forecast"] = t["forecast_share"] > FORECAST_SHARE
        else:
            t["forecast_share"] = 0.0
            t["forecast"] = False
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def gap_at_dates(post: xr.Dataset) -> pd.DataFrame:
    """Gaps at the named dates and the last month, forward ones flagged as forecasts."""
    table = interval_table(post["gap_at_date"])
    table["forecast"] = False
    if "gap_forward_beyond" in post:
        last = post["gap_forward_beyond"].isel(month=-1).mean(("chain", "draw"))
        for i, row in table.iterrows():
            if row["direction"] == "forward" and str(row["date"]).startswith("last"):
                table.loc[i, "forecast"] = bool(float(last.sel(group=row["group"]))
                                                > FORECAST_SHARE)
    return table


def bias_terms(post: xr.Dataset) -> pd.DataFrame:
    """Bias terms in months (``bias_*_months`` variables)."""
    names = [v for v in post.data_vars if v.startswith("bias_")]
    if not names:
        return pd.DataFrame()
    frame = pd.concat([interval_table(post[v]).assign(
        term=v.removeprefix("bias_").removesuffix("_months")) for v in names], ignore_index=True)
    return frame[["term", *[c for c in frame.columns if c != "term"]]]


def benchmark_gaps(post: xr.Dataset, data) -> pd.DataFrame:
    """Gap of every benchmark at the named dates, with display names and identification.

    Where the posterior has ``benchmark_position`` (model v2), each row also says whether the
    benchmark still discriminates where its gap is read (``identified``; ``reason``:
    saturated or at the floor; :mod:`gapbayes.model.saturation`).
    """
    if "gap_benchmark" not in post:
        return pd.DataFrame()
    table = interval_table(post["gap_benchmark"])
    names = dict(zip(data.bench_ids, getattr(data, "bench_names", data.bench_ids), strict=True))
    table.insert(1, "name", table["benchmark"].map(names))
    if "benchmark_position" in post:
        pos = post["benchmark_position"].stack(sample=("chain", "draw"))
        ident = identification_table(pos.transpose("sample", ...).values, data,
                                     [str(d) for d in post["date"].values])
        table = table.merge(ident, on=["benchmark", "date", "direction"], how="left")
    return table


def summary_tables(dt: xr.DataTree, data, fam) -> dict[str, pd.DataFrame]:
    """Compute the CSV tables of a result folder for a fit of family ``fam``."""
    post = dt["posterior"].to_dataset()
    params = parameter_summary(dt, list(fam.main_parameters)).reset_index(names="parameter")
    tables = {
        "gap_over_time": gap_over_time(post),
        "gap_at_dates": gap_at_dates(post),
        "bias_terms": with_support(bias_terms(post), bias_support(data)),
        "threshold_gaps": fam.threshold_gaps(post, data),
        "parameters": params,
        "inclusion": data.inclusion,
    }
    bench = benchmark_gaps(post, data)
    if not bench.empty:
        tables["benchmark_gaps"] = bench
    return tables


def window(data) -> dict:
    """Return the reporting window: first month with both groups to the last open release."""
    if not hasattr(data, "last_open_time"):
        return {"first_month": data.report_dates[0], "last_month": data.report_dates[-1]}

    def day(t: float) -> str:
        return f"{data.origin + pd.Timedelta(days=float(t) * 365.25):%Y-%m-%d}"

    return {"first_month": data.report_dates[0], "last_month": data.report_dates[-1],
            "last_open_release": day(data.last_open_time),
            "last_closed_release": day(data.last_closed_time),
            "named_dates_inside": [d for d in ("2025-01-20",)
                                   if data.report_time[0] <= _years(data, d)
                                   <= data.last_open_time]}


def _years(data, date: str) -> float:
    return float((pd.Timestamp(date) - data.origin) / pd.Timedelta(days=1) / 365.25)


def finite_or_none(x: float) -> float | None:
    """JSON-safe float."""
    return None if x is None or not np.isfinite(x) else float(x)
