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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.model.design import interp_matrix
from gapbayes.model.links import link_share

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


def identified_mask(positions: np.ndarray) -> np.ndarray:
    """Whether each benchmark's gap is identified, per time and direction: (B, T, 2) bool.

    Backward gaps (index 0) read the open frontier's position, forward gaps (index 1) the
    closed frontier's: the level at which the two curves are compared. Identified when the
    posterior median position lies inside [FLOOR, CEILING]; always for linear benchmarks
    (NaN positions). Medians, not draws, decide, so the set is the same in every draw.
    """
    med = np.median(positions, axis=0)
    return np.isnan(med) | ((med >= FLOOR) & (med <= CEILING))


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
    ident = identified_mask(positions)
    rows = []
    for b, bench in enumerate(data.bench_ids):
        for t, date in enumerate(dates):
            for direction, k in (("backward", 0), ("forward", 1)):
                pos = float(med[b, t, k])
                if np.isnan(pos) or ident[b, t, k]:
                    reason = ""
                elif pos > CEILING:
                    reason = "saturated"
                else:
                    reason = "at the floor"
                rows.append({"benchmark": bench, "date": date, "direction": direction,
                             "open_position": float(med[b, t, 0]),
                             "closed_position": float(med[b, t, 1]),
                             "identified": reason == "", "reason": reason})
    return pd.DataFrame(rows).round({"open_position": 3, "closed_position": 3})
