"""Time grid, knots and trend bases of the frontier model (design only, no parameters)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapbayes.model.design import GRID_STEP_YEARS  # one monthly step for both model families
from gapbayes.model.spec import Spec

__all__ = ["GRID_STEP_YEARS", "aligned_knots", "month_start", "time_grid", "trend_prior",
           "zero_sum_basis"]


def aligned_knots(start: float, end: float, months: int) -> np.ndarray:
    """Knots every ``months`` months, aligned on the origin, covering [start, end]."""
    first = int(np.floor(start * 12 / months + 1e-9))
    last = int(np.ceil(end * 12 / months - 1e-9))
    return np.arange(first, last + 1) * months / 12.0


def zero_sum_basis(weights: np.ndarray) -> np.ndarray:
    """Orthonormal basis (C, C-1) of {x : weights . x = 0}; equal weights when all are 0."""
    w = np.asarray(weights, float)
    if w.sum() <= 0:
        w = np.ones_like(w)
    w = w / np.linalg.norm(w)
    q, _ = np.linalg.qr(np.column_stack([w, np.eye(len(w))]))
    basis = q[:, 1:len(w)]
    return basis * np.sign(basis.sum(axis=0, keepdims=True) + 1e-12)


def trend_prior(knots: np.ndarray, origin: int, bases: np.ndarray) -> np.ndarray:
    """Cholesky factor of the unit-scale prior covariance of the free trend coordinates.

    The category trends h_j = Q_j eta_j (zero sum with the data weights of knot j) are 0 at
    the origin knot and follow a random walk with increments of sd sqrt(dt) per unit scale:
    a Gaussian on the stacked free coordinates eta with precision A'A, where A maps eta to
    the scaled increments of h. Its covariance is fixed by the design, so the model samples
    ``MvNormal(0, chol = scale * L)``: centred, proper and generative.
    """
    K, C = len(knots), bases.shape[1]
    free = [j for j in range(K) if j != origin]
    P = len(free) * (C - 1)

    def rows(j: int) -> np.ndarray:
        M = np.zeros((C, P))
        if j != origin:
            i = free.index(j)
            M[:, i * (C - 1):(i + 1) * (C - 1)] = bases[j]
        return M

    dt = np.diff(knots)
    A = np.vstack([(rows(j + 1) - rows(j)) / np.sqrt(dt[j]) for j in range(K - 1)])
    return np.linalg.cholesky(np.linalg.inv(A.T @ A))


def month_start(origin: pd.Timestamp, t: float) -> pd.Timestamp:
    """First day of the month holding ``t`` years after ``origin``."""
    day = origin + pd.Timedelta(days=float(t) * 365.25)
    return day.to_period("M").to_timestamp()


def time_grid(t: np.ndarray, spec: Spec) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Return the monthly grid, its growth knots and the knot window covering the data.

    The grid runs from ``lead_months`` before the first release to ``forecast_months`` after
    the last.
    """
    lead = spec.time["lead_months"] / 12.0
    ahead = spec.time["forecast_months"] / 12.0
    months = int(spec.time["growth_knot_months"])
    g0 = np.floor((t.min() - lead) * 12) / 12
    g1 = np.ceil((t.max() + ahead) * 12) / 12
    grid = np.round(np.arange(round(g0 * 12), round(g1 * 12) + 1) / 12.0, 10)
    knots = aligned_knots(grid[0], grid[-1], months)
    lo = int(np.searchsorted(knots, t.min(), side="right") - 1)
    hi = int(np.searchsorted(knots, t.max(), side="left"))
    return grid, knots, (max(lo, 0), min(hi, len(knots) - 1))
