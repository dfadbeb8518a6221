"""Horizontal gaps at score thresholds from the frontier model's latent curves.

The model-based counterpart of the threshold method's datapoints (gapbayes.baseline): for
each score threshold of a benchmark, the months between the closed and the open category
frontier reaching the capability at which the benchmark's expected score is that threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.frontier_gaps import category_curves, stack_draws
from gapbayes.model.gap_vector import monotone
from gapbayes.model.links import crossing_row, link_inverse

THRESHOLD_STEP = 0.05


def threshold_gaps(post: xr.Dataset, data: FrontierData, max_draws: int = 400) -> pd.DataFrame:
    """Horizontal gap at score thresholds per sigmoid benchmark, from the latent curves.

    For threshold y on benchmark b: the closed category frontier reaches the capability at which
    the benchmark's expected score is y at t_c, the open one (with b's shift) at t_o; the gap is
    t_o - t_c in months, comparable to the threshold method's datapoints but without first
    crossings. Reported where both times fall inside the data window in at least half the draws.
    """
    if not len(data.sig_benchmarks):
        return pd.DataFrame()
    S = post.sizes["chain"] * post.sizes["draw"]
    take = np.linspace(0, S - 1, min(S, max_draws)).astype(int)
    sub = post.stack(sample=("chain", "draw")).isel(sample=take)
    sub = sub.drop_vars(["sample", "chain", "draw"]).rename({"sample": "draw"})
    sub = sub.expand_dims(chain=[0]).transpose("chain", "draw", ...)
    closed, opened = category_curves(sub, data)
    shift = stack_draws(sub["open_shift"])
    diff, slope, ceil = (stack_draws(sub[v]) for v in ("difficulty", "slope", "ceiling"))
    shape = stack_draws(sub["shape"]) if "shape" in sub else None
    lo, hi = data.report_time[0], data.last_open_time
    rows = []
    for k, b in enumerate(data.sig_benchmarks):
        c, chance = data.bench_category[b], data.bench_chance[b]
        start = np.ceil((chance + 1e-9) / THRESHOLD_STEP) * THRESHOLD_STEP
        for y in np.arange(start, 1.0, THRESHOLD_STEP):
            frac = (y - chance) / (ceil[:, k] - chance)
            ok = (frac > 0) & (frac < 1)
            level = diff[:, k] + link_inverse(frac, None if shape is None
                                              else shape[:, k]) / slope[:, k]
            t_c = np.array([np.interp(level[s], monotone(closed[s, c]), data.grid_time)
                            for s in range(len(take))])
            t_o = np.array([np.interp(level[s] - shift[s, b], monotone(opened[s, c]),
                                      data.grid_time) for s in range(len(take))])
            inside = ok & (t_c >= lo) & (t_o <= hi) & (t_c <= hi)
            if inside.mean() < 0.5:
                continue
            rows.append(crossing_row(data, b, y, t_c, t_o, (t_o - t_c) * 12.0, inside))
    return pd.DataFrame(rows)

