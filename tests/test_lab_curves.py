"""Lab curves (spec switch ``lab_curves``): known numbers, the model term and its walk."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pytest import approx

from gapbayes.model.frontier_pymc import build_frontier_model
from gapbayes.model.frontier_simulate import CALM_WORLD, frontier_design, simulate_frontier_world
from gapbayes.model.lab_curves import (
    HALF_NORMAL_MEAN,
    lab_curve_lag_draws,
    lab_curve_levels,
    lab_groups,
    uses_lab_curves,
)
from gapbayes.model.lab_lags import reported_labs
from gapbayes.model.spec import load_spec

SPEC = load_spec("default").with_changes(switches={"lab_curves": True})


@pytest.fixture(scope="module")
def data():
    models, benchmarks, scores = frontier_design(n_models=60, n_benchmarks=6, seed=3)
    return simulate_frontier_world(models, benchmarks, scores, SPEC, fixed=CALM_WORLD,
                                   seed=4).data


def test_switch_decides_whether_the_term_exists(data):
    assert uses_lab_curves(data, SPEC)
    assert not uses_lab_curves(data, load_spec("default"))
    with build_frontier_model(data, load_spec("default")) as off:
        assert "lab_trend_z" not in off.named_vars
    with build_frontier_model(data, SPEC) as on:
        assert on.named_vars_to_dims["lab_trend_z"] == ("family", "trend_step")
        assert on.named_vars_to_dims["lab_shortfall_walk"] == ("family", "trend_knot")


def test_walk_has_mean_zero_over_the_knots_and_none_for_other(data):
    names = list(data.family_names) + ["other"]
    rng = np.random.default_rng(0)
    frontier_data = data
    if "other" not in frontier_data.family_names:
        from dataclasses import replace
        fam = np.where(np.arange(len(data.base_family)) % 5 == 0, len(names) - 1,
                       data.base_family)
        frontier_data = replace(data, family_names=names, base_family=fam)
    with build_frontier_model(frontier_data, SPEC) as model:
        z = rng.normal(size=(len(names), len(data.trend_knots) - 1))
        walk = model["lab_shortfall_walk"].eval({model["lab_trend_z"]: z,
                                                 model["lab_trend_sd"]: 0.5})
    other = names.index("other")
    assert walk[other] == approx(np.zeros(len(data.trend_knots)))
    assert walk.mean(axis=1) == approx(np.zeros(len(names)), abs=1e-12)
    assert np.abs(walk).max() > 0.1


def test_typical_model_curve_and_its_lag_known_numbers(data):
    """Closed frontier 2 t, open 2 t - 1, every lab's scale 1 and no walk.

    A closed lab's typical model sits sqrt(2 / pi) below the closed curve: 12 sqrt(2 / pi) / 2
    = 4.79 months behind; an open lab's 1 + sqrt(2 / pi) below: 10.79 months.
    """
    labs = reported_labs(data)
    grid = data.grid_time
    frontier = np.stack([2 * grid, 2 * grid - 1])[None]                  # (1, 2, G)
    n_fam = len(data.family_names)
    log_scale = np.zeros((1, n_fam))
    walk = np.zeros((1, n_fam, len(data.trend_knots)))
    levels = lab_curve_levels(frontier, log_scale, walk, data, labs)
    groups = lab_groups(data, labs)
    for i, g in enumerate(groups):
        assert levels[0, i] == approx(frontier[0, g] - HALF_NORMAL_MEAN)
    times = np.array([float(data.base_time.max())])
    got_labs, lags = lab_curve_lag_draws(frontier, log_scale, walk, data, times)
    assert got_labs == labs
    expected = np.where(groups == 0, 6 * HALF_NORMAL_MEAN, 6 * (1 + HALF_NORMAL_MEAN))
    assert lags[0, :, 0] == approx(expected, abs=1e-5)  # monotone(): strict increase


def test_lag_follows_the_walk_and_is_nan_before_the_first_model(data):
    labs = reported_labs(data)
    grid = data.grid_time
    frontier = np.stack([2 * grid, 2 * grid - 1])[None]
    n_fam = len(data.family_names)
    walk = np.zeros((1, n_fam, len(data.trend_knots)))
    lab = data.family_names.index(labs[0])
    walk[0, lab] = np.linspace(-1.0, 1.0, len(data.trend_knots))        # scale rises
    first = data.base_time[data.base_family == lab].min()
    times = np.array([first - 0.5, float(data.trend_knots[-1])])
    _, lags = lab_curve_lag_draws(frontier, np.zeros((1, n_fam)), walk, data, times)
    group = lab_groups(data, labs)[0]
    offset = group * 6.0                                                  # open: 1 unit = 6 months
    late = 6 * HALF_NORMAL_MEAN * np.exp(1.0) + offset
    assert lags[0, 0, 1] == approx(late, abs=1e-5)
    assert np.isnan(lags[0, 0, 0])


# ---- recovery (CI size) ------------------------------------------------------------------

WALK_SD = 0.6   # a lab's log shortfall scale moves by a factor ~1.8 per year: visible curves


def _curve_lags(values: dict, data, times: np.ndarray) -> np.ndarray:
    """(S, L, T) lab curve lags from arrays with a leading draw axis."""
    log_scale = (values["shortfall_log_scale"][:, None]
                 + values["shortfall_family_sd"][:, None] * values["shortfall_family_z"])
    return lab_curve_lag_draws(values["frontier"], log_scale, values["lab_shortfall_walk"],
                               data, times)[1]


@pytest.fixture(scope="module")
def recovered():
    from gapbayes.inference.backends import PyMCBackend, SamplerSettings

    models, benchmarks, scores = frontier_design(n_models=120, n_benchmarks=10, seed=21)
    world = simulate_frontier_world(models, benchmarks, scores, SPEC,
                                    fixed={**CALM_WORLD, "lab_trend_sd": WALK_SD}, seed=8)
    data = world.data
    settings = SamplerSettings(chains=2, draws=500, tune=500, seed=4, progressbar=False)
    post = PyMCBackend().sample(data, SPEC, settings)["posterior"].to_dataset()
    names = ("frontier", "shortfall_log_scale", "shortfall_family_sd", "shortfall_family_z",
             "lab_shortfall_walk")
    est = {n: post[n].stack(s=("chain", "draw")).transpose("s", ...).values for n in names}
    true = {n: np.asarray(world.truth[n], float)[None] for n in names}
    times = np.asarray(data.report_time, float)
    return data, post, _curve_lags(est, data, times), _curve_lags(true, data, times)


def test_lab_curve_lags_are_recovered(recovered):
    """Truth inside the 90% intervals of the lags and of their changes; large changes found.

    Each reported lab's true typical-model lag moves over the window (walk sd 0.6 per
    sqrt(year)). Asserted: the truth inside its 90% equal-tailed interval in at least 80% of
    the (lab, month) pairs; the true change from the lab's first to the last month inside
    the 90% interval of the posterior change for at least 7 of 10 labs; and where the true
    change exceeds 15 months, the posterior gives its sign a probability of at least 0.95.
    Measured on worlds 8, 9 and 10: pairs inside 0.96, 0.92, 1.00; changes inside 9, 8 and
    9 of 10.
    """
    data, post, est, true = recovered
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # months before a lab's first model
        lo, hi = np.nanquantile(est, [0.05, 0.95], axis=0)
    truth = true[0]
    ok = np.isfinite(truth)
    inside = (lo <= truth) & (truth <= hi)
    assert inside[ok].mean() >= 0.8, (truth.round(1), lo.round(1), hi.round(1))
    covered, large = [], 0
    for i in range(truth.shape[0]):
        cols = np.flatnonzero(ok[i])
        draws = est[:, i, cols[-1]] - est[:, i, cols[0]]
        change = truth[i, cols[-1]] - truth[i, cols[0]]
        c_lo, c_hi = np.quantile(draws, [0.05, 0.95])
        covered.append(c_lo <= change <= c_hi)
        if abs(change) > 15.0:
            large += 1
            assert (np.sign(draws) == np.sign(change)).mean() >= 0.95, (i, change)
    assert np.mean(covered) >= 0.7, covered
    assert large >= 1


def test_walk_sd_is_recovered(recovered):
    _, post, _, _ = recovered
    x = post["lab_trend_sd"].values.ravel()
    lo, hi = np.quantile(x, [0.005, 0.995])
    assert lo <= WALK_SD <= hi, (lo, hi)
