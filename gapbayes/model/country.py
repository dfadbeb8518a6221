"""Chinese vs other open models: an offset curve for the Chinese open models' frontier.

With the spec switch ``country``, the ability of an open base model from a Chinese
organisation (``chinese`` in models.csv) is skew-normal around ``F_open(t) + c(t)`` instead of
``F_open(t)``: ``F_open`` is then the frontier of the other open models and ``c`` the Chinese
open frontier's offset from it, in capability units. ``c`` is a random walk over the yearly
trend knots, sampled as its mean over the knots (``china_offset``) plus a non-centred walk
with a half-normal scale per sqrt(year) (``china_trend_sd``): the data pin the mean over the
window far better than the value at one knot, so the level barely correlates with the steps.

The open *group's* frontier, which every open-vs-closed gap reads, is the better of the two
subgroups' frontiers at each month: ``F_open + max(c, 0)`` (:func:`open_envelope`). Country
gaps compare each subgroup's frontier with the closed one (:func:`country_gap_draws`).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from gapbayes.model.design import interp_matrix, random_walk_matrix
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.spec import Spec

#: open base models needed in each subgroup (Chinese, other) for the offset to be fitted
MIN_MODELS = 3
#: rows of the country gaps (``gap_country``): each subgroup behind closed, and their difference
COUNTRY_ROWS = ("chinese open", "other open", "chinese minus other open")


def chinese_open(data: FrontierData) -> np.ndarray:
    """(K,) 1.0 for open base models of Chinese organisations, else 0.0."""
    return ((data.base_open == 1) & (data.base_chinese == 1)).astype(float)


def uses_country(data: FrontierData, spec: Spec) -> bool:
    """Tell whether the term is fitted: switch on, ``MIN_MODELS`` models per open subgroup."""
    if not spec.switches.get("country", False):
        return False
    cn = chinese_open(data)
    other = ((data.base_open == 1) & (cn == 0)).sum()
    return bool(cn.sum() >= MIN_MODELS and other >= MIN_MODELS)


def country_walk(data: FrontierData) -> np.ndarray:
    """(Kt, Kt - 1) matrix: standardised steps -> the walk's values at the trend knots (mean 0)."""
    return random_walk_matrix(np.asarray(data.trend_knots, float))


def base_country_weights(data: FrontierData) -> np.ndarray:
    """(K, Kt) interpolation of the offset at each base model's release, 0 unless Chinese open."""
    return interp_matrix(data.base_time, data.trend_knots) * chinese_open(data)[:, None]


def frame_country_weights(data: FrontierData) -> np.ndarray:
    """(K_frame, Kt) :func:`base_country_weights` of the unscored frame models (selection)."""
    chinese = ((data.frame_open == 1) & (data.frame_chinese == 1)).astype(float)
    return interp_matrix(data.frame_time, data.trend_knots) * chinese[:, None]


def country_offsets(data: FrontierData, spec: Spec) -> pt.TensorVariable:
    """Add the offset curve to the model in context; return each base model's offset (K,)."""
    level = spec.prior("china_offset")
    mean = pm.Normal("china_offset", mu=level["mu"], sigma=level["sigma"])
    sd = pm.HalfNormal("china_trend_sd", sigma=spec.prior("china_trend")["sigma"])
    z = pm.Normal("china_trend_z", 0.0, 1.0, dims="trend_step")
    knots = pm.Deterministic("china_offset_knots", mean + sd * pt.dot(country_walk(data), z),
                             dims="trend_knot")
    return pt.dot(base_country_weights(data), knots)


def offset_on_grid(post: xr.Dataset, data: FrontierData) -> np.ndarray | None:
    """(S, G) offset of the Chinese open frontier on the grid, or None without the term."""
    if "china_offset_knots" not in post:
        return None
    knots = post["china_offset_knots"].stack(sample=("chain", "draw")).transpose(
        "sample", ...).values
    return knots @ data.trend_interp.T


def open_envelope(post: xr.Dataset, data: FrontierData) -> np.ndarray | None:
    """(S, G) amount to add to ``F_open`` for the open group's frontier: max(c, 0)."""
    c = offset_on_grid(post, data)
    return None if c is None else np.maximum(c, 0.0)


def country_gap_draws(curves: tuple[np.ndarray, np.ndarray, np.ndarray], lift: np.ndarray,
                      offset: np.ndarray, data: FrontierData, times: np.ndarray) -> np.ndarray:
    """Backward gap (months) of each open subgroup behind the closed frontier: (S, 3, T).

    Rows: Chinese open, other open, and Chinese minus other (negative: the Chinese open
    models are ahead). Each subgroup's gap is the equal-weight mean over all fitted
    benchmarks of the benchmark gaps read off that subgroup's frontier (the open curve of
    :func:`gapbayes.model.frontier_gaps.category_curves` without the envelope, plus the
    offset for the Chinese models), with each benchmark's open-vs-closed shift.

    Parameters
    ----------
    curves
        (closed, opened, shift): category curves (S, C, G) with the open envelope, and the
        benchmark shifts (S, B).
    lift, offset
        (S, G): the envelope's lift ``max(c, 0)`` and the offset ``c``.
    data
        The design (grid, benchmark categories).
    times
        Years since the origin at which to read the gaps.
    """
    from gapbayes.model.gap_vector import shift_gaps

    closed, opened, shift = curves
    other = opened - lift[:, None, :]
    rows = []
    for curve in (other + offset[:, None, :], other):
        total = np.zeros((shift.shape[0], len(times)))
        for c in range(len(data.category_names)):
            members = np.flatnonzero(data.bench_category == c)
            if len(members):
                back = shift_gaps(closed[:, c], curve[:, c], shift[:, members],
                                  data.grid_time, times)[0]
                total += back.sum(axis=1)
        rows.append(total / len(data.bench_ids))
    return np.stack([rows[0], rows[1], rows[0] - rows[1]], axis=1)
