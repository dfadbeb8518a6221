"""Saturation and floor: whether a benchmark still discriminates where its gap is read.

A benchmark's backward gap at t asks when the closed frontier stood at today's open level, so
the benchmark informs it only if its scores still move around the **open** frontier's level:
the open frontier's expected score must lie inside the benchmark's range (chance to ceiling),
not at its ceiling (saturated) nor at its floor. The forward gap asks when open models reach
today's closed level: it needs the **closed** frontier's expected score inside the range.

Position = A(slope_b (F_g,c(t) + shift - difficulty_b)), A the link's curve (logistic, or the
asymmetric link with the benchmark's shape), the share of the way from
chance to ceiling that a model at the group's category frontier is expected to score. The
gap of benchmark b at a date is "not identified" when the posterior median position lies
outside [FLOOR, CEILING]; the gap is still derived from the latent curves (the model does not
force convergence at a ceiling), but the benchmark itself no longer informs it. Linear
benchmarks (no ceiling) always discriminate.

Data support. With category trends, benchmark b's gap compares its category's frontiers at
two dates (t and the matched date t -+ D), and the trend h_c is informed only where the
category has scores. Outside that span (widened by SPAN_TOLERANCE_MONTHS at both ends) the
trend is the random walk's extrapolation, so the gap comes from the prior: measured on the
bundled data, long context (one benchmark, scores from 2024-12) had a backward gap of 4.4
months [1.9, 37.5] (90% ETI) near 2025-01-20. Such a gap is "not identified" too (reason
"outside its category's data"), decided on posterior medians like saturation. A forward
solution past the category's last scores is labelled a forecast instead, like one past the
last open release.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.model.design import interp_matrix
from gapbayes.model.links import link_share

FLOOR, CEILING = 0.05, 0.95
# A quarter: about the time a yearly trend walk with the bundled data's scale (sd ~0.3 a year)
# needs to drift by 0.15 capability units, one month of closed-frontier progress.
SPAN_TOLERANCE_MONTHS = 3.0
OUTSIDE_DATA = "outside its category's data"


def frontier_positions(closed: np.ndarray, opened: np.ndarray, shift: np.ndarray,
                       post: xr.Dataset, data, times: np.ndarray) -> np.ndarray:
    """Position of both frontiers on every sigmoid benchmark's range: (S, B, T, 2).

    Parameters
    ----------
    closed, opened
        Category frontier curves on the grid, (S, C, G) each.
    shift
        Open-vs-closed shift per benchmark, (S, B).
    post
        Posterior (or prior) draws with ``difficulty`` and ``slope`` over the sigmoid
        benchmarks.
    data
        The fit's :class:`~gapbayes.model.frontier_design.FrontierData`.
    times
        Years since the origin.

    Returns
    -------
    numpy.ndarray
        Last axis: (open, closed). NaN for linear benchmarks.
    """
    S, B = shift.shape
    out = np.full((S, B, len(times), 2), np.nan)
    sig = np.asarray(data.sig_benchmarks)
    if not len(sig) or "slope" not in post:
        return out
    diff = post["difficulty"].stack(sample=("chain", "draw")).transpose("sample", ...).values \
        if "difficulty" in post else np.zeros((S, len(sig)))
    slope = post["slope"].stack(sample=("chain", "draw")).transpose("sample", ...).values
    shape = (post["shape"].stack(sample=("chain", "draw")).transpose("sample", ...).values
             if "shape" in post else None)
    # times are fixed: interpolation on the grid is one matrix product for every draw
    W = interp_matrix(np.asarray(times, float), data.grid_time)          # (T, G)
    open_at, closed_at = opened @ W.T, closed @ W.T                      # (S, C, T)
    for j, b in enumerate(sig):
        c = data.bench_category[b]
        for k, level in enumerate((open_at[:, c] + shift[:, b, None], closed_at[:, c])):
            z = slope[:, j, None] * (level - diff[:, j, None])
            out[:, b, :, k] = link_share(z, None if shape is None else shape[:, j, None])
    return out


def category_data_span(data) -> np.ndarray:
    """First and last release time of the base models scored in each category: (C, 2).

    NaN for a category without scores. Years since the origin.
    """
    category = np.asarray(data.bench_category)[data.obs_bench]
    released = np.asarray(data.base_time)[data.obs_base]
    span = np.full((len(data.category_names), 2), np.nan)
    for c in range(len(span)):
        if (category == c).any():
            span[c] = released[category == c].min(), released[category == c].max()
    return span


def category_support(data, times: np.ndarray, back: np.ndarray, fwd: np.ndarray,
                     category: np.ndarray) -> np.ndarray:
    """Whether both dates a gap compares lie in its category's data span: (K, T, 2) bool.

    Parameters
    ----------
    data
        The fit's design.
    times
        Years since the origin, (T,).
    back, fwd
        Posterior median backward and forward gaps in months, (K, T).
    category
        Category index of each of the K benchmarks (fitted or hypothetical).

    Returns
    -------
    numpy.ndarray
        Index 0: t and t - D_back inside the span; index 1: t inside it and t + D_fwd not
        before it (past its end the forward gap is a forecast). The span is widened by
        :data:`SPAN_TOLERANCE_MONTHS` at both ends.
    """
    span = category_data_span(data)[np.asarray(category)]
    pad = SPAN_TOLERANCE_MONTHS / 12.0
    lo, hi = span[:, 0, None] - pad, span[:, 1, None] + pad
    t = np.asarray(times, float)[None, :]

    def inside(x: np.ndarray) -> np.ndarray:
        return (x >= lo) & (x <= hi)

    # a forward solution past the category's last data is a forecast (labelled as such by
    # :func:`forecast_horizon`), not a gap read outside the data
    return np.stack([inside(t) & inside(t - back / 12.0),
                     inside(t) & (t + fwd / 12.0 >= lo)], axis=-1)


def forecast_horizon(data, last_open: float) -> np.ndarray:
    """Per benchmark, the time past which a forward solution is a forecast: (B,).

    The last open release, or earlier where the benchmark's category has no scores after
    :data:`SPAN_TOLERANCE_MONTHS` past its last one (its trend is extrapolated there).
    """
    span = category_data_span(data)[np.asarray(data.bench_category)]
    return np.minimum(last_open, span[:, 1] + SPAN_TOLERANCE_MONTHS / 12.0)


def identified_mask(positions: np.ndarray, support: np.ndarray | None = None) -> np.ndarray:
    """Whether each benchmark's gap is identified, per time and direction: (B, T, 2) bool.

    Backward gaps (index 0) read the open frontier's position, forward gaps (index 1) the
    closed frontier's: the level at which the two curves are compared. Identified when the
    posterior median position lies inside [FLOOR, CEILING] (always for linear benchmarks, NaN
    positions) and, where ``support`` is given (:func:`category_support`), both compared
    dates lie in the category's data. Medians, not draws, decide, so the set is the same in
    every draw.
    """
    med = np.median(positions, axis=0)
    ok = np.isnan(med) | ((med >= FLOOR) & (med <= CEILING))
    return ok if support is None else ok & support


def identification_table(positions: np.ndarray, data, dates: list[str],
                         support: np.ndarray | None = None) -> pd.DataFrame:
    """Per benchmark, date and direction: median positions and whether the gap is identified.

    Parameters
    ----------
    positions
        :func:`frontier_positions` output at the times of ``dates``.
    data
        The fit's design (benchmark ids and display names).
    dates
        Labels of the times.
    support
        :func:`category_support` at those times, (B, T, 2), or None (no data-span rule).
    """
    med = np.median(positions, axis=0)                     # (B, T, 2), NaN for linear
    ident = identified_mask(positions, support)
    rows = []
    for b, bench in enumerate(data.bench_ids):
        for t, date in enumerate(dates):
            for direction, k in (("backward", 0), ("forward", 1)):
                pos = float(med[b, t, k])
                if ident[b, t, k]:
                    reason = ""
                elif np.isnan(pos) or FLOOR <= pos <= CEILING:
                    reason = OUTSIDE_DATA
                elif pos > CEILING:
                    reason = "saturated"
                else:
                    reason = "at the floor"
                rows.append({"benchmark": bench, "date": date, "direction": direction,
                             "open_position": float(med[b, t, 0]),
                             "closed_position": float(med[b, t, 1]),
                             "identified": reason == "", "reason": reason})
    return pd.DataFrame(rows).round({"open_position": 3, "closed_position": 3})
