"""The normal-gamma(2) composed error (gapbayes/model/composed_error.py).

Its closed-form density against numerical convolution, its normalisation and mean (the
half-normal's mean shortfall), its forward draws against its density, the property it exists
for (no hard envelope as the symmetric sd nears 0) and the spec switch's error message.
"""

from __future__ import annotations

import math

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import integrate, stats

from gapbayes.errors import SpecError
from gapbayes.model.composed_error import (
    GAMMA_RATE_TIMES_SCALE,
    _log_g_positive,
    _random_normal_gamma2,
    normal_gamma2_logp,
)
from gapbayes.model.spec import load_spec


@pytest.fixture(scope="module")
def logp_and_grad():
    e, su, sv = pt.dvector("e"), pt.dscalar("su"), pt.dscalar("sv")
    lp = normal_gamma2_logp(e, su, sv)
    return pytensor.function([e, su, sv], [lp, pt.grad(lp.sum(), e)])


def _convolution(e: float, su: float, sv: float) -> float:
    """log of the integral of Gamma(2, l) density(u) * Normal(e + u; 0, sv) over u >= 0."""
    rate = GAMMA_RATE_TIMES_SCALE / su
    c = max(-e, 0.0)

    norm_const = rate * rate / (sv * math.sqrt(2.0 * math.pi))

    def integrand(u):
        # Gamma(2, rate) density times Normal(e + u; 0, sv), written out: scipy.stats' pdf
        # calls cost ~100 times more per point, and quad evaluates thousands of points
        return norm_const * u * math.exp(-rate * u - 0.5 * ((e + u) / sv) ** 2)

    # pieces: the normal factor is narrow (sv) around u = -e, the gamma factor wide (1 / rate)
    cuts = sorted({0.0, *(p for p in (c - 8 * sv, c - sv, c, c + sv, c + 8 * sv) if p > 0),
                   c + 8 * sv + 80.0 / rate})
    total = sum(integrate.quad(integrand, lo, hi, epsabs=0.0, epsrel=1e-13, limit=1000)[0]
                for lo, hi in zip(cuts[:-1], cuts[1:], strict=False))
    return float(np.log(total))


@pytest.mark.parametrize("su", [0.1, 1.0, 3.0])
@pytest.mark.parametrize("sv", [0.003, 0.05, 0.3, 2.0])
def test_density_equals_the_numerical_convolution(logp_and_grad, su, sv):
    """Both branches (a <= 0 and a > 0, erfcx and series) against quadrature, to 1e-7."""
    es = np.array([-5.0, -1.0, -0.2, -0.01, 0.0, 0.001, 0.01, 0.05, 0.2, 0.6])
    got, grad = logp_and_grad(es, su, sv)
    assert np.all(np.isfinite(got)) and np.all(np.isfinite(grad))
    for e, value in zip(es, got, strict=True):
        ref = _convolution(e, su, sv)
        if ref > -700:               # quadrature underflows far above the frontier
            assert value == pytest.approx(ref, abs=1e-7), (e, su, sv)


def test_series_and_error_function_branches_meet():
    """At a = 25 the asymptotic series and the erfcx form of log g(a) agree: no step."""
    a = pt.dvector("a")
    log_g = pytensor.function([a], _log_g_positive(a))
    below, above = log_g(np.array([25.0 - 1e-9, 25.0 + 1e-9]))
    # 1e-9: erfcx's own relative precision (~3e-13) is amplified by the cancellation in
    # 1 - a erfcx(...) ~ 1 / a^2 at a = 25; the series' truncation is 2e-12 there
    assert above == pytest.approx(below, abs=1e-9)
    # and both equal log(1 - a Phi(-a) / phi(a)) where float64 still resolves it directly
    a_mid = np.array([3.0, 10.0])
    direct = np.log1p(-a_mid * np.exp(stats.norm.logsf(a_mid) - stats.norm.logpdf(a_mid)))
    np.testing.assert_allclose(log_g(a_mid), direct, rtol=1e-9)


@pytest.mark.parametrize(("su", "sv"), [(1.0, 0.3), (0.5, 0.01), (2.0, 1.5)])
def test_density_integrates_to_one_with_the_half_normal_mean(logp_and_grad, su, sv):
    """Normalised, and the mean shortfall is sqrt(2 / pi) su, as for the half-normal."""
    def dens(x):
        return float(np.exp(logp_and_grad(np.array([x]), su, sv)[0][0]))

    lo, hi = -(8 * sv + 60.0 * su), 8 * sv
    pts = [-sv, 0.0, sv]
    mass = integrate.quad(dens, lo, hi, points=pts, limit=1000)[0]
    mean = integrate.quad(lambda x: x * dens(x), lo, hi, points=pts, limit=1000)[0]
    assert mass == pytest.approx(1.0, abs=1e-8)
    assert mean == pytest.approx(-np.sqrt(2.0 / np.pi) * su, rel=1e-6)


def test_forward_draws_follow_the_density(logp_and_grad):
    """The CustomDist's random draws (prior predictive, SBC worlds) have the density's CDF."""
    su, sv = 0.8, 0.2
    draws = _random_normal_gamma2(np.zeros(1), np.array(su), np.array(sv),
                                  rng=np.random.default_rng(0), size=(20_000,))
    grid = np.linspace(-8.0, 1.5, 4001)
    pdf = np.exp(logp_and_grad(grid, su, sv)[0])
    cdf = np.concatenate([[0.0], np.cumsum((pdf[1:] + pdf[:-1]) / 2 * np.diff(grid))])
    result = stats.ks_1samp(draws, lambda x: np.interp(x, grid, cdf))
    assert result.pvalue > 0.01, result


def test_no_hard_envelope_as_the_symmetric_sd_vanishes(logp_and_grad):
    """A model on the frontier (e = 0) becomes ever less likely as sv -> 0 under the gamma
    shortfall (the likelihood keeps sv off 0), while the half-normal's skew-normal density
    there grows towards its hard-envelope limit (the cliff of the half-normal model)."""
    su = 1.0
    svs = np.array([0.3, 0.1, 0.03, 0.01, 0.003])
    gamma = np.array([logp_and_grad(np.array([0.0]), su, sv)[0][0] for sv in svs])
    skew = np.array([stats.skewnorm.logpdf(0.0, -su / sv, 0.0, np.hypot(su, sv)) for sv in svs])
    assert np.all(np.diff(gamma) < 0), gamma
    assert np.all(np.diff(skew) > 0), skew
    assert gamma[-1] < gamma[0] - 3.0


def test_an_unknown_shortfall_shape_names_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nextends = "default"\n[switches]\nshortfall = "gama"\n')
    with pytest.raises(SpecError, match=r"\[switches\] shortfall must be 'half-normal' or "
                                        r"'gamma', got 'gama'"):
        load_spec(path)
