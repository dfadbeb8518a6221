"""Monotone category frontiers (switch ``monotone_categories``): every draw's curves rise.

Prior draws of a design with three categories. With the switch on, each group's category
frontier (general frontier plus the category trend) is non-decreasing on the grid, its growth
between grid points stays within the bound's factor of 4 of its group's, and the curves that
``frontier_gaps.category_curves`` inverts are those curves. With the switch off (the level
form), some prior draws fall: the property is not automatic.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytest
import xarray as xr

from gapbayes.model.category_rates import RATE_RATIO_BOUND, bounded
from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_gaps import category_curves
from gapbayes.model.frontier_pymc import build_frontier_model
from gapbayes.model.frontier_simulate import frontier_design
from gapbayes.model.spec import load_spec

CATEGORIES = ("math", "reasoning", "coding_agentic")
DRAWS = 200


def _prior(monotone: bool) -> tuple[object, xr.Dataset]:
    spec = load_spec("default").with_changes(switches={"monotone_categories": monotone})
    models, benchmarks, scores = frontier_design(n_models=60, n_benchmarks=6, seed=4)
    benchmarks = benchmarks.assign(category=[CATEGORIES[i % 3] for i in range(len(benchmarks))])
    data = build_frontier_data(models, benchmarks, scores, spec)
    names = ["frontier", "category_trend_grid" if monotone else "category_trend_knots"]
    with pytensor.config.change_flags(mode="FAST_COMPILE"), build_frontier_model(data, spec):
        prior = pm.sample_prior_predictive(draws=DRAWS, var_names=names, random_seed=3)
    return data, prior["prior"].to_dataset()


@pytest.fixture(scope="module")
def monotone():
    return _prior(True)


def test_category_frontiers_rise_in_every_draw_and_within_the_bound(monotone):
    data, prior = monotone
    F = prior["frontier"].values[0]                                   # (S, 2, G)
    h = prior["category_trend_grid"].values[0]                        # (S, 2, C, G)
    curves = F[:, :, None, :] + h
    step = np.diff(curves, axis=-1)
    assert step.shape == (DRAWS, 2, len(CATEGORIES), len(data.grid_time) - 1)
    assert (step > 0).all()
    # growth over a grid step relative to the group's: a trapezoid average of ratios that
    # lie in [1/4, 4]
    ratio = step / np.diff(F, axis=-1)[:, :, None, :]
    bound = np.exp(RATE_RATIO_BOUND)
    assert ratio.min() >= 1 / bound - 1e-9 and ratio.max() <= bound + 1e-9
    assert ratio.min() < 0.9 and ratio.max() > 1.1          # the categories do differ
    # zero at the origin: the levels there are the general frontier's
    assert np.allclose(h[..., data.grid_origin], 0.0)


def test_gaps_invert_the_monotone_curves(monotone):
    data, prior = monotone
    closed, opened = category_curves(prior, data)                    # (S, C, G) each
    F = prior["frontier"].values[0]
    h = prior["category_trend_grid"].values[0]
    np.testing.assert_allclose(closed, F[:, 0, None, :] + h[:, 0])
    np.testing.assert_allclose(opened, F[:, 1, None, :] + h[:, 1])


def test_bound_is_a_tanh_of_the_log_ratio():
    x = np.array([-50.0, -1.0, 0.0, 0.3, 50.0])
    got = bounded(x)
    assert np.isclose(got[0], -RATE_RATIO_BOUND) and np.isclose(got[-1], RATE_RATIO_BOUND)
    assert got[2] == 0.0 and np.all(np.diff(got) > 0)
    assert np.isclose(got[3], 0.3, rtol=0.02)                # near identity for small ratios


def test_level_trends_can_make_a_category_frontier_fall():
    data, prior = _prior(False)
    closed, opened = category_curves(prior, data)
    falls = (np.diff(closed, axis=-1) < 0).any(axis=(1, 2)) | (
        np.diff(opened, axis=-1) < 0).any(axis=(1, 2))
    assert falls.mean() > 0.05


def test_stan_data_takes_the_walk_scale_from_the_rate_prior():
    from gapbayes.model.frontier_stan import stan_data

    base = load_spec("default")
    models, benchmarks, scores = frontier_design(n_models=40, n_benchmarks=6, seed=4)
    benchmarks = benchmarks.assign(category=[CATEGORIES[i % 3] for i in range(len(benchmarks))])
    for monotone, expected in ((True, 0.7), (False, 0.3)):
        spec = base.with_changes(switches={"monotone_categories": monotone},
                                 priors={"category_rate": {"sigma": 0.7},
                                         "category_trend": {"sigma": 0.3}})
        d = stan_data(build_frontier_data(models, benchmarks, scores, spec), spec)
        assert d["sigma_category_trend"] == expected
        assert d["use_rate_trends"] == int(monotone)
        assert len(d["cell_group"]) == (len(d["cell_base"]) if monotone else 0)
