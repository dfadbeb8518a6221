"""Saturation and floor: whether a benchmark still discriminates where its gap is read.

A benchmark's backward gap at t asks when the closed frontier stood at today's open level, so
the benchmark informs it only if its scores still move around the **open** frontier's level:
the open frontier's expected score must lie inside the benchmark's range (chance to ceiling),
not at its ceiling (saturated) nor at its floor. The forward gap asks when open models reach
today's closed level: it needs the **closed** frontier's expected score inside the range.

Position = logistic(slope_b (F_g,c(t) + shift - difficulty_b)), the share of the way from
chance to ceiling that a model at the group's category frontier is expected to score. The
gap of benchmark b at a date is "not identified" when the posterior median position lies
outside [FLOOR, CEILING]; the gap is still derived from the latent curves (the model does not
force convergence at a ceiling), but the benchmark itself no longer informs it. Linear
benchmarks (no ceiling) always discriminate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

FLOOR, CEILING = 0.05, 0.95


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
    grid = data.grid_time
    for j, b in enumerate(sig):
        c = data.bench_category[b]
        at_open = np.stack([np.interp(times, grid, row) for row in opened[:, c]]) + shift[:, b,
                                                                                          None]
        at_closed = np.stack([np.interp(times, grid, row) for row in closed[:, c]])
        for k, level in enumerate((at_open, at_closed)):
            z = slope[:, j, None] * (level - diff[:, j, None])
            out[:, b, :, k] = 1.0 / (1.0 + np.exp(-z))
    return out


def identification_table(positions: np.ndarray, data, dates: list[str]) -> pd.DataFrame:
    """Per benchmark, date and direction: median positions and whether the gap is identified.

    Parameters
    ----------
    positions
        :func:`frontier_positions` output at the times of ``dates``.
    data
        The fit's design (benchmark ids and display names).
    dates
        Labels of the times.
    """
    med = np.median(positions, axis=0)                     # (B, T, 2), NaN for linear
    rows = []
    for b, bench in enumerate(data.bench_ids):
        for t, date in enumerate(dates):
            for direction, k in (("backward", 0), ("forward", 1)):
                pos = float(med[b, t, k])
                if np.isnan(pos):
                    reason = ""
                elif pos > CEILING:
                    reason = "saturated"
                elif pos < FLOOR:
                    reason = "at the floor"
                else:
                    reason = ""
                rows.append({"benchmark": bench, "date": date, "direction": direction,
                             "open_position": float(med[b, t, 0]),
                             "closed_position": float(med[b, t, 1]),
                             "identified": reason == "", "reason": reason})
    return pd.DataFrame(rows).round({"open_position": 3, "closed_position": 3})
