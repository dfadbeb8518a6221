"""Gaps derived from the frontier curves, per posterior (or prior) draw.

Definitions (docs/model.md, "The gap"), with F_closed,c and F_open,c the category-c frontier
curves (general frontier plus the category trend) and s_b benchmark b's open-vs-closed shift:

- backward gap of benchmark b at t: D_b(t) = t - F_closed,c^-1(F_open,c(t) + s_b), how far back
  the closed frontier stood at today's open level;
- forward gap: D_f,b(t) = (F_open,c + s_b)^-1(F_closed,c(t)) - t, how long until open models
  reach today's closed level. Where that solution lies beyond the last open release it rests
  on the open curve's extrapolation: a forecast, labelled as such;
- a group's gap (overall, private, public, a category) at a date is the equal-weight mean of
  the gaps of its benchmarks identified at that date (:mod:`gapbayes.model.gap_vector`); the
  mean over all its benchmarks is kept as well;
- a new benchmark's gap per category: the hierarchical predictive of its shift;
- the change of the overall gap over the last 6 and 12 months of the window;
- bias terms in months: a capability shift divided by the closed frontier's growth rate at the
  release times of the scores it affects.

Curves are inverted on the monthly grid after a running maximum (a category frontier is the
best level reached so far, which makes it monotone even where a category trend falls). A
level the grid does not reach is censored at the grid's end (``lead_months`` back,
``forecast_months`` ahead): the gap is then reported as that bound, a lower bound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.model.country import (
    COUNTRY_ROWS,
    country_gap_draws,
    offset_on_grid,
    open_envelope,
)
from gapbayes.model.design import years_since
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.gap_vector import (
    new_benchmark_gaps,
    new_benchmark_shifts,
    shift_gaps,
    vector_arrays,
)
from gapbayes.model.host_effects import host_term
from gapbayes.model.lab_curves import lab_curve_lag_draws
from gapbayes.model.lab_lags import (
    COUNTRY_LAG_ROWS,
    country_lag_draws,
    frontier_holders,
    lab_lag_draws,
    lab_model_counts,
    reported_labs,
)
from gapbayes.model.saturation import (
    category_support,
    forecast_horizon,
    frontier_positions,
)

NAMED_DATES = {"2025-01-20": pd.Timestamp("2025-01-20")}
CHANGE_MONTHS = (6, 12)
FORECAST_SHARE = 0.1


def stack_draws(da: xr.DataArray) -> np.ndarray:
    """(chain, draw, ...) -> (S, ...)."""
    return da.stack(sample=("chain", "draw")).transpose("sample", ...).values


def _unstack(arr: np.ndarray, like: xr.Dataset, dims: list[str], coords: dict) -> xr.DataArray:
    nc, nd = like.sizes["chain"], like.sizes["draw"]
    return xr.DataArray(arr.reshape((nc, nd, *arr.shape[1:])), dims=["chain", "draw", *dims],
                        coords={"chain": like["chain"].values, "draw": like["draw"].values,
                                **coords})


def group_masks(data: FrontierData) -> dict[str, np.ndarray]:
    """Benchmark membership of the reported groups: overall, private, public, categories."""
    masks = {"overall": np.ones(len(data.bench_ids), bool),
             "private": data.bench_public == 0, "public": data.bench_public == 1}
    for i, c in enumerate(data.category_names):
        masks[f"category:{c}"] = data.bench_category == i
    return {k: v for k, v in masks.items() if v.any()}


def category_curves(post: xr.Dataset, data: FrontierData) -> tuple[np.ndarray, np.ndarray]:
    """Return the closed and open frontier of every category on the grid: (S, C, G) each.

    With the country term the open group's frontier is the better of the Chinese and the
    other open models' frontiers at each month (:func:`gapbayes.model.country.open_envelope`).
    """
    F = stack_draws(post["frontier"])                               # (S, 2, G)
    lift = open_envelope(post, data)
    if lift is not None:
        F = F.copy()
        F[:, 1] += lift
    C = len(data.category_names)
    if "category_trend_grid" in post:
        # monotone category frontiers: a curve per access group (S, 2, C, G)
        trend = stack_draws(post["category_trend_grid"])
        return F[:, 0, None, :] + trend[:, 0], F[:, 1, None, :] + trend[:, 1]
    if "category_trend_knots" in post:
        h = stack_draws(post["category_trend_knots"])               # (S, Kt, C)
        trend = np.einsum("gk,skc->scg", data.trend_interp, h)
    else:
        trend = np.zeros((F.shape[0], C, F.shape[2]))
    return F[:, 0, None, :] + trend, F[:, 1, None, :] + trend


def benchmark_gaps(post: xr.Dataset, data: FrontierData, times: np.ndarray,
                   with_curves: bool = False) -> tuple:
    """Backward and forward gap (months) of every benchmark at ``times``: (S, B, T) each.

    Also returns where the forward solution lies, (S, B, T) years since origin, to tell
    forecasts apart, and with ``with_curves`` the (closed, opened, shift) arrays used. A
    level beyond the grid (``lead_months`` back, ``forecast_months``
    ahead) is censored at the grid's end: the gap is then at least the value returned.
    """
    closed, opened = category_curves(post, data)
    shift = stack_draws(post["open_shift"])                          # (S, B)
    S, B, T = shift.shape[0], len(data.bench_ids), len(times)
    back, fwd, reach = (np.zeros((S, B, T)) for _ in range(3))
    for c in range(len(data.category_names)):
        members = np.flatnonzero(data.bench_category == c)
        if len(members):
            got = shift_gaps(closed[:, c], opened[:, c], shift[:, members], data.grid_time,
                             times)
            back[:, members], fwd[:, members], reach[:, members] = got
    if with_curves:
        return back, fwd, reach, (closed, opened, shift)
    return back, fwd, reach


def before_closed_data(back: np.ndarray, times: np.ndarray, data: FrontierData) -> np.ndarray:
    """Per draw, benchmark and time: does the backward gap read before the closed data.

    True where ``t - D(t)`` precedes the fit's first closed release: (S, B, T) booleans.

    There the closed curve is the growth walk's backward extrapolation, so the gap comes from
    the prior, not the data. Measured on independent worlds (docs/studies.md, "Where the
    model's bias comes from"): medians 4-9 months too small in the window's first year.
    """
    first_closed = float(data.base_time[data.base_open == 0].min())
    return (times[None, None, :] - back / 12.0) < first_closed


def named_times(data: FrontierData) -> dict[str, float]:
    """Dates reported by name: those inside the window, and the window's last month."""
    lo, hi = data.report_time[0], data.last_open_time
    out = {}
    for name, day in NAMED_DATES.items():
        t = float(years_since(pd.DatetimeIndex([day]), data.origin)[0])
        if lo <= t <= hi:
            out[name] = t
    out[f"last ({data.report_dates[-1]})"] = float(data.report_time[-1])
    return out


def gap_quantities(post: xr.Dataset, data: FrontierData) -> xr.Dataset:
    """Compute the derived gap variables for every draw, with (chain, draw) dims.

    Over all the benchmarks of a group (equal weight): ``gap_backward`` and ``gap_forward``
    (group, month), ``gap_forward_beyond`` (group, month: share of a draw's benchmarks whose
    forward solution lies past the last open release), ``gap_backward_before_data`` (group,
    month; ``..._at_date``: group, date): share of a draw's benchmarks whose backward gap
    reads the closed curve before the first closed release (:func:`before_closed_data`),
    ``gap_at_date`` (group, date, direction), ``gap_change`` (group, span: change of the
    backward gap over the last 6 and 12 months, the same benchmarks at both ends). Over the
    benchmarks identified at each date (the reported group gaps,
    :mod:`gapbayes.model.gap_vector`): ``gap_identified_*`` with the count used as coordinate
    ``n_identified_<direction>`` (``n_identified_at_date``); a new benchmark of each
    category: ``gap_new_benchmark`` (group, month, direction) and
    ``gap_new_benchmark_at_date``. Per benchmark at the named dates: ``gap_benchmark`` and
    ``benchmark_position``. And the bias terms in months.
    """
    named = named_times(data)
    times = np.concatenate([data.report_time, list(named.values())])
    R = len(data.report_time)
    back, fwd, reach, curves = benchmark_gaps(post, data, times, with_curves=True)
    masks = group_masks(data)
    g_back = np.stack([back[:, m].mean(axis=1) for m in masks.values()], axis=1)
    g_fwd = np.stack([fwd[:, m].mean(axis=1) for m in masks.values()], axis=1)
    beyond = np.stack([(reach[:, m] > data.last_open_time).mean(axis=1)
                       for m in masks.values()], axis=1)
    before = before_closed_data(back, times, data)
    before = np.stack([before[:, m].mean(axis=1) for m in masks.values()], axis=1)
    positions = frontier_positions(*curves, post, data, times)
    groups = {"group": list(masks)}
    month = {"month": data.report_dates}
    dates = {"date": list(named)}
    at = np.stack([g_back[:, :, R:], g_fwd[:, :, R:]], axis=-1)
    spans = [m for m in CHANGE_MONTHS if m < R]
    # a window shorter than the shortest span has no change to report (an empty span axis)
    change = np.zeros(g_back.shape[:2] + (len(spans),))
    for i, m in enumerate(spans):
        change[:, :, i] = g_back[:, :, R - 1] - g_back[:, :, R - 1 - m]
    out = {
        "gap_backward": _unstack(g_back[:, :, :R], post, ["group", "month"], {**groups, **month}),
        "gap_forward": _unstack(g_fwd[:, :, :R], post, ["group", "month"], {**groups, **month}),
        "gap_forward_beyond": _unstack(beyond[:, :, :R], post, ["group", "month"],
                                       {**groups, **month}),
        "gap_backward_before_data": _unstack(before[:, :, :R], post, ["group", "month"],
                                             {**groups, **month}),
        "gap_backward_before_data_at_date": _unstack(before[:, :, R:], post, ["group", "date"],
                                                     {**groups, **dates}),
        "gap_at_date": _unstack(at, post, ["group", "date", "direction"],
                                {**groups, **dates, "direction": ["backward", "forward"]}),
        "gap_change": _unstack(change, post, ["group", "span"],
                               {**groups, "span": [f"last {m} months" for m in spans]}),
        "gap_benchmark": _unstack(np.stack([back[:, :, R:], fwd[:, :, R:]], axis=-1), post,
                                  ["benchmark", "date", "direction"],
                                  {"benchmark": list(data.bench_ids), **dates,
                                   "direction": ["backward", "forward"]}),
        "benchmark_position": _unstack(
            positions[:, :, R:], post, ["benchmark", "date", "side"],
            {"benchmark": list(data.bench_ids), **dates, "side": ["open", "closed"]}),
    }
    support = data_support(post, data, back, fwd, times)
    if support is not None:
        # a coordinate, not a variable: it is the same in every draw
        out["gap_benchmark"] = out["gap_benchmark"].assign_coords(
            in_category_data=(("benchmark", "date", "direction"), support[:, R:]))
    out.update(_vector_variables(post, data, (back, fwd, reach), curves, positions, R,
                                 times, support))
    out.update(_country_variables(post, data, curves, times, R))
    out.update(_lab_variables(post, data, times, R))
    out.update(bias_terms_months(post, data, out["gap_at_date"]))
    return xr.Dataset(out)


def _vector_variables(post: xr.Dataset, data: FrontierData, gaps: tuple, curves: tuple,
                      positions: np.ndarray, R: int, times: np.ndarray,
                      support: np.ndarray | None) -> dict[str, xr.DataArray]:
    """Group gaps over the identified benchmarks and a new benchmark's gap per category.

    The first ``R`` of ``times`` are the report months, the others the named dates;
    ``support`` is :func:`data_support` at those times.
    """
    masks = group_masks(data)
    horizon = (data.last_open_time if support is None
               else forecast_horizon(data, data.last_open_time))
    vec = vector_arrays(*gaps, positions, masks, horizon, support)
    groups, named = list(masks), list(named_times(data))
    month = {"group": groups, "month": data.report_dates}
    out = {}
    for name in ("backward", "forward"):
        n = vec[f"n_{name}"]
        out[f"gap_identified_{name}"] = _unstack(vec[name][:, :, :R], post, ["group", "month"],
                                                 month).assign_coords(
            {f"n_identified_{name}": (("group", "month"), n[:, :R])})
    out["gap_identified_forward_beyond"] = _unstack(vec["forward_beyond"][:, :, :R], post,
                                                    ["group", "month"], month)
    at = np.stack([vec["backward"][:, :, R:], vec["forward"][:, :, R:]], axis=-1)
    counts = np.stack([vec["n_backward"][:, R:], vec["n_forward"][:, R:]], axis=-1)
    out["gap_identified_at_date"] = _unstack(
        at, post, ["group", "date", "direction"],
        {"group": groups, "date": named, "direction": ["backward", "forward"]}
    ).assign_coords(n_identified_at_date=(("group", "date", "direction"), counts))
    new_shift = new_benchmark_shifts(post, data)
    if new_shift is not None:
        new = new_benchmark_gaps(curves[0], curves[1], new_shift, data, times)
        if support is not None:
            # a new benchmark of a category is read where the category's trend is informed
            C = new.shape[1]
            for k in (0, 1):
                med = np.median(new[..., k], axis=0)                         # (C, T)
                ok = category_support(data, times, med, med, np.arange(C))[..., k]
                new[..., k] = np.where(ok[None], new[..., k], np.nan)
        # every group on the same axis (NaN for access groups): variables that share the
        # ``group`` dimension must share its index, or xarray reorders it on merging
        full = np.full(new.shape[:1] + (len(groups),) + new.shape[2:], np.nan)
        for g, name in enumerate(groups):
            if name.startswith("category:"):
                full[:, g] = new[:, list(data.category_names).index(name[len("category:"):])]
        direction = {"direction": ["backward", "forward"]}
        out["gap_new_benchmark"] = _unstack(full[:, :, :R], post,
                                            ["group", "month", "direction"],
                                            {**month, **direction})
        out["gap_new_benchmark_at_date"] = _unstack(full[:, :, R:], post,
                                                    ["group", "date", "direction"],
                                                    {"group": groups, "date": named,
                                                     **direction})
    return out


def data_support(post: xr.Dataset, data: FrontierData, back: np.ndarray, fwd: np.ndarray,
                 times: np.ndarray) -> np.ndarray | None:
    """Whether each benchmark's gap compares dates inside its category's data: (B, T, 2).

    None without category trends (every category then shares the general frontier's shape,
    informed by all the data). Decided on posterior median gaps
    (:func:`gapbayes.model.saturation.category_support`).
    """
    if "category_trend_knots" not in post and "category_trend_grid" not in post:
        return None
    return category_support(data, times, np.median(back, axis=0), np.median(fwd, axis=0),
                            np.asarray(data.bench_category))


def _country_variables(post: xr.Dataset, data: FrontierData, curves: tuple, times: np.ndarray,
                       R: int) -> dict[str, xr.DataArray]:
    """Chinese vs other open models' backward gaps (with the country term only)."""
    offset = offset_on_grid(post, data)
    if offset is None:
        return {}
    gaps = country_gap_draws(curves, np.maximum(offset, 0.0), offset, data, times)
    country = {"country": list(COUNTRY_ROWS)}
    return {"gap_country": _unstack(gaps[:, :, :R], post, ["country", "month"],
                                    {**country, "month": data.report_dates}),
            "gap_country_at_date": _unstack(gaps[:, :, R:], post, ["country", "date"],
                                            {**country, "date": list(named_times(data))})}


def _lab_variables(post: xr.Dataset, data: FrontierData, times: np.ndarray, R: int
                   ) -> dict[str, xr.DataArray]:
    """Lab lags and frontier holders (:mod:`gapbayes.model.lab_lags`).

    ``lab_lag`` (lab, month) and ``lab_lag_at_date`` (lab, date) per draw, with coordinates
    ``lab_closed_models`` and ``lab_open_models``; ``frontier_holder`` (access, month) and
    ``frontier_holder_at_date`` (access, date): the index into ``data.family_names`` of the
    family holding each group's frontier in each draw (-1 before the group's first release;
    attribute ``families`` lists the names). With enough Chinese and other open base models,
    ``country_lag`` (country, month) and ``country_lag_at_date`` (country, date): the lags of
    each subgroup's best model so far and their difference. With the ``lab_curves`` term,
    ``lab_curve_lag`` and ``lab_curve_lag_at_date``: the lags of each lab's typical-model
    curve (:mod:`gapbayes.model.lab_curves`). Empty without abilities or reported labs.
    """
    if "ability" not in post or not reported_labs(data):
        return {}
    ability = stack_draws(post["ability"])
    closed = stack_draws(post["frontier"])[:, 0, :]
    labs, lags = lab_lag_draws(ability, closed, data, times)
    counts = lab_model_counts(data, labs)
    lab = {"lab": labs}
    per_lab = {"lab_closed_models": ("lab", [counts[b][0] for b in labs]),
               "lab_open_models": ("lab", [counts[b][1] for b in labs])}
    codes = frontier_holders(ability, data, times).astype(float)
    families = {"families": list(data.family_names)}
    access = {"access": ["closed", "open"]}
    named = {"date": list(named_times(data))}
    month = {"month": data.report_dates}
    out = {}
    country = country_lag_draws(ability, closed, data, times)
    if country is not None:
        rows = {"country": list(COUNTRY_LAG_ROWS)}
        out["country_lag"] = _unstack(country[:, :, :R], post, ["country", "month"],
                                      {**rows, **month})
        out["country_lag_at_date"] = _unstack(country[:, :, R:], post, ["country", "date"],
                                              {**rows, **named})
    if "lab_shortfall_walk" in post:
        curve = _lab_curve_lags(post, data, times)
        out["lab_curve_lag"] = _unstack(curve[:, :, :R], post, ["lab", "month"],
                                        {**lab, **month}).assign_coords(per_lab)
        out["lab_curve_lag_at_date"] = _unstack(curve[:, :, R:], post, ["lab", "date"],
                                                {**lab, **named}).assign_coords(per_lab)
    return out | {
        "lab_lag": _unstack(lags[:, :, :R], post, ["lab", "month"],
                            {**lab, **month}).assign_coords(per_lab),
        "lab_lag_at_date": _unstack(lags[:, :, R:], post, ["lab", "date"],
                                    {**lab, **named}).assign_coords(per_lab),
        "frontier_holder": _unstack(codes[..., :R], post, ["access", "month"],
                                    {**access, **month}).assign_attrs(families),
        "frontier_holder_at_date": _unstack(codes[..., R:], post, ["access", "date"],
                                            {**access, **named}).assign_attrs(families),
    }


def _lab_curve_lags(post: xr.Dataset, data: FrontierData, times: np.ndarray) -> np.ndarray:
    """(S, L, T) lags of the reported labs' typical-model curves (lab_curves switch)."""
    log_scale = (stack_draws(post["shortfall_log_scale"])[:, None]
                 + stack_draws(post["shortfall_family_sd"])[:, None]
                 * stack_draws(post["shortfall_family_z"]))
    return lab_curve_lag_draws(stack_draws(post["frontier"]), log_scale,
                               stack_draws(post["lab_shortfall_walk"]), data, times)[1]


def closed_growth_rate(post: xr.Dataset, data: FrontierData, t: np.ndarray) -> np.ndarray:
    """(S, len(t)) growth rate of the closed general frontier (capability per year) at t."""
    F = stack_draws(post["frontier"])[:, 0, :]
    slope = np.diff(F, axis=1) / np.diff(data.grid_time)[None, :]
    mid = 0.5 * (data.grid_time[1:] + data.grid_time[:-1])
    return np.stack([np.interp(t, mid, row) for row in slope])


def bias_terms_months(post: xr.Dataset, data: FrontierData, at_date: xr.DataArray
                      ) -> dict[str, xr.DataArray]:
    """Bias terms in months of closed-frontier progress where they act.

    The provider penalty, the self-report offset and the contamination term are capability
    shifts; each is converted with the closed frontier's growth rate at the release times of
    the scores it affects (not at the last month: most affected scores were made when growth
    was slower); contamination at full exposure. The public-benchmark term is the public minus
    the private backward gap at the last month.
    """
    out: dict[str, xr.DataArray] = {}
    t_obs = data.base_time[data.obs_base]
    for name, mask in (("provider_penalty", data.obs_host == 1),
                       ("self_report_offset", data.obs_self == 1),
                       ("contamination", data.obs_exposure > 0)):
        if name in post and mask.any():
            rate = closed_growth_rate(post, data, np.unique(t_obs[mask]))
            months = stack_draws(post[name])[:, None] / rate * 12.0
            out[f"bias_{name}_months"] = _unstack(months.mean(axis=1), post, [], {})
    if "host_penalty" in post:
        for h, host in enumerate(data.host_names):
            mask = data.obs_host_id == h + 1
            rate = closed_growth_rate(post, data, np.unique(t_obs[mask]))
            months = stack_draws(post["host_penalty"].isel(host=h))[:, None] / rate * 12.0
            out[f"bias_{host_term(host)}_months"] = _unstack(months.mean(axis=1), post, [], {})
    groups = list(at_date["group"].values)
    if {"public", "private"} <= set(groups):
        last = at_date["date"].values[-1]
        sel = at_date.sel(date=last, direction="backward")
        out["bias_public_vs_private_months"] = (sel.sel(group="public")
                                                - sel.sel(group="private")).drop_vars(
            ["date", "direction", "group"], errors="ignore")
    return out
