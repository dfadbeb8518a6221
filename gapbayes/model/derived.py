"""Gap quantities computed per posterior draw (the same code serves both backends).

Definitions (docs/methods.md section 4), with D_b(t) the backward gap on benchmark b in months:

- backward gap of a group of benchmarks at t: D(t) + mean over the group of the benchmark
  offsets (public/private, category, benchmark effect): how far back the closed frontier stood
  at today's open level, averaged over the group's benchmarks;
- forward gap: D_f(t) with D_f(t) = D_b(t + D_f(t)): how long until open reaches today's closed
  level (beyond the last data month the gap is held at its last value);
- horizontal gap at a score threshold: the open frontier crosses the threshold D_b(t_open)
  months after the closed frontier (comparable to the baseline's datapoints, but from latent
  frontiers, not noisy first crossings);
- bias terms in months: a capability shift divided by the frontier's growth rate at the last
  data month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.model.design import ModelData, years_since
from gapbayes.model.links import crossing_row

NAMED_DATES = {"2025-01-20": pd.Timestamp("2025-01-20")}
THRESHOLD_STEP = 0.05


def _stack(da: xr.DataArray) -> np.ndarray:
    """(chain, draw, ...) -> (S, ...) numpy array."""
    return da.stack(sample=("chain", "draw")).transpose("sample", ...).values


def _unstack(arr: np.ndarray, post: xr.Dataset, dims: list[str], coords: dict) -> xr.DataArray:
    nc, nd = post.sizes["chain"], post.sizes["draw"]
    out = arr.reshape((nc, nd, *arr.shape[1:]))
    return xr.DataArray(
        out,
        dims=["chain", "draw", *dims],
        coords={"chain": post["chain"].values, "draw": post["draw"].values, **coords},
    )


def group_masks(data: ModelData) -> dict[str, np.ndarray]:
    """Benchmark membership of the reported groups: overall, private, public, categories."""
    masks = {
        "overall": np.ones(len(data.bench_ids), bool),
        "private": data.bench_public == 0,
        "public": data.bench_public == 1,
    }
    for i, c in enumerate(data.category_names):
        masks[f"category:{c}"] = data.bench_category == i
    return {k: v for k, v in masks.items() if v.any()}


def forward_gap(times: np.ndarray, gap: np.ndarray, iterations: int = 30) -> np.ndarray:
    """Solve D_f(t) = D_b(t + D_f(t)/12) on a grid by fixed-point iteration.

    Parameters
    ----------
    times
        (R,) grid times in years.
    gap
        (S, R) backward gap in months on that grid.
    iterations
        Fixed-point iterations (the map is a contraction while |dD/dt| < 12 months/year).
    """
    fwd = gap.copy()
    for _ in range(iterations):
        target = times[None, :] + fwd / 12.0
        fwd = np.stack([np.interp(target[s], times, gap[s]) for s in range(gap.shape[0])])
    return fwd


def gap_quantities(post: xr.Dataset, data: ModelData) -> xr.Dataset:
    """Compute the derived gap quantities for every draw, as a Dataset with (chain, draw) dims.

    Variables: ``gap_backward`` (group, month), ``gap_forward`` (group, month),
    ``gap_at_date`` (group, date, direction), and the bias terms in months.
    """
    gap = _stack(post["gap"])                        # (S, R)
    offset = _stack(post["gap_offset"])              # (S, B)
    masks = group_masks(data)
    groups = list(masks)
    back = np.stack([gap + offset[:, m].mean(axis=1, keepdims=True) for m in masks.values()], 1)
    fwd = np.stack([forward_gap(data.report_time, back[:, g]) for g in range(len(groups))], 1)

    last = data.report_dates[-1]
    named = {**{k: years_since(pd.DatetimeIndex([v]), data.origin)[0]
                for k, v in NAMED_DATES.items()},
             f"last ({last})": data.report_time[-1]}
    at = np.empty((gap.shape[0], len(groups), len(named), 2))
    for j, tt in enumerate(named.values()):
        for g in range(len(groups)):
            at[:, g, j, 0] = [np.interp(tt, data.report_time, row) for row in back[:, g]]
            at[:, g, j, 1] = [np.interp(tt, data.report_time, row) for row in fwd[:, g]]

    month = {"month": data.report_dates}
    gdim = {"group": groups}
    out = {
        "gap_backward": _unstack(back, post, ["group", "month"], {**gdim, **month}),
        "gap_forward": _unstack(fwd, post, ["group", "month"], {**gdim, **month}),
        "gap_at_date": _unstack(
            at, post, ["group", "date", "direction"],
            {**gdim, "date": list(named), "direction": ["backward", "forward"]},
        ),
    }
    out.update(bias_terms_months(post, data))
    return xr.Dataset(out)


def growth_rate_at(post: xr.Dataset, data: ModelData, t: float) -> np.ndarray:
    """(S,) frontier growth rate (capability per year) at time ``t`` from the frontier grid."""
    F = _stack(post["frontier"])
    i = int(np.clip(np.searchsorted(data.grid_time, t) - 1, 0, len(data.grid_time) - 2))
    return (F[:, i + 1] - F[:, i]) / (data.grid_time[i + 1] - data.grid_time[i])


def bias_terms_months(post: xr.Dataset, data: ModelData) -> dict[str, xr.DataArray]:
    """Size of each bias term in months at the last data month.

    ``public_offset`` is already in months (negative: public benchmarks understate the gap);
    the provider penalty and self-report offset are capability shifts, converted with the
    frontier's growth rate at the last data month.
    """
    rate = growth_rate_at(post, data, data.report_time[-1])
    out: dict[str, xr.DataArray] = {}
    if "public_offset" in post:
        out["bias_public_offset_months"] = post["public_offset"]
    if "china_offset" in post:
        out["bias_china_offset_months"] = post["china_offset"]
    for name in ("provider_penalty", "self_report_offset"):
        if name in post:
            months = _stack(post[name]) / rate * 12.0
            out[f"bias_{name}_months"] = _unstack(months, post, [], {})
    return out


def threshold_gaps(post: xr.Dataset, data: ModelData, max_draws: int = 1000) -> pd.DataFrame:
    """Horizontal gap at each score threshold per sigmoid benchmark (posterior summary).

    For threshold y on benchmark b: the closed frontier crosses at t_c with F(t_c) = theta*(y);
    the open frontier crosses at t_o = t_c + D_b(t_o)/12; the gap is D_b(t_o). Only thresholds
    that both frontiers cross within the data window are reported.
    """
    S = post.sizes["chain"] * post.sizes["draw"]
    take = np.linspace(0, S - 1, min(S, max_draws)).astype(int)
    F = _stack(post["frontier"])[take]
    gap = _stack(post["gap"])[take]
    offset = _stack(post["gap_offset"])[take]
    sig = data.sig_benchmarks
    diff, slope, ceil = (_stack(post[v])[take] for v in ("difficulty", "slope", "ceiling"))
    t_lo, t_hi = data.report_time[0], data.report_time[-1]
    rows = []
    for k, b in enumerate(sig):
        c = data.bench_chance[b]
        for y in np.arange(np.ceil((c + 1e-9) / THRESHOLD_STEP) * THRESHOLD_STEP, 1.0,
                           THRESHOLD_STEP):
            frac = (y - c) / (ceil[:, k] - c)
            ok = (frac > 0) & (frac < 1)
            with np.errstate(invalid="ignore", divide="ignore"):  # masked by ok below
                theta = diff[:, k] + np.log(frac / (1 - frac)) / slope[:, k]
            t_c = np.array([np.interp(theta[s], F[s], data.grid_time) for s in range(len(take))])
            d_b = gap + offset[:, [b]]
            t_o = t_c.copy()
            for _ in range(30):
                t_o = t_c + np.array(
                    [np.interp(t_o[s], data.report_time, d_b[s]) for s in range(len(take))]
                ) / 12.0
            g = np.array([np.interp(t_o[s], data.report_time, d_b[s]) for s in range(len(take))])
            inside = ok & (t_c >= t_lo) & (t_o <= t_hi)
            if inside.mean() < 0.5:
                continue
            rows.append(crossing_row(data, b, y, t_c, t_o, g, inside))
    return pd.DataFrame(rows)

