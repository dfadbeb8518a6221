"""The composed error of the soft frontier: a base model's ability around its group frontier.

ability = frontier at release + v - u, with v ~ Normal(0, sv) symmetric and u >= 0 the
shortfall, in one of two shapes (spec switch ``shortfall``):

- ``"half-normal"`` (the normal-half-normal model of Aigner, Lovell and Schmidt 1977): u is
  half-normal with scale su, so the ability is skew-normal with sd sqrt(su^2 + sv^2) and shape
  -su / sv. As sv -> 0 this becomes the hard envelope: the density jumps from its maximum to
  zero at the frontier, and HMC meets a cliff (the divergences measured where
  ``frontier_noise_sd`` is near zero: docs/model.md "Soft frontier"). Its log density is
  computed here (:func:`skew_normal_logp`), not by ``pm.SkewNormal``, whose
  log(1 + erf(x)) loses every digit for x below about -8 (an ability 8 symmetric-term sds
  above its frontier: -inf from -8.3 where the true value is -38.5; the gradient is off by
  3e-4 at -7.5 and 2% at -8): trajectories that pass there diverge although the posterior
  puts no mass there.
- ``"gamma"`` (the normal-gamma model of Greene 1990, shape 2, as in van den Broeck, Koop,
  Osiewalski and Steel 1994): u ~ Gamma(2, rate l) with l = sqrt(2 pi) / su, so the mean
  shortfall is sqrt(2 / pi) su, the half-normal's (lab curves and every reported mean
  shortfall keep their formula). The shortfall's density is 0 at u = 0, so the composed
  density stays continuous as sv -> 0, and a model near the frontier makes the likelihood
  itself fall as sv -> 0: the hard envelope is no longer a limit the posterior can sit in.

With e = ability - frontier, s = sv and a = e / s + l s, the normal-gamma(2) density is

    f(e) = l^2 s exp(l e + l^2 s^2 / 2) [phi(a) - a Phi(-a)]

(integrate l^2 u exp(-l u) phi((e + u) / s) / s over u >= 0; checked against numerical
convolution in tests/test_composed_error.py). h(a) = phi(a) - a Phi(-a) is positive and
decreasing, h'(a) = -Phi(-a). For a <= 0 both of its terms are positive and it is computed as
written; for a > 0 it is phi(a) g(a) with g(a) = 1 - a Phi(-a) / phi(a), from the scaled
complementary error function up to a = 25 and from the asymptotic series beyond (truncation
below 1e-13 relative there). The Stan twin (models/frontier.stan)
computes the same branches (``normal_gamma2_lpdf``).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

#: the two shapes of the shortfall (spec switch ``shortfall``)
SHORTFALL_SHAPES = ("half-normal", "gamma")
#: gamma shortfall rate times its scale su: the mean shortfall 2 / l equals the half-normal's
GAMMA_RATE_TIMES_SCALE = float(np.sqrt(2.0 * np.pi))
#: above this a the series for g(a) replaces the error-function form
SERIES_FROM = 25.0
_HALF_LOG_2PI = 0.5 * float(np.log(2.0 * np.pi))
_LOG_2 = np.float64(np.log(2.0))
_SQRT_2 = np.float64(np.sqrt(2.0))   # a float64 constant (sqrt(2.0) in PyTensor is float32)


def shortfall_shape(spec_switches: dict) -> str:
    """Return the spec's shortfall shape (``"half-normal"`` when the switch is absent)."""
    shape = spec_switches.get("shortfall", "half-normal")
    if shape not in SHORTFALL_SHAPES:
        raise ValueError(f"switch shortfall = {shape!r}: expected one of {SHORTFALL_SHAPES}")
    return shape


def skew_normal_logp(e: pt.TensorVariable, su: pt.TensorVariable,
                     sv: pt.TensorVariable) -> pt.TensorVariable:
    """Log density of e = v - u, v ~ Normal(0, sv), u ~ HalfNormal(su): a skew-normal.

    log 2 + log phi(z) - log sigma + log Phi(alpha z), z = e / sigma, sigma = sqrt(su^2 +
    sv^2), alpha = -su / sv, where PyMC's SkewNormal computes log(1 + erf(...)) and fails
    from about -8 on.
    """
    sigma = pt.sqrt(su**2 + sv**2)
    z = e / sigma
    return (_LOG_2 - _HALF_LOG_2PI - 0.5 * z**2 - pt.log(sigma)
            + log_normal_cdf(-su / sv * z))


def log_normal_cdf(x: pt.TensorVariable) -> pt.TensorVariable:
    """Return log Phi(x), from the scaled complementary error function below -1.

    (PyMC's ``normal_lcdf`` is the same formula, but its sqrt(2) is a float32 constant:
    relative error 7e-7.)
    """
    return pt.switch(x < -1.0, pt.log(0.5 * pt.erfcx(-x / _SQRT_2)) - 0.5 * x**2,
                     pt.log1p(-0.5 * pt.erfc(x / _SQRT_2)))


def _random_skew_normal(mu: np.ndarray, su: np.ndarray, sv: np.ndarray,
                        rng: np.random.Generator | None = None,
                        size: tuple[int, ...] | None = None) -> np.ndarray:
    """Draws of mu + v - u with a half-normal u: skew-normal, drawn as PyMC's SkewNormal draws.

    (scipy's sampler, so a seeded world is the same draw as when ``pm.SkewNormal`` made it.)
    """
    from scipy import stats

    sigma = np.sqrt(np.square(su) + np.square(sv))
    return np.asarray(stats.skewnorm.rvs(a=-np.asarray(su) / sv, loc=mu, scale=sigma,
                                         size=size, random_state=rng))


def _logp_skew_normal(value: pt.TensorVariable, mu: pt.TensorVariable,
                      su: pt.TensorVariable, sv: pt.TensorVariable) -> pt.TensorVariable:
    return skew_normal_logp(value - mu, su, sv)


def _log_g_positive(a: pt.TensorVariable) -> pt.TensorVariable:
    """log(1 - a Phi(-a) / phi(a)) for a > 0 (inputs clamped so both branches stay finite)."""
    small = pt.clip(a, 0.0, SERIES_FROM)
    mills = np.sqrt(np.pi / 2.0) * pt.erfcx(small / np.sqrt(2.0))
    exact = pt.log1p(-small * mills)
    big = pt.maximum(a, SERIES_FROM)
    x = 1.0 / big**2
    series = (pt.log(x) + pt.log1p(x * (-3.0 + x * (15.0 + x * (-105.0 + x * (945.0
                                                                          - 10395.0 * x))))))
    return pt.switch(a > SERIES_FROM, series, exact)


def normal_gamma2_logp(e: pt.TensorVariable, su: pt.TensorVariable,
                       sv: pt.TensorVariable) -> pt.TensorVariable:
    """Log density of e = v - u, v ~ Normal(0, sv), u ~ Gamma(2, rate sqrt(2 pi) / su).

    Parameters
    ----------
    e
        Ability minus its frontier at release.
    su, sv
        Shortfall scale (mean shortfall sqrt(2 / pi) su) and symmetric-term sd.

    Returns
    -------
    pt.TensorVariable
        Elementwise log density, finite for every real e and positive su, sv.
    """
    rate = GAMMA_RATE_TIMES_SCALE / su
    a = e / sv + rate * sv
    common = 2.0 * pt.log(rate) + pt.log(sv)
    # a <= 0: h(a) = phi(a) + |a| Phi(-a), both terms positive
    a_neg = pt.minimum(a, 0.0)
    h_neg = pt.exp(-0.5 * a_neg**2 - _HALF_LOG_2PI) - a_neg * 0.5 * pt.erfc(a_neg / np.sqrt(2.0))
    neg = common + rate * e + 0.5 * (rate * sv) ** 2 + pt.log(h_neg)
    # a > 0: l e + l^2 s^2 / 2 - a^2 / 2 = -e^2 / (2 s^2), so log f needs no large exponentials
    pos = common - 0.5 * (e / sv) ** 2 - _HALF_LOG_2PI + _log_g_positive(a)
    return pt.switch(a > 0.0, pos, neg)


def _random_normal_gamma2(mu: np.ndarray, su: np.ndarray, sv: np.ndarray,
                          rng: np.random.Generator | None = None,
                          size: tuple[int, ...] | None = None) -> np.ndarray:
    """Draws of mu + v - u (the forward simulation of the composed error)."""
    rng = rng if rng is not None else np.random.default_rng()
    shape = size if size is not None else np.broadcast_shapes(np.shape(mu), np.shape(su),
                                                               np.shape(sv))
    u = rng.gamma(2.0, 1.0, shape) * su / GAMMA_RATE_TIMES_SCALE
    return mu + sv * rng.normal(0.0, 1.0, shape) - u


def _logp_normal_gamma2(value: pt.TensorVariable, mu: pt.TensorVariable,
                        su: pt.TensorVariable, sv: pt.TensorVariable) -> pt.TensorVariable:
    return normal_gamma2_logp(value - mu, su, sv)


def composed_ability(name: str, shape: str, mu: pt.TensorVariable, su: pt.TensorVariable,
                     sv: pt.TensorVariable, **dims) -> pt.TensorVariable:
    """Add a PyMC variable: frontier ``mu`` plus the composed error of the given shape.

    Parameters
    ----------
    name
        Variable name (``ability``, ``frame_ability``).
    shape
        ``"half-normal"`` (skew-normal ability) or ``"gamma"`` (normal-gamma(2)).
    mu, su, sv
        Frontier at release, shortfall scale and symmetric-term sd (broadcast together).
    **dims
        Passed on (``dims=...``).
    """
    if shape == "half-normal":
        return pm.CustomDist(name, mu, su, sv, logp=_logp_skew_normal,
                             random=_random_skew_normal, **dims)
    return pm.CustomDist(name, mu, su, sv, logp=_logp_normal_gamma2,
                         random=_random_normal_gamma2, **dims)
