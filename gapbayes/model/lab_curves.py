"""Lab curves: each lab's typical model as a smooth curve below its group's frontier.

With the spec switch ``lab_curves``, a base model's shortfall scale is no longer constant per
family (lab): its log is the family's level plus a random walk over the yearly trend knots,

    log su_L(t) = shortfall_log_scale + shortfall_family_sd * z_L + w_L(t),
    w_L = lab_trend_sd * (R @ lab_trend_z_L),

with R the mean-zero random-walk matrix of the trend knots (so ``z_L`` stays the lab's level
over the window and the walk only shapes it in time), a common walk sd per sqrt(year)
(``lab_trend_sd``: labs with few models shrink to a constant scale) and no walk for the
catch-all family ``other``. A model's ability is its group frontier plus v minus u, u
half-normal with scale su_L at its release, so the lab's **typical model** lies at

    C_L(t) = F_g(t) - sqrt(2 / pi) su_L(t),

the group frontier shifted down by the lab's mean shortfall, smooth in t. Because the shift
is a shortfall (>= 0), ``F_g`` stays the group's frontier and every gap keeps its meaning:
the lab term is the family shortfall scale made time-varying, not a second location term that
would trade off with it (docs/model.md, "Lab lags and frontier holders").

The **lab curve lag** is ``t - F_closed^-1(C_L(t))`` in months, with g the group of most of
the lab's base models; it complements the lag of the lab's best model so far
(:mod:`gapbayes.model.lab_lags`), which moves in steps at releases.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from gapbayes.model.design import interp_matrix, random_walk_matrix
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.lab_lags import OTHER, lag_months, reported_labs
from gapbayes.model.spec import Spec

#: mean of a half-normal variable with scale 1
HALF_NORMAL_MEAN = float(np.sqrt(2.0 / np.pi))


def uses_lab_curves(data: FrontierData, spec: Spec) -> bool:
    """Tell whether the term is fitted: switch on, two trend knots and a lab besides ``other``."""
    if not spec.switches.get("lab_curves", False) or len(data.trend_knots) < 2:
        return False
    return bool(lab_mask(data).any())


def lab_mask(data: FrontierData) -> np.ndarray:
    """(N_fam,) 1.0 for the families that get a walk (every one but ``other``)."""
    return np.array([0.0 if name == OTHER else 1.0 for name in data.family_names])


def lab_walk_matrix(data: FrontierData) -> np.ndarray:
    """(Kt, Kt - 1) standardised steps -> the walk at the trend knots (mean 0 over them)."""
    return random_walk_matrix(np.asarray(data.trend_knots, float))


def base_trend_weights(data: FrontierData) -> np.ndarray:
    """(K, Kt) linear interpolation of the trend knots at each base model's release."""
    return interp_matrix(data.base_time, data.trend_knots)


def frame_trend_weights(data: FrontierData) -> np.ndarray:
    """(K_frame, Kt) :func:`base_trend_weights` of the unscored frame models (selection)."""
    return interp_matrix(data.frame_time, data.trend_knots)


def lab_walks(data: FrontierData, spec: Spec) -> pt.TensorVariable:
    """Add the walks to the model in context; return each base model's log-scale walk (K,)."""
    sd = pm.HalfNormal("lab_trend_sd", sigma=spec.prior("lab_trend")["sigma"])
    z = pm.Normal("lab_trend_z", 0.0, 1.0, dims=("family", "trend_step"))
    walk = pm.Deterministic(
        "lab_shortfall_walk",
        sd * pt.dot(z, lab_walk_matrix(data).T) * lab_mask(data)[:, None],
        dims=("family", "trend_knot"))
    return pt.sum(walk[data.base_family] * base_trend_weights(data), axis=1)


def lab_groups(data: FrontierData, labs: list[str]) -> np.ndarray:
    """(L,) access group (0 closed, 1 open) of most of each lab's base models (ties: closed)."""
    out = np.zeros(len(labs), int)
    for i, lab in enumerate(labs):
        members = data.base_family == data.family_names.index(lab)
        out[i] = int(data.base_open[members].mean() > 0.5)
    return out


def lab_curve_levels(frontier: np.ndarray, log_scale: np.ndarray, walk: np.ndarray,
                     data: FrontierData, labs: list[str]) -> np.ndarray:
    """Each lab's typical-model curve ``C_L`` on the grid: (S, L, G).

    Parameters
    ----------
    frontier
        (S, 2, G) general frontiers (closed, open).
    log_scale
        (S, N_fam) each family's log shortfall scale level (``shortfall_log_scale +
        shortfall_family_sd * shortfall_family_z``).
    walk
        (S, N_fam, Kt) ``lab_shortfall_walk`` (zeros without the term).
    data
        The design (grid, trend interpolation, families).
    labs
        Reported labs.
    """
    fam = np.array([data.family_names.index(lab) for lab in labs], int)
    groups = lab_groups(data, labs)
    scale = np.exp(log_scale[:, fam, None] + walk[:, fam] @ data.trend_interp.T)  # (S, L, G)
    return frontier[:, groups, :] - HALF_NORMAL_MEAN * scale


def lab_curve_lag_draws(frontier: np.ndarray, log_scale: np.ndarray, walk: np.ndarray,
                        data: FrontierData, times: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Months by which each reported lab's typical-model curve trails the closed frontier.

    Returns the labs (:func:`gapbayes.model.lab_lags.reported_labs`) and the lags (S, L, T);
    NaN before the lab's first base model. Arguments as for :func:`lab_curve_levels`, and
    ``times`` (T,) in years since the origin.
    """
    labs = reported_labs(data)
    levels = lab_curve_levels(frontier, log_scale, walk, data, labs)
    at_times = np.stack([np.stack([np.interp(times, data.grid_time, lv) for lv in per_draw])
                         for per_draw in levels])                               # (S, L, T)
    first = np.array([data.base_time[data.base_family == data.family_names.index(lab)].min()
                      for lab in labs])
    at_times = np.where(times[None, None, :] >= first[None, :, None] - 1e-9, at_times, -np.inf)
    return labs, lag_months(at_times, frontier[:, 0, :], data.grid_time, times)
