"""Parameter recovery and identification of the time-shift gap model on simulated data.

CI runs a reduced design (the default here); ``GAPBAYES_SLOW=1`` runs the design of the issue
(~40 benchmarks, ~300 models). Seeds are fixed, so each run is deterministic; a miss of one
90% interval in a single world is possible by chance, which is why the slow variant checks
several quantities jointly and the SBC (gapbayes sbc) checks calibration properly.
"""

import numpy as np
import pytest
from helpers_model import SLOW, eti, simulate_and_fit, slow

from gapbayes.model.spec import load_spec

FIXED = {
    "gap_mean": 6.0,
    "gap_rw_sd": 2.0,
    "public_offset": -2.0,
    "provider_penalty": 0.3,
    "self_report_offset": 0.3,
    "frontier_log_growth": 0.7,
}
SMALL = {"n_models": 150, "n_benchmarks": 14, "n_linear": 1}
LARGE = {"n_models": 300, "n_benchmarks": 40, "n_linear": 2}


@pytest.fixture(scope="module")
def small_fit():
    return simulate_and_fit(load_spec("timeshift-v1"), SMALL, FIXED, seed=11)


def _check_recovery(world, data, dt):
    for name, value in FIXED.items():
        lo, hi = eti(dt, name)
        assert lo <= value <= hi, f"{name}: truth {value} outside 90% ETI [{lo:.2f}, {hi:.2f}]"
    # the whole gap path: truth inside the pointwise 90% band for most months
    true_gap = np.asarray(world.truth["gap"])
    band = eti(dt, "gap")
    inside = (band[:, 0] <= true_gap) & (true_gap <= band[:, 1])
    assert inside.mean() >= 0.8, f"gap path covered in only {inside.mean():.0%} of months"


def test_parameters_recovered_within_90pct_intervals(small_fit):
    _check_recovery(*small_fit)


def test_location_and_scale_are_pinned(small_fit):
    _, data, dt = small_fit
    frontier = dt["posterior"]["frontier"].values
    np.testing.assert_allclose(frontier[..., data.grid_origin], 0.0, atol=1e-12)
    log_slope = np.log(dt["posterior"]["slope"].values)
    np.testing.assert_allclose(log_slope.mean(axis=-1), 0.0, atol=1e-9)


def test_data_identify_growth_and_gap(small_fit):
    """Posterior sd far below prior sd: the data, not the prior, determine these."""
    _, _, dt = small_fit
    spec = load_spec("timeshift-v1")
    for name, prior in [("frontier_log_growth", "frontier_log_growth"),
                        ("gap_mean", "gap_mean"), ("public_offset", "public_offset")]:
        sd = float(dt["posterior"][name].std())
        assert sd < 0.5 * spec.prior(prior)["sigma"], f"{name}: posterior sd {sd:.2f}"


def test_constraint_removes_the_shift_invariance():
    """Without F(origin)=0, (F + c, difficulty + c) gives the same likelihood: the reason for
    the constraint. Checked on the link itself."""
    rng = np.random.default_rng(0)
    theta, diff, slope = rng.normal(size=50), 0.3, 1.4
    p = 1 / (1 + np.exp(-slope * (theta - diff)))
    p_shift = 1 / (1 + np.exp(-slope * ((theta + 2.0) - (diff + 2.0))))
    np.testing.assert_allclose(p, p_shift)


@slow
def test_recovery_on_a_design_like_the_real_one():
    assert SLOW
    _check_recovery(*simulate_and_fit(load_spec("timeshift-v1"), LARGE, FIXED, seed=5, draws=600))
