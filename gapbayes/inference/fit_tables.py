"""The summary tables of a result folder, computed from a fitted DataTree.

Every interval is equal-tailed with its probability in the column name (``eti50_lo``,
``eti90_hi`` ...). Forward gaps carry ``forecast_share``: the share of draws whose forward
solution lies past the last open-model release (it rests on the open curve's extrapolation),
and ``forecast`` when that share exceeds 10%. Backward gaps carry ``before_data_share``: the
share whose reading point lies before the first closed release (the closed curve's prior
extrapolation), and ``before_closed_data`` when it exceeds 10%.

Group gaps are equal-weight means over the group's benchmarks identified at each date
(column ``weighting``; :mod:`gapbayes.model.gap_vector`); the mean over all of them is in the
``all_benchmarks_*`` columns and a new benchmark's gap per category in ``new_benchmark_*``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.inference.diagnostics import interval_table, parameter_summary
from gapbayes.model.bias_support import bias_support, with_support
from gapbayes.model.gap_vector import weighting
from gapbayes.model.lab_lags import holder_probabilities
from gapbayes.model.saturation import identification_table

FORECAST_SHARE = 0.1


def with_vector(post: xr.Dataset, data) -> xr.Dataset:
    """Return the posterior with the gap-vector variables (``gap_identified_*`` ...).

    Results written before they existed get them recomputed from the frontier curves (a few
    seconds); posteriors of models without frontier curves are returned unchanged.
    """
    if "gap_identified_backward" in post or "open_shift" not in post:
        return post
    from gapbayes.model.frontier_gaps import gap_quantities

    derived = gap_quantities(post, data)
    return xr.merge([post.drop_vars(list(derived.data_vars), errors="ignore"), derived])


def _group_sizes(post: xr.Dataset, data) -> dict[str, int]:
    if data is None:
        return {}
    from gapbayes.model.frontier_gaps import group_masks

    return {g: int(m.sum()) for g, m in group_masks(data).items()}


def _quiet_intervals(da: xr.DataArray) -> pd.DataFrame:
    # a group with no identified benchmark is NaN in every draw: its interval is NaN too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return interval_table(da)


def _counts(coord: xr.DataArray) -> pd.DataFrame:
    """Return a count coordinate as a frame: its dims as columns, the count ``n_identified``."""
    return coord.reset_coords(drop=True).to_series().rename("n_identified").reset_index()


def _vector_columns(table: pd.DataFrame, post: xr.Dataset, data, keys: list[str], what: str
                    ) -> pd.DataFrame:
    """Add the weighting, the all-benchmark summary and the new-benchmark intervals.

    ``what`` is ``month`` (``gap_over_time``) or ``date`` (``gap_at_dates``).
    """
    sizes = _group_sizes(post, data)
    if what == "month":
        count = pd.concat([_counts(post[f"gap_identified_{d}"][f"n_identified_{d}"])
                           .assign(direction=d) for d in ("backward", "forward")])
        every = xr.concat([post["gap_backward"].assign_coords(direction="backward"),
                           post["gap_forward"].assign_coords(direction="forward")],
                          dim="direction")
        new = post.get("gap_new_benchmark")
    else:
        count = _counts(post["gap_identified_at_date"]["n_identified_at_date"])
        every = post["gap_at_date"]
        new = post.get("gap_new_benchmark_at_date")
    table = table.merge(count, on=keys, how="left")
    table["n_benchmarks"] = table["group"].map(sizes)
    table["weighting"] = [weighting(int(n)) for n in table["n_identified"]]
    cols = ["median", "eti90_lo", "eti90_hi"]
    all_part = _quiet_intervals(every)[[*keys, *cols]].rename(
        columns={c: f"all_benchmarks_{c}" for c in cols})
    table = table.merge(all_part, on=keys, how="left")
    if new is not None:
        new_cols = ["median", "eti50_lo", "eti50_hi", "eti90_lo", "eti90_hi"]
        new_part = _quiet_intervals(new)[[*keys, *new_cols]].rename(
            columns={c: f"new_benchmark_{c}" for c in new_cols})
        table = table.merge(new_part, on=keys, how="left")
    return table


def gap_over_time(post: xr.Dataset, data=None) -> pd.DataFrame:
    """Backward and forward gap by group and month, forward months flagged as forecasts.

    With the gap-vector variables (:mod:`gapbayes.model.gap_vector`) a group's gap is the
    equal-weight mean over its benchmarks identified at that month (NaN where none is), with
    the columns ``n_identified``, ``n_benchmarks``, ``weighting``, the mean over all the
    group's benchmarks (``all_benchmarks_*``) and, for categories, a new benchmark's gap
    (``new_benchmark_*``).
    """
    vector = "gap_identified_backward" in post
    prefix = "gap_identified_" if vector else "gap_"
    parts = []
    for direction in ("backward", "forward"):
        t = _quiet_intervals(post[f"{prefix}{direction}"].reset_coords(drop=True))
        t.insert(2, "direction", direction)
        beyond = f"{prefix}forward_beyond"
        if direction == "forward" and beyond in post:
            share = post[beyond].reset_coords(drop=True).mean(("chain", "draw")).to_dataframe(
                name="forecast_share").reset_index()
            t = t.merge(share, on=["group", "month"], how="left")
            t["forecast"] = t["forecast_share"] > FORECAST_SHARE
        else:
            t["forecast_share"] = 0.0
            t["forecast"] = False
        t = _before_data_columns(t, post, direction, "gap_backward_before_data", "month")
        parts.append(t)
    table = pd.concat(parts, ignore_index=True)
    if vector:
        table = _vector_columns(table, post, data, ["group", "month", "direction"], "month")
    return table


def gap_at_dates(post: xr.Dataset, data=None) -> pd.DataFrame:
    """Gaps at the named dates and the last month, forward ones flagged as forecasts.

    Columns as :func:`gap_over_time` (identified benchmarks, all benchmarks, new benchmark).
    """
    vector = "gap_identified_at_date" in post
    name = "gap_identified_at_date" if vector else "gap_at_date"
    table = _quiet_intervals(post[name].reset_coords(drop=True))
    table["forecast"] = False
    beyond = "gap_identified_forward_beyond" if vector else "gap_forward_beyond"
    if beyond in post:
        last = post[beyond].isel(month=-1).mean(("chain", "draw"))
        for i, row in table.iterrows():
            if row["direction"] == "forward" and str(row["date"]).startswith("last"):
                table.loc[i, "forecast"] = bool(float(last.sel(group=row["group"]))
                                                > FORECAST_SHARE)
    parts = [_before_data_columns(table[table["direction"] == d], post, d,
                                  "gap_backward_before_data_at_date", "date")
             for d in ("backward", "forward")]
    table = pd.concat(parts).sort_index()
    if vector:
        table = _vector_columns(table, post, data, ["group", "date", "direction"], "date")
    return table


def _before_data_columns(table: pd.DataFrame, post: xr.Dataset, direction: str, name: str,
                         key: str) -> pd.DataFrame:
    """Add ``before_data_share`` and ``before_closed_data`` (share > 10%) to gap rows.

    The share is that of draws x benchmarks whose backward gap reads the closed curve before
    the first closed release (the curve's prior extrapolation); forward rows and results
    written before the variable existed get NaN and False.
    """
    table = table.copy()
    if direction != "backward" or name not in post:
        table["before_data_share"] = np.nan
        table["before_closed_data"] = False
        return table
    share = post[name].reset_coords(drop=True).mean(("chain", "draw")).to_dataframe(
        name="before_data_share").reset_index()
    keep = table.index
    table = table.merge(share, on=["group", key], how="left")
    table.index = keep
    table["before_closed_data"] = table["before_data_share"] > FORECAST_SHARE
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
    saturated, at the floor, or outside its category's data;
    :mod:`gapbayes.model.saturation`).
    """
    if "gap_benchmark" not in post:
        return pd.DataFrame()
    table = interval_table(post["gap_benchmark"])
    names = dict(zip(data.bench_ids, getattr(data, "bench_names", data.bench_ids), strict=True))
    table.insert(1, "name", table["benchmark"].map(names))
    if "benchmark_position" in post:
        pos = post["benchmark_position"].stack(sample=("chain", "draw"))
        support = (post["gap_benchmark"]["in_category_data"].transpose(
            "benchmark", "date", "direction").values.astype(bool)
            if "in_category_data" in post["gap_benchmark"].coords else None)
        ident = identification_table(pos.transpose("sample", ...).values, data,
                                     [str(d) for d in post["date"].values], support)
        table = table.merge(ident, on=["benchmark", "date", "direction"], how="left")
    return table


def country_gaps(post: xr.Dataset) -> pd.DataFrame:
    """Chinese vs other open models' backward gaps at the named dates and every month.

    Columns ``country`` (chinese open, other open, chinese minus other open), ``date`` (a
    named date or a month), ``median`` and equal-tailed intervals, and ``weighting``. Empty
    without the country term.
    """
    if "gap_country_at_date" not in post:
        return pd.DataFrame()
    at = interval_table(post["gap_country_at_date"])
    months = interval_table(post["gap_country"]).rename(columns={"month": "date"})
    table = pd.concat([at, months], ignore_index=True)
    table.insert(2, "direction", "backward")
    table["weighting"] = "equal weight over all fitted benchmarks"
    return table


def country_lags(post: xr.Dataset) -> pd.DataFrame:
    """Lags of the best Chinese and the best other open base model so far, and their difference.

    Columns ``country`` (chinese open, other open, chinese minus other open), ``date`` (a
    named date or a month), ``median`` and equal-tailed intervals; months before a
    subgroup's first model are left out. Empty when the result has no country lags
    (:mod:`gapbayes.model.lab_lags`).
    """
    if "country_lag_at_date" not in post:
        return pd.DataFrame()
    parts = [_quiet_intervals(post[name]).rename(columns={"month": "date"})
             for name in ("country_lag_at_date", "country_lag")]
    return pd.concat(parts, ignore_index=True).dropna(subset=["median"]).reset_index(drop=True)


def lab_lags(post: xr.Dataset, name: str = "lab_lag") -> pd.DataFrame:
    """Each lab's lag behind the closed frontier at the named dates and every month.

    Columns ``lab``, ``closed_models`` and ``open_models`` (its base models in the fit),
    ``date`` (a named date or a month), ``median`` and equal-tailed intervals; months before
    the lab's first model are left out. Empty without lab lags
    (:mod:`gapbayes.model.lab_lags` has the definition). ``name="lab_curve_lag"`` gives the
    lags of the labs' typical-model curves instead (:mod:`gapbayes.model.lab_curves`).
    """
    if f"{name}_at_date" not in post:
        return pd.DataFrame()
    parts = []
    for var in (f"{name}_at_date", name):
        da = post[var].reset_coords(["lab_closed_models", "lab_open_models"], drop=True)
        parts.append(_quiet_intervals(da).rename(columns={"month": "date"}))
    table = pd.concat(parts, ignore_index=True).dropna(subset=["median"])
    counts = post[name].coords
    n_closed = dict(zip(counts["lab"].values, counts["lab_closed_models"].values, strict=True))
    n_open = dict(zip(counts["lab"].values, counts["lab_open_models"].values, strict=True))
    table["closed_models"] = table["lab"].map(n_closed).astype(int)
    table["open_models"] = table["lab"].map(n_open).astype(int)
    first = ["lab", "closed_models", "open_models", "date"]
    return table[first + [c for c in table.columns if c not in first]].reset_index(drop=True)


def frontier_holders(post: xr.Dataset) -> pd.DataFrame:
    """Posterior probability that each lab holds each group's frontier, by date.

    Columns ``access`` (closed, open), ``date`` (named dates, then every month), ``holder``
    (a family; ``other`` is the organisations outside the listed families) and
    ``probability`` (share of draws); rows with probability 0 are left out.
    """
    if "frontier_holder_at_date" not in post:
        return pd.DataFrame()
    families = list(post["frontier_holder"].attrs["families"])
    rows = []
    dates = []
    for name, dim in (("frontier_holder_at_date", "date"), ("frontier_holder", "month")):
        da = post[name]
        dates += [str(d) for d in da[dim].values]
        codes = da.stack(sample=("chain", "draw")).transpose("sample", ...).values
        probs = holder_probabilities(np.rint(codes).astype(int), len(families))
        for h, fam in enumerate(families):
            for a, access in enumerate(da["access"].values):
                for d, date in enumerate(da[dim].values):
                    if probs[h, a, d] > 0:
                        rows.append({"access": str(access), "date": str(date), "holder": fam,
                                     "probability": float(probs[h, a, d])})
    table = pd.DataFrame(rows, columns=["access", "date", "holder", "probability"])
    # the coordinates' order (named dates, then months), not the order rows were found in
    order = {d: i for i, d in enumerate(dict.fromkeys(dates))}
    return (table.assign(_d=table["date"].map(order))
            .sort_values(["access", "_d", "probability"], ascending=[True, True, False])
            .drop(columns="_d").reset_index(drop=True))


def named_dates_only(country: pd.DataFrame, at_dates: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of the country table at the named dates of ``gap_at_dates`` (every row without it).

    ``country_gaps.csv`` holds every month as well; the named dates are those of the result's
    ``gap_at_dates`` table (reference copies leave ``gap_over_time.csv`` out, not this one).
    """
    if at_dates is None or "date" not in at_dates:
        return country.reset_index(drop=True)
    named = set(at_dates["date"].astype(str))
    return country[country["date"].astype(str).isin(named)].reset_index(drop=True)


def lab_lags_at_dates(labs: pd.DataFrame, at_dates: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of ``lab_lags`` at the named dates, lab by lab: most base models first.

    Labs are ordered by their base models in the fit (closed plus open, most first, then by
    name), each lab's dates in the table's order; a lab without a model by a date has no row
    there (:func:`named_dates_only` picks the dates).
    """
    rows = named_dates_only(labs, at_dates)
    total = rows["closed_models"] + rows["open_models"]
    dates = {d: i for i, d in enumerate(dict.fromkeys(rows["date"].astype(str)))}
    key = rows.assign(_n=-total, _d=rows["date"].astype(str).map(dates))
    return (key.sort_values(["_n", "lab", "_d"], kind="stable")
            .drop(columns=["_n", "_d"]).reset_index(drop=True))


def frontier_holders_at_dates(holders: pd.DataFrame, at_dates: pd.DataFrame | None,
                              min_probability: float = 0.0) -> pd.DataFrame:
    """Rows of ``frontier_holders`` at the named dates with at least ``min_probability``.

    Kept in the table's order: access group, date, most probable holder first.
    """
    rows = named_dates_only(holders, at_dates)
    # shares of draws are ratios such as 2/40: compare with a little room for rounding
    return rows[rows["probability"] >= min_probability - 1e-9].reset_index(drop=True)


def summary_tables(dt: xr.DataTree, data, fam) -> dict[str, pd.DataFrame]:
    """Compute the CSV tables of a result folder for a fit of family ``fam``."""
    post = with_vector(dt["posterior"].to_dataset(), data)
    params = parameter_summary(dt, list(fam.main_parameters)).reset_index(names="parameter")
    tables = {
        "gap_over_time": gap_over_time(post, data),
        "gap_at_dates": gap_at_dates(post, data),
        "bias_terms": with_support(bias_terms(post),
                                   bias_support(data, hosts="host_penalty" in post,
                                                contamination="contamination" in post)),
        "threshold_gaps": fam.threshold_gaps(post, data),
        "parameters": params,
        "inclusion": data.inclusion,
    }
    bench = benchmark_gaps(post, data)
    if not bench.empty:
        tables["benchmark_gaps"] = bench
    country = country_gaps(post)
    if not country.empty:
        tables["country_gaps"] = country
    lags = country_lags(post)
    if not lags.empty:
        tables["country_lags"] = lags
    labs = lab_lags(post)
    if not labs.empty:
        tables["lab_lags"] = labs
        tables["frontier_holders"] = frontier_holders(post)
    curves = lab_lags(post, "lab_curve_lag")
    if not curves.empty:
        tables["lab_curves"] = curves
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
