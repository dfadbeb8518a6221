"""The gap as a vector: group gaps over identified benchmarks, and a new benchmark's gap.

Definitions (docs/model.md, "Group gaps and identification"):

- **identified**: benchmark b's backward gap at date t is identified when the posterior median
  of the open frontier's position on b's range lies inside [FLOOR, CEILING]; the forward gap
  uses the closed frontier's position (:mod:`gapbayes.model.saturation`). With category
  trends, both dates the gap compares must also lie in the category's data span (else the
  trend there is the random walk's extrapolation). The rule looks at posterior medians, so
  the set of benchmarks at a date is the same in every draw.
- **group gap** (overall, private, public, a category) at t: equal weight over the N
  identified benchmarks of the group at t; NaN ("not identified") when N = 0. The equal-weight
  mean over all the group's benchmarks stays available as ``gap_*_all``.
- **new-benchmark gap** of category c: the gap of a benchmark not in the data, from the
  hierarchical predictive of its open-vs-closed shift: the category's part, the public part of
  a new benchmark that is public with the category's share of public benchmarks, and a fresh
  benchmark term drawn from N(0, benchmark_shift_sd). It is wider than the category mean gap,
  which averages over the category's fitted benchmark terms.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from gapbayes.model.saturation import identified_mask

# Fixed seed of the new-benchmark draws: the same posterior gives the same table.
PREDICTIVE_SEED = 16


def weighting(n: int) -> str:
    """Say how a group gap weights its benchmarks (a table column and a summary line)."""
    if n <= 0:
        return "not identified (no benchmark of the group discriminates at that date)"
    return f"equal weight over the {n} identified benchmark{'s' * (n != 1)} of the group"


def monotone(curve: np.ndarray) -> np.ndarray:
    """Return the running maximum, nudged strictly increasing (invertible by interpolation)."""
    run = np.maximum.accumulate(curve, axis=-1)
    return run + 1e-9 * np.arange(curve.shape[-1])


def shift_gaps(closed: np.ndarray, opened: np.ndarray, shift: np.ndarray, grid: np.ndarray,
               times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward and forward gap (months) of open curves shifted by ``shift``: (S, K, T) each.

    Parameters
    ----------
    closed, opened
        One category's closed and open frontier on ``grid``, (S, G) each.
    shift
        Open-vs-closed shifts, (S, K): K benchmarks (fitted or hypothetical) of the category.
    grid, times
        Years since the origin.

    Returns
    -------
    tuple of numpy.ndarray
        Backward gap, forward gap and the time at which the forward solution lies, (S, K, T).
    """
    S, K, T = shift.shape[0], shift.shape[1], len(times)
    back, fwd, reach = (np.zeros((S, K, T)) for _ in range(3))
    for s in range(S):
        cm, om = monotone(closed[s]), monotone(opened[s])
        open_now = np.interp(times, grid, opened[s])[None, :] + shift[s, :, None]
        back[s] = (times[None, :] - np.interp(open_now, cm, grid)) * 12.0
        # (om + shift)^-1(level) = om^-1(level - shift): one call for every k
        closed_now = np.interp(times, grid, closed[s])[None, :] - shift[s, :, None]
        reach[s] = np.interp(closed_now, om, grid)
        fwd[s] = (reach[s] - times[None, :]) * 12.0
    return back, fwd, reach


def identified_means(values: np.ndarray, ident: np.ndarray, masks: dict[str, np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Equal-weight mean over each group's identified benchmarks at each time.

    Parameters
    ----------
    values
        Per-benchmark values, (S, B, T).
    ident
        Whether each benchmark is identified at each time, (B, T); the same in every draw.
    masks
        Group name -> benchmark membership (B,).

    Returns
    -------
    tuple of numpy.ndarray
        Means (S, groups, T), NaN where a group has no identified benchmark, and the number
        of identified benchmarks used (groups, T).
    """
    weights = np.stack([m[:, None] & ident for m in masks.values()]).astype(float)  # (Gr,B,T)
    n = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.einsum("sbt,gbt->sgt", values, weights) / n[None]
    return np.where(n[None] > 0, means, np.nan), n.astype(int)


def new_benchmark_shifts(post: xr.Dataset, data, seed: int = PREDICTIVE_SEED
                         ) -> np.ndarray | None:
    """Open-vs-closed shift of a new benchmark of every category, per draw: (S, C).

    The shift is built as the model builds a fitted benchmark's (``open_shifts`` in
    :mod:`gapbayes.model.frontier_pymc`): public part + category part + benchmark term. The
    category part is read off the category's fitted benchmarks (it is common to them); the
    new benchmark is public with the category's share of public benchmarks; its benchmark term
    is a fresh N(0, benchmark_shift_sd) draw. None when the posterior has no benchmark terms.
    """
    if not {"open_shift", "benchmark_shift", "benchmark_shift_sd"} <= set(post.data_vars):
        return None
    stack = lambda v: post[v].stack(sample=("chain", "draw")).transpose("sample", ...).values  # noqa: E731
    shift, term, sd = stack("open_shift"), stack("benchmark_shift"), stack("benchmark_shift_sd")
    S, C = shift.shape[0], len(data.category_names)
    public = np.asarray(data.bench_public, float)
    beta = stack("public_shift") if "public_shift" in post else np.zeros(S)
    public_part = beta[:, None] * (public - public.mean())[None, :]
    rng = np.random.default_rng(seed)
    out = np.full((S, C), np.nan)
    for c in range(C):
        members = np.flatnonzero(np.asarray(data.bench_category) == c)
        if not len(members):
            continue
        b = members[0]
        category_part = shift[:, b] - public_part[:, b] - term[:, b]
        is_public = rng.random(S) < public[members].mean()
        new_public = beta * (is_public - public.mean())
        out[:, c] = category_part + new_public + sd * rng.standard_normal(S)
    return out


def new_benchmark_gaps(closed: np.ndarray, opened: np.ndarray, new_shift: np.ndarray,
                       data, times: np.ndarray) -> np.ndarray:
    """Backward and forward gap of a new benchmark of each category: (S, C, T, 2)."""
    S, C = new_shift.shape
    out = np.full((S, C, len(times), 2), np.nan)
    for c in range(C):
        if np.isnan(new_shift[:, c]).all():
            continue
        back, fwd, _ = shift_gaps(closed[:, c], opened[:, c], new_shift[:, c, None],
                                  data.grid_time, times)
        out[:, c, :, 0], out[:, c, :, 1] = back[:, 0], fwd[:, 0]
    return out


def vector_arrays(back: np.ndarray, fwd: np.ndarray, reach: np.ndarray,
                  positions: np.ndarray, masks: dict[str, np.ndarray],
                  last_open: float | np.ndarray,
                  support: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Group gaps over the identified benchmarks, per draw, for both directions.

    Parameters
    ----------
    back, fwd, reach
        Per-benchmark gaps and forward solution times, (S, B, T).
    positions
        Frontier positions on each benchmark's range, (S, B, T, 2) (open, closed).
    masks
        Group memberships.
    last_open
        Time past which a forward solution is a forecast: the last open release, or one such
        time per benchmark, (B,) (:func:`gapbayes.model.saturation.forecast_horizon`).
    support
        Whether both compared dates lie in each benchmark's category data, (B, T, 2)
        (:func:`gapbayes.model.saturation.category_support`); None: no such rule.

    Returns
    -------
    dict
        ``backward``, ``forward``, ``forward_beyond`` (S, groups, T) and ``n_backward``,
        ``n_forward`` (groups, T).
    """
    ident = identified_mask(positions, support)               # (B, T, 2)
    g_back, n_back = identified_means(back, ident[..., 0], masks)
    g_fwd, n_fwd = identified_means(fwd, ident[..., 1], masks)
    horizon = np.reshape(last_open, (1, -1, 1)) if np.ndim(last_open) else last_open
    beyond, _ = identified_means((reach > horizon).astype(float), ident[..., 1], masks)
    return {"backward": g_back, "forward": g_fwd, "forward_beyond": beyond,
            "n_backward": n_back, "n_forward": n_fwd, "identified": ident}
