"""Monitored quantities, the joint log-likelihood test quantity, ranks and convergence.

For each simulation the rank of a quantity is the number of the L thinned posterior draws
below its prior-draw value (ties broken at random), so ranks lie in 0..L and are uniform
when the fit is calibrated (Talts et al. 2018). Besides parameters we rank the joint
log-likelihood of the simulated data, log p(y | theta), evaluated at the prior draw and at
each posterior draw: a data-dependent test quantity that catches errors the parameter ranks
miss, e.g. a posterior that ignores part of the data (Modrak et al. 2023).
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

import numpy as np

from gapbayes.model.design import ModelData
from gapbayes.model.spec import Spec
from gapbayes.sbc.backends import ConjugateNormal, FitDraws
from gapbayes.sbc.loglik import JointLogLik

# The same rule as a real fit (gapbayes.inference.diagnostics): R-hat <= 1.01 on every monitored
# quantity and every posterior variable, and no divergent transition. A looser SBC rule would
# let a geometry problem that fails real fits pass calibration unnoticed.
RHAT_MAX = 1.01
DIVERGENCES_MAX = 0
LOGLIK = "loglik"


class Quantities(Protocol):
    """The quantities an SBC run ranks; ``theta`` values carry a leading sample axis S."""

    names: list[str]

    def describe(self) -> dict[str, str]:
        """One line per quantity (the report's legend)."""

    def values(self, theta: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each monitored quantity (``loglik`` excluded), shape (S,)."""

    def loglik(self, y: dict[str, np.ndarray], theta: dict[str, np.ndarray]) -> np.ndarray:
        """Joint log-likelihood of ``y`` at every draw, shape (S,)."""


class GapQuantities:
    """The gap model's monitored quantities and its compiled joint log-likelihood.

    Monitored: the gap D(t) at the first, middle and last report month (``gap_early``,
    ``gap_middle``, ``gap_last``), ``public_offset``, each bias term the spec switches on
    (``provider_penalty``, ``self_report_offset``, ``china_offset``), the hyperparameters
    ``gap_rw_sd`` (time-varying gap only) and ``frontier_log_growth``, and ``loglik``.
    """

    def __init__(self, data: ModelData, spec: Spec) -> None:
        sw = spec.switches
        r = len(data.report_dates)
        self.months = {"gap_early": 0, "gap_middle": r // 2, "gap_last": r - 1}
        self.dates = {k: data.report_dates[i] for k, i in self.months.items()}
        self.scalars = ["public_offset"]
        self.scalars += [n for n, on in (("provider_penalty", sw["provider_degradation"]),
                                         ("self_report_offset", sw["self_report"]),
                                         ("china_offset", sw["country"])) if on]
        self.scalars += (["gap_rw_sd"] if sw["time_varying_gap"] else []) + [
            "frontier_log_growth"]
        self.names = [*self.months, *self.scalars, LOGLIK]
        from gapbayes.model.pymc_model import build_pymc_model

        self._loglik = JointLogLik(partial(build_pymc_model, data, spec))

    def describe(self) -> dict[str, str]:
        """One line per quantity (the report's legend)."""
        out = {k: f"gap D(t) in months at {d}" for k, d in self.dates.items()}
        out.update({k: k for k in self.scalars})
        out[LOGLIK] = "joint log-likelihood of the simulated data"
        return out

    def values(self, theta: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Return the monitored quantities per draw."""
        gap = np.asarray(theta["gap"])
        out = {k: gap[:, i] for k, i in self.months.items()}
        out.update({k: np.asarray(theta[k]).reshape(-1) for k in self.scalars})
        return out

    def loglik(self, y: dict[str, np.ndarray], theta: dict[str, np.ndarray]) -> np.ndarray:
        """Joint log-likelihood of the simulated data at each draw."""
        return self._loglik(y, theta)


class ConjugateQuantities:
    """The mock model's quantities: ``mu`` and the joint log-likelihood."""

    def __init__(self, model: ConjugateNormal) -> None:
        self.model = model
        self.names = ["mu", LOGLIK]

    def describe(self) -> dict[str, str]:
        """One line per quantity (the report's legend)."""
        return {"mu": "mean of the conjugate normal model",
                LOGLIK: "joint log-likelihood of the simulated data"}

    def values(self, theta: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Return ``mu`` per draw."""
        return {"mu": np.asarray(theta["mu"]).reshape(-1)}

    def loglik(self, y: dict[str, np.ndarray], theta: dict[str, np.ndarray]) -> np.ndarray:
        """sum_i log Normal(y_i | mu, noise_sd) per draw."""
        mu = np.asarray(theta["mu"]).reshape(-1, 1)
        sd = self.model.noise_sd
        z = (np.asarray(y["y"])[None, :] - mu) / sd
        return np.sum(-0.5 * z**2 - np.log(sd) - 0.5 * np.log(2 * np.pi), axis=1)


def rank_of(prior_value: float, draws: np.ndarray, rng: np.random.Generator) -> int:
    """Count ``draws`` below ``prior_value``; ties are split uniformly at random."""
    below = int(np.sum(draws < prior_value))
    ties = int(np.sum(draws == prior_value))
    return below + (int(rng.integers(0, ties + 1)) if ties else 0)


def rhat(x: np.ndarray) -> float:
    """Rank-normalised split R-hat of a (chain, draw) array (arviz-stats)."""
    from arviz_stats.base import array_stats

    return float(array_stats.rhat(np.asarray(x, dtype=float), chain_axis=0, draw_axis=1))


def ess_bulk(x: np.ndarray) -> float:
    """Rank-normalised bulk ESS of a (chain, draw) array (arviz-stats)."""
    from arviz_stats.base import array_stats

    return float(array_stats.ess(np.asarray(x, dtype=float), chain_axis=0, draw_axis=1,
                                 method="bulk"))


def rhat_all(fit: FitDraws) -> tuple[float, str]:
    """Largest R-hat over every element of every posterior variable, and where it is.

    Elements constant across draws (a zero-sum component fixed by construction, a curve
    pinned at its origin) have no R-hat and are skipped.
    """
    from arviz_stats.base import array_stats

    worst, where = 1.0, ""
    for name, x in fit.posterior.items():
        x = np.asarray(x, dtype=float)
        if x.ndim < 2 or x.shape[1] < 4:
            continue
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        varies = flat.std(axis=(0, 1)) > 0
        if not varies.any():
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.atleast_1d(array_stats.rhat(flat[:, :, varies], chain_axis=0, draw_axis=1))
        r = np.where(np.isfinite(r), r, np.inf)
        if r.max() > worst:
            j = int(np.argmax(r))
            worst, where = float(r[j]), name if r.size == 1 else f"{name}[{j}]"
    return worst, where


def rank_simulation(
    quantities: Quantities,
    prior: dict[str, np.ndarray],
    y: dict[str, np.ndarray],
    fit: FitDraws,
    thin: int,
    rng: np.random.Generator,
) -> dict:
    """Ranks, randomised PIT values, posterior summaries and convergence of one fit.

    Parameters
    ----------
    quantities
        What to rank.
    prior, y
        The simulation's prior draw and data.
    fit
        Its posterior draws.
    thin
        Keep every ``thin``-th draw (chain-major order) for the ranks.
    rng
        Breaks ties and draws the PIT jitter (seeded per simulation: reproducible).

    Returns
    -------
    dict
        ``L``, ``ranks``, ``pit`` ((rank + U) / (L + 1), exactly uniform under calibration
        even though ranks are discrete), ``prior``, ``posterior_mean``, ``posterior_sd``,
        ``rhat``, ``ess_bulk``, ``divergences``, ``divergent_share``, ``rhat_all_max`` (every
        posterior variable) with ``rhat_all_where``, and ``converged`` with ``reason``.
    """
    chains, draws = fit.diverging.shape
    flat = {k: np.asarray(v).reshape(chains * draws, *np.shape(v)[2:])
            for k, v in fit.posterior.items()}
    post = quantities.values(flat)
    post[LOGLIK] = quantities.loglik(y, flat)
    one = {k: np.asarray(v)[None, ...] for k, v in prior.items()}
    at_prior = {k: float(v[0]) for k, v in quantities.values(one).items()}
    at_prior[LOGLIK] = float(quantities.loglik(y, one)[0])
    rec: dict = {"ranks": {}, "pit": {}, "prior": at_prior, "posterior_mean": {},
                 "posterior_sd": {}, "rhat": {}, "ess_bulk": {}}
    kept = slice(0, None, thin)
    for name in quantities.names:
        x = post[name]
        thinned = x[kept]
        r = rank_of(at_prior[name], thinned, rng)
        rec["L"] = len(thinned)
        rec["ranks"][name] = r
        rec["pit"][name] = (r + float(rng.random())) / (len(thinned) + 1)
        rec["posterior_mean"][name] = float(np.mean(x))
        rec["posterior_sd"][name] = float(np.std(x))
        rec["rhat"][name] = rhat(x.reshape(chains, draws))
        # kept to tell slow mixing (low ESS, R-hat noisy) from chains in different places
        rec["ess_bulk"][name] = ess_bulk(x.reshape(chains, draws))
    n_div = int(fit.diverging.sum())
    rec["divergences"] = n_div
    rec["divergent_share"] = n_div / fit.diverging.size
    rec["rhat_all_max"], rec["rhat_all_where"] = rhat_all(fit)
    reasons = []
    bad = {k: v for k, v in rec["rhat"].items() if not np.isfinite(v) or v > RHAT_MAX}
    if bad:
        listed = ", ".join(f"{k} ({v:.3f})" for k, v in bad.items())
        reasons.append(f"R-hat > {RHAT_MAX:g} on {listed}")
    if rec["rhat_all_max"] > RHAT_MAX:
        reasons.append(f"R-hat {rec['rhat_all_max']:.3f} > {RHAT_MAX:g} on posterior variable "
                       f"{rec['rhat_all_where']}")
    if n_div > DIVERGENCES_MAX:
        reasons.append(f"{n_div} divergent draw{'s' if n_div > 1 else ''} "
                       f"({rec['divergent_share']:.1%})")
    rec["converged"] = not reasons
    rec["reason"] = "; ".join(reasons)
    return rec
