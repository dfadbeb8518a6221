"""The half-normal composed error's skew-normal density (gapbayes/model/composed_error.py).

It must equal the skew-normal density everywhere a trajectory can go, including abilities
many symmetric-term sds above their frontier, where PyMC's own SkewNormal returns -inf.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import stats

from gapbayes.model.composed_error import (
    _random_skew_normal,
    composed_ability,
    skew_normal_logp,
)


@pytest.fixture(scope="module")
def logp_and_grad():
    e, su, sv = pt.dvector("e"), pt.dscalar("su"), pt.dscalar("sv")
    lp = skew_normal_logp(e, su, sv)
    return pytensor.function([e, su, sv], [lp, pt.grad(lp.sum(), e)])


@pytest.mark.parametrize(("su", "sv"), [(0.3, 0.3), (0.5, 0.05), (0.2, 0.01), (0.05, 0.4)])
def test_it_is_the_skew_normal_density_far_into_both_tails(logp_and_grad, su, sv):
    sigma = np.hypot(su, sv)
    e = np.linspace(-8.0, 3.0, 221) * sigma          # up to 3 sigma above the frontier
    lp, _ = logp_and_grad(e, su, sv)
    expected = stats.skewnorm.logpdf(e, -su / sv, scale=sigma)
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(lp, expected, rtol=1e-10, atol=1e-10)


def test_pymcs_skew_normal_fails_where_this_one_does_not(logp_and_grad):
    # an ability 0.3 above its frontier with sv = 0.03: log Phi(-10) in the density
    su, sv, e = 0.5, 0.03, np.array([0.3])
    sigma = np.hypot(su, sv)
    theirs = pm.logp(pm.SkewNormal.dist(mu=0.0, sigma=sigma, alpha=-su / sv), e).eval()
    ours, grad = logp_and_grad(e, su, sv)
    expected = stats.skewnorm.logpdf(e, -su / sv, scale=sigma)
    assert np.isneginf(theirs[0])
    assert ours[0] == pytest.approx(expected[0], rel=1e-10)
    # d/de log f: -e / sigma^2 + alpha / sigma * phi(x) / Phi(x), x = alpha e / sigma, ~ alpha x
    h = 1e-6
    numeric = (stats.skewnorm.logpdf(e + h, -su / sv, scale=sigma)
               - stats.skewnorm.logpdf(e - h, -su / sv, scale=sigma)) / (2 * h)
    assert grad[0] == pytest.approx(numeric[0], rel=1e-5)


def test_the_gradient_is_finite_far_below_and_above_the_frontier(logp_and_grad):
    # alpha = -15: an ability 3 sds below its frontier puts log Phi at x = +45 (erfcx of
    # -32 overflows in the branch not taken), one 0.6 above it at x = -45
    su, sv = 3.0, 0.2
    sigma = np.hypot(su, sv)
    e = np.array([-3.0, -1.0, -0.01, 0.0, 0.01, 0.6]) * sigma
    lp, grad = logp_and_grad(e, su, sv)
    assert np.all(np.isfinite(lp)) and np.all(np.isfinite(grad))
    h = 1e-6 * sigma
    numeric = (stats.skewnorm.logpdf(e + h, -su / sv, scale=sigma)
               - stats.skewnorm.logpdf(e - h, -su / sv, scale=sigma)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_forward_draws_follow_the_density():
    rng = np.random.default_rng(3)
    su, sv = 0.4, 0.1
    draws = _random_skew_normal(np.zeros(40_000), su, sv, rng=rng)
    result = stats.kstest(draws, stats.skewnorm(-su / sv, scale=np.hypot(su, sv)).cdf)
    assert result.pvalue > 0.01


def test_the_model_variable_uses_this_density():
    with pm.Model(coords={"base": ["a", "b", "c"]}) as model:
        composed_ability("ability", "half-normal", pt.as_tensor(1.0), pt.as_tensor(0.5),
                         pt.as_tensor(0.03), dims="base")
    logp = model.compile_logp()
    value = np.array([1.3, 1.0, 0.2])
    expected = stats.skewnorm.logpdf(value - 1.0, -0.5 / 0.03, scale=np.hypot(0.5, 0.03)).sum()
    assert logp({"ability": value}) == pytest.approx(expected, rel=1e-10)
