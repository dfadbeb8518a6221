"""Recovery (CI size): the frontier model fitted to a world drawn from itself.

The world: a synthetic design like the real one (120 models plus effort variants, 10
benchmarks of which one linear, release dates 2022-06 to 2026-03) and scores drawn from the
default spec's prior with the calm values of ``CALM_WORLD`` held (so one prior draw is a
plausible world); everything else, the frontier curves, category trends, shifts and bias terms
included, is a prior draw. The true gap path is derived from the true curves with the same
code as the posterior's. Checked: the true overall gap lies inside its posterior 90%
equal-tailed interval in at least 80% of the months (a 90% interval misses about one month
in ten when calibrated; adjacent months are correlated, hence the margin) and at the last
month; each category's mean open shift and the two bias terms inside their 99% intervals, and no
more of them outside their 90% intervals than a calibrated posterior exceeds in 2% of worlds.
Lab lags (gapbayes/model/lab_lags.py: each lab's best model so far against the closed
frontier) inside their intervals, and the true holder of each group's frontier given a fair
posterior probability.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from gapbayes.inference.backends import PyMCBackend, SamplerSettings
from gapbayes.model.frontier_gaps import gap_quantities
from gapbayes.model.frontier_simulate import (
    CALM_WORLD,
    frontier_design,
    simulate_frontier_world,
)
from gapbayes.model.spec import load_spec

SPEC = load_spec("default")
SETTINGS = SamplerSettings(chains=2, draws=500, tune=500, seed=4, progressbar=False)


# dimensions of the true curves, as the PyMC model names them
TRUTH_DIMS = {"frontier": ("access", "grid"), "open_shift": ("benchmark",), "ability": ("base",),
              "category_trend_knots": ("trend_knot", "category"),
              "category_trend_grid": ("access", "category", "grid"),
              "china_offset_knots": ("trend_knot",)}
# what gap_quantities reads of the category curves: level trends or monotone (rate) curves
CATEGORY_CURVES = ["category_trend_knots", "category_trend_grid"]


def truth_dataset(truth: dict, names: list[str]) -> xr.Dataset:
    """The true values (those the world has) as a one-draw posterior with the model's dims."""
    return xr.Dataset({n: (("chain", "draw", *TRUTH_DIMS.get(n, ())),
                           np.asarray(truth[n])[None, None]) for n in names if n in truth},
                      coords={"chain": [0], "draw": [0]})


def allowed_misses(n: int, prob: float, false_alarm: float = 0.02) -> int:
    """Most interval misses among ``n`` truths that a calibrated posterior exceeds rarely.

    The smallest k with P(Binomial(n, 1 - prob) > k) <= ``false_alarm``: a recovery check
    that allows k misses then fails a calibrated model in at most that share of worlds.
    """
    q = 1 - prob
    tail = [sum(math.comb(n, j) * q**j * prob ** (n - j) for j in range(k + 1, n + 1))
            for k in range(n + 1)]
    return next(k for k in range(n + 1) if tail[k] <= false_alarm)


def eti(x: np.ndarray, prob: float = 0.9) -> tuple[float, float]:
    return tuple(np.quantile(x, [(1 - prob) / 2, (1 + prob) / 2]))


@pytest.fixture(scope="module")
def fitted():
    models, benchmarks, scores = frontier_design(n_models=120, n_benchmarks=10, seed=21)
    world = simulate_frontier_world(models, benchmarks, scores, SPEC, fixed=CALM_WORLD, seed=8)
    data = world.data
    dt = PyMCBackend().sample(data, SPEC, SETTINGS)
    post = dt["posterior"].to_dataset()
    true_post = truth_dataset(world.truth, ["frontier", *CATEGORY_CURVES, "open_shift",
                                            "provider_penalty", "self_report_offset", "ability"])
    return world, data, post, gap_quantities(post, data), gap_quantities(true_post, data)


def test_gap_path_is_recovered(fitted):
    _, data, _, est, true = fitted
    x = est["gap_backward"].sel(group="overall").stack(s=("chain", "draw")).values
    truth = true["gap_backward"].sel(group="overall").values[0, 0]
    lo, hi = np.quantile(x, [0.05, 0.95], axis=1)
    inside = (lo <= truth) & (truth <= hi)
    assert inside.mean() >= 0.8, (truth.round(1), lo.round(1), hi.round(1))
    assert inside[-1], (data.report_dates[-1], truth[-1], lo[-1], hi[-1])


def test_category_shifts_and_bias_terms_are_recovered(fitted):
    """Each category's mean open shift and both bias terms against their true values.

    One world: a calibrated 90% interval misses each of these quantities (six on this design)
    with probability 0.1, so some miss by chance (the provider penalty is bounded at 0: a small
    true value sits in the lower tail of any equal-tailed interval). Asserted: every truth
    inside its 99% interval, and no more 90% misses than a calibrated posterior exceeds with
    probability 2% (:func:`allowed_misses`; six quantities: at most two). The earlier rule,
    at least 75% inside, allowed one miss of six: a calibrated posterior fails that in 11% of
    worlds, and did on one machine (2026-12-06: both bias terms just outside their 90%
    intervals, inside their 99% ones; the same code passed on CI's machine, whose draws
    differ in the last bits).
    """
    world, data, post, _, _ = fitted
    shift = post["open_shift"].stack(s=("chain", "draw")).values        # (B, S)
    true = np.asarray(world.truth["open_shift"])
    checks = {}
    for c in range(len(data.category_names)):
        members = data.bench_category == c
        checks[f"shift {data.category_names[c]}"] = (shift[members].mean(axis=0),
                                                     true[members].mean())
    for name in ("provider_penalty", "self_report_offset"):
        checks[name] = (post[name].values.ravel(), float(world.truth[name]))
    inside90 = {}
    for name, (draws, truth) in checks.items():
        lo99, hi99 = eti(draws, 0.99)
        assert lo99 <= truth <= hi99, (name, truth, lo99, hi99)
        lo, hi = eti(draws)
        inside90[name] = bool(lo <= truth <= hi)
    misses = sum(not v for v in inside90.values())
    assert misses <= allowed_misses(len(inside90), 0.9), inside90


def test_lab_lags_are_recovered(fitted):
    """The true lag of every lab (10 labs of 7-18 base models) against its posterior.

    The country lags (best Chinese and best other open model so far, and their difference)
    are checked with them.

    At the named dates: every truth inside its 99% interval and at least 75% inside their
    90% intervals; over every (lab, month) after the lab's first release, at least 80%
    inside (adjacent months share the same best model, hence the margin).
    """
    _, data, _, est, true = fitted
    assert est.sizes["lab"] == 10
    # with the lags of the best Chinese and best other open model and their difference
    at = np.concatenate([est[v].stack(s=("chain", "draw")).values
                         for v in ("lab_lag_at_date", "country_lag_at_date")])  # (row, date, S)
    truth = np.concatenate([true[v].values[0, 0]
                            for v in ("lab_lag_at_date", "country_lag_at_date")])
    assert not np.isnan(truth).any()
    lo, hi = np.quantile(at, [0.05, 0.95], axis=-1)
    lo99, hi99 = np.quantile(at, [0.005, 0.995], axis=-1)
    assert np.all((lo99 <= truth) & (truth <= hi99)), (truth.round(1), lo99.round(1),
                                                        hi99.round(1))
    assert ((lo <= truth) & (truth <= hi)).mean() >= 0.75
    months = est["lab_lag"].stack(s=("chain", "draw")).values
    truth = true["lab_lag"].values[0, 0]
    released = ~np.isnan(truth)
    assert np.array_equal(released, ~np.isnan(months[..., 0]))
    lo, hi = np.quantile(months[released], [0.05, 0.95], axis=-1)
    assert ((lo <= truth[released]) & (truth[released] <= hi)).mean() >= 0.8


def test_true_frontier_holder_gets_a_fair_probability(fitted):
    """The lab truly holding each group's frontier at the named dates, against the posterior.

    About five labs compete in each group; a uniform guess gives each 0.2. Asserted: the true
    holder on average at least 0.25, and never below 0.05 / (number of checks). Under a
    calibrated posterior the truth lands on a lab given less than p with probability equal to
    the posterior mass of such labs: at most p for each of them, so a floor of p on every
    check is a false-alarm rate that grows with the number of checks and of weak labs. The
    floor is split over the checks (as a Bonferroni bound) rather than 0.05 on each: one
    machine drew 0.047 for a true holder (2026-12-06), a value a calibrated posterior gives
    the truth now and then.
    """
    _, data, _, est, true = fitted
    codes = est["frontier_holder_at_date"].stack(s=("chain", "draw")).values  # (access, date, S)
    truth = true["frontier_holder_at_date"].values[0, 0]
    probs = (codes == truth[..., None]).mean(axis=-1)
    assert probs.min() >= 0.05 / probs.size, (probs, [data.family_names[int(c)]
                                                      for c in truth.ravel()])
    assert probs.mean() >= 0.25, probs
