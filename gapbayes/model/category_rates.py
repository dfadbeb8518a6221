"""Monotone category frontiers: category growth rates relative to their group's.

With the switch ``monotone_categories`` (on with ``category_trends``), category c's frontier in
access group g is not the general frontier plus a level trend (which can fall) but

    F_g,c(t) = F_g(t_0) + int_{t_0}^t r_g(s) exp(delta_c(s)) ds,

with r_g the group's growth rate, t_0 the origin and delta_c the log ratio of the category's
growth rate to the general one: a random walk over the yearly trend knots with the trend
prior (0 at the origin knot, data-weighted zero sum over the categories), bounded to
[-log 4, log 4] by a tanh on the grid. Every category frontier then rises wherever its group's
does. Why: in the level form the closed frontier of a category fell somewhere in the window
in 1-92% of draws (legacy common sense 92%), and a backward gap inverts the curve's running
maximum, so a dip made the per-benchmark gaps bimodal (docs/model.md, "Capability by
category"). The bound says that a category's frontier grows at least a quarter and at most
four times as fast as its group's general frontier: without it a weakly informed category's
log rate ratio ran to -4 (a curve that stops rising), where the likelihood is flat and the
sampler diverged.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.frontier_grid import GRID_STEP_YEARS
from gapbayes.model.spec import Spec

#: bound of the log ratio of a category's growth rate to its group's (a factor of 4 each way)
RATE_RATIO_BOUND = float(np.log(4.0))


def uses_rate_trends(spec: Spec) -> bool:
    """Tell whether category trends act on growth rates (monotone category frontiers)."""
    return bool(spec.switches.get("monotone_categories", False))


def bounded(delta: np.ndarray | pt.TensorVariable, xp=np) -> np.ndarray | pt.TensorVariable:
    """Bound a log rate ratio: RATE_RATIO_BOUND * tanh(delta / RATE_RATIO_BOUND)."""
    return RATE_RATIO_BOUND * xp.tanh(delta / RATE_RATIO_BOUND)


def rate_trend_grid(data: FrontierData, delta_knots: pt.TensorVariable,
                    rate: pt.TensorVariable) -> pt.TensorVariable:
    """Category trends h_g,c on the grid, (2, G, C): F_g,c = F_g + h_g,c, 0 at the origin.

    ``delta_knots`` (Kt, C) are the log rate ratios at the trend knots, ``rate`` (2, G) the
    general growth rates. Registered as ``category_trend_grid`` (access, category, grid).
    The trapezoid rule on the grid, as for the general curves.
    """
    C = len(data.category_names)
    ratio = pt.exp(bounded(pt.dot(data.trend_interp, delta_knots), pt))       # (G, C)
    inc = rate[:, :, None] * (ratio[None] - 1.0)                              # (2, G, C)
    cum = pt.concatenate([pt.zeros((2, 1, C)), pt.cumsum(
        0.5 * (inc[:, 1:] + inc[:, :-1]) * GRID_STEP_YEARS, axis=1)], axis=1)
    h = cum - cum[:, data.grid_origin][:, None, :]
    pm.Deterministic("category_trend_grid", h.transpose(0, 2, 1),
                     dims=("access", "category", "grid"))
    return h


def cell_rate_trend(data: FrontierData, h: pt.TensorVariable) -> pt.TensorVariable:
    """Category trend of each (base model, category) cell at the base model's release, (L,).

    Read from the cell's own group's curve, linear between the grid months around the release
    (the same interpolation as the frontier at release).
    """
    b = data.cell_base
    g, left, frac = data.base_open[b], data.base_cell_left[b], data.base_cell_frac[b]
    cat = data.cell_category
    return h[g, left, cat] * (1.0 - frac) + h[g, left + 1, cat] * frac
