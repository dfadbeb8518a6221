"""Gaussian-kernel smoothing of gap datapoints with bootstrap intervals.

Source: ``docs/methods.md`` section 1 (Ihle 2026): Gaussian kernel with sigma = 60 days on a
7-day grid, 5000 bootstrap resamples, 90% intervals, minimum kernel effective sample size 2,
seed 0. At each grid date the smoothed gap is the kernel-weighted mean of the datapoints
(a Nadaraya-Watson estimate); where the effective sample size (sum w)^2 / sum w^2 is below 2
the estimate is undefined (NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_SIGMA_DAYS = 60.0
DEFAULT_STEP_DAYS = 7
DEFAULT_BOOTSTRAP = 5000
DEFAULT_MIN_NEFF = 2.0
DEFAULT_LEVEL = 0.90

#: Bootstrap replicates per matrix product: bounds memory to chunk x n_points counts.
_CHUNK = 1000


def grid_dates(dates: pd.Series | np.ndarray, step_days: int = DEFAULT_STEP_DAYS) -> np.ndarray:
    """Return a grid every ``step_days`` days from the first to the last date (inclusive start).

    The grid starts at the earliest datapoint; the last grid date is the last one not after the
    latest datapoint.
    """
    d = pd.to_datetime(pd.Series(dates)).dropna().to_numpy("datetime64[D]")
    if d.size == 0:
        return np.array([], dtype="datetime64[D]")
    return np.arange(d.min(), d.max() + np.timedelta64(1, "D"), np.timedelta64(step_days, "D"))


def kernel_weights(
    grid: np.ndarray, dates: np.ndarray, sigma_days: float = DEFAULT_SIGMA_DAYS
) -> np.ndarray:
    """Return Gaussian kernel weights, shape (len(grid), len(dates)).

    Parameters
    ----------
    grid, dates
        ``datetime64`` arrays (day resolution is enough).
    sigma_days
        Kernel standard deviation in days.
    """
    g = np.asarray(grid, dtype="datetime64[D]").astype(np.int64).astype(float)
    x = np.asarray(dates, dtype="datetime64[D]").astype(np.int64).astype(float)
    z = (g[:, None] - x[None, :]) / float(sigma_days)
    return np.exp(-0.5 * z * z)


def kernel_estimate(
    weights: np.ndarray, values: np.ndarray, min_neff: float = DEFAULT_MIN_NEFF
) -> tuple[np.ndarray, np.ndarray]:
    """Return the kernel-weighted mean and the effective sample size at every grid date.

    Parameters
    ----------
    weights
        Kernel weights, shape (n_grid, n_points).
    values
        Gaps, shape (n_points,).
    min_neff
        Grid dates with (sum w)^2 / sum w^2 below this get NaN.

    Returns
    -------
    estimate, n_eff : numpy.ndarray
        Shape (n_grid,) each.
    """
    sw = weights.sum(axis=1)
    sw2 = (weights * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = (weights @ values) / sw
        neff = sw * sw / sw2
    neff = np.where(sw2 > 0, neff, 0.0)
    est = np.where(neff >= min_neff, est, np.nan)
    return est, neff


def bootstrap_estimates(
    weights: np.ndarray,
    values: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    min_neff: float = DEFAULT_MIN_NEFF,
) -> np.ndarray:
    """Return kernel estimates for ``n_boot`` resamples of the datapoints, shape (n_boot, n_grid).

    A resample draws ``n`` datapoints with replacement. It enters the kernel sums only through
    how many times each point was drawn, so the replicate estimate at grid date g is
    ``sum_i c_i w_gi y_i / sum_i c_i w_gi`` with counts ``c``; all replicates are then two
    matrix products (counts @ W.T), which keeps 5000 x grid fast. The effective sample size is
    recomputed per replicate on the resampled rows, duplicates included, exactly as the
    smoother applied to the resampled table would see it: (sum c w)^2 / sum c w^2. Replicates
    below ``min_neff`` are NaN at that date and are ignored by the percentiles.
    """
    n = values.size
    out = np.empty((n_boot, weights.shape[0]))
    wt = weights.T  # (n_points, n_grid)
    wyt = wt * values[:, None]
    w2t = wt * wt
    for start in range(0, n_boot, _CHUNK):
        b = min(_CHUNK, n_boot - start)
        idx = rng.integers(0, n, size=(b, n))
        # Per-replicate draw counts via one bincount over offset indices.
        flat = (idx + n * np.arange(b)[:, None]).ravel()
        counts = np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)
        sw = counts @ wt
        with np.errstate(invalid="ignore", divide="ignore"):
            est = (counts @ wyt) / sw
            neff = sw * sw / (counts @ w2t)
        out[start : start + b] = np.where(neff >= min_neff, est, np.nan)
    return out


def smooth_gaps(
    dates: pd.Series | np.ndarray,
    gaps: pd.Series | np.ndarray,
    sigma_days: float = DEFAULT_SIGMA_DAYS,
    step_days: int = DEFAULT_STEP_DAYS,
    n_boot: int = DEFAULT_BOOTSTRAP,
    rng: np.random.Generator | None = None,
    min_neff: float = DEFAULT_MIN_NEFF,
    level: float = DEFAULT_LEVEL,
) -> pd.DataFrame:
    """Smooth one group of datapoints on a weekly grid, with bootstrap percentile intervals.

    Parameters
    ----------
    dates
        Datapoint dates (the open model's release, backward-looking).
    gaps
        Gaps in months.
    sigma_days, step_days, n_boot, min_neff, level
        Kernel sd, grid step, bootstrap resamples (0 skips the bootstrap: NaN bounds), minimum
        effective sample size and interval level (published: 60, 7, 5000, 2, 0.90).
    rng
        Random generator for the bootstrap; default ``numpy.random.default_rng(0)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``date, gap, lo90, hi90, n_eff`` (bound names follow the level, e.g. ``lo90``).
        ``gap`` is the kernel estimate on the full data; the bounds are percentiles of the
        bootstrap estimates, NaN wherever ``gap`` is NaN.
    """
    pct = int(round(level * 100))
    lo_name, hi_name = f"lo{pct}", f"hi{pct}"
    dates_arr = pd.to_datetime(pd.Series(dates)).to_numpy("datetime64[D]")
    values = np.asarray(gaps, dtype=float)
    grid = grid_dates(dates_arr, step_days)
    empty = pd.DataFrame(
        {
            "date": pd.to_datetime(grid),
            "gap": np.full(grid.size, np.nan),
            lo_name: np.full(grid.size, np.nan),
            hi_name: np.full(grid.size, np.nan),
            "n_eff": np.zeros(grid.size),
        }
    )
    if grid.size == 0:
        return empty
    w = kernel_weights(grid, dates_arr, sigma_days)
    est, neff = kernel_estimate(w, values, min_neff)
    lo = np.full(grid.size, np.nan)
    hi = np.full(grid.size, np.nan)
    if n_boot > 0:
        rng = np.random.default_rng(0) if rng is None else rng
        boot = bootstrap_estimates(w, values, n_boot, rng, min_neff)
        tail = 100.0 * (1.0 - level) / 2.0
        ok = np.isfinite(est) & np.isfinite(boot).any(axis=0)
        if ok.any():
            q = np.nanpercentile(boot[:, ok], [tail, 100.0 - tail], axis=0)
            lo[ok], hi[ok] = q[0], q[1]
    empty["gap"] = est
    empty[lo_name] = lo
    empty[hi_name] = hi
    empty["n_eff"] = neff
    return empty
