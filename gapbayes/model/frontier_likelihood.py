"""The frontier model's score likelihood: per-benchmark links and noise (PyMC).

Sigmoid benchmarks: chance + (ceiling - chance) x share, the share logistic in slope x
(capability - difficulty), or for the benchmarks that :func:`shaped_benchmarks` names the
asymmetric :func:`link_share`; zero-sum difficulties (location) and zero-sum log slopes
(scale), ceilings with label-error priors, a noise sd per benchmark and the binomial and
reported standard errors in the variance. Linear benchmarks: :mod:`gapbayes.model.links`.
The Stan twin (models/frontier.stan) computes the same terms.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from gapbayes.model.design import REPORTING_SD
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.links import add_linear_likelihood
from gapbayes.model.spec import Spec


def _half(name: str, spec: Spec, prior: str | None = None) -> pt.TensorVariable:
    return pm.HalfNormal(name, sigma=spec.prior(prior or name)["sigma"])


def link_share(x: pt.TensorVariable, shape: pt.TensorVariable) -> pt.TensorVariable:
    """Share of the way from chance to ceiling: 1 - exp(-shape softplus(x)).

    ``shape = 1`` is the logistic; ``shape < 1`` rises as steeply from the floor but nears the
    ceiling more slowly (a benchmark with a tail of very hard items). Numerically stable at
    both ends (``expm1`` near the floor, ``softplus`` for large ``x``).
    """
    return -pt.expm1(-shape * pt.softplus(x))


def shaped_benchmarks(data: FrontierData, spec: Spec) -> np.ndarray:
    """Positions, among the sigmoid benchmarks, of those whose link gets a shape.

    Every sigmoid benchmark with the switch ``asymmetric_link``; otherwise those listed in
    ``asymmetric_link_benchmarks`` that the data contain (a listed benchmark that is not fitted
    is ignored, so a spec can serve tables without it).
    """
    ids = [data.bench_ids[b] for b in data.sig_benchmarks]
    if spec.switches["asymmetric_link"]:
        return np.arange(len(ids))
    listed = set(spec.switches["asymmetric_link_benchmarks"])
    return np.array([k for k, b in enumerate(ids) if b in listed], dtype=int)


def add_score_likelihood(data: FrontierData, spec: Spec, theta: pt.TensorVariable) -> None:
    """Per-benchmark links and the Normal score likelihood (model in context)."""
    sig_b, sig_i = data.sig_benchmarks, data.sig_idx
    ob = data.obs_bench
    if len(sig_b):
        pos = np.full(len(data.bench_ids), -1)
        pos[sig_b] = np.arange(len(sig_b))
        k = pos[ob[sig_i]]
        if len(sig_b) > 1:
            diff = pm.ZeroSumNormal("difficulty", sigma=spec.prior("difficulty")["sigma"],
                                    dims="sig_benchmark")
            ls_sd = _half("log_slope_sd", spec)
            slope = pm.Deterministic(
                "slope", pt.exp(pm.ZeroSumNormal("log_slope", sigma=ls_sd, dims="sig_benchmark")),
                dims="sig_benchmark")
        else:
            # one sigmoid benchmark fixes the latent location and scale (links.with_single_link
            # records them in the posterior of either backend)
            diff, slope = pt.zeros(1), pt.ones(1)
        ceil_z = pm.Normal("ceiling_z", 0.0, 1.0, dims="sig_benchmark")
        ceiling = pm.Deterministic(
            "ceiling", 1.0 - pm.math.sigmoid(data.ceiling_mu[sig_b]
                                             + data.ceiling_sigma[sig_b] * ceil_z),
            dims="sig_benchmark")
        npr = spec.prior("noise_log_sd")
        tau = pm.Deterministic(
            "noise_sd", pt.exp(npr["mu"] + npr["sigma"] * pm.Normal(
                "noise_z", 0.0, 1.0, dims="sig_benchmark")), dims="sig_benchmark")
        per = pt.stack([diff, slope, ceiling, tau], axis=1)[k]  # one gather for the link
        chance = data.bench_chance[ob[sig_i]]
        x = per[:, 1] * (theta[sig_i] - per[:, 0])
        share = pm.math.sigmoid(x)
        shaped = shaped_benchmarks(data, spec)
        if len(shaped):
            # sampled as the log rate at which the curve nears its ceiling, log(shape slope):
            # the same prior on log shape, but a saturated benchmark's data pin this rate and
            # leave the slope to the hierarchy along one axis instead of a diagonal ridge
            pm.modelcontext(None).add_coord(
                "shaped_benchmark", [data.bench_ids[sig_b[j]] for j in shaped])
            pr, log_slope = spec.prior("log_shape"), pt.log(slope)[shaped]
            top = pm.Normal("log_top_rate", mu=log_slope + pr["mu"], sigma=pr["sigma"],
                            dims="shaped_benchmark")
            shape = pm.Deterministic(
                "shape", pt.set_subtensor(pt.ones(len(sig_b))[shaped], pt.exp(top - log_slope)),
                dims="sig_benchmark")
            # only the shaped benchmarks' scores pay for the asymmetric link (shape 1 is the
            # logistic, so the others keep the cheaper sigmoid)
            rows = np.flatnonzero(np.isin(k, shaped))
            share = pt.set_subtensor(share[rows], link_share(x[rows], shape[k[rows]]))
        p = chance + (per[:, 2] - chance) * share
        pq = p * (1.0 - p)
        n = np.maximum(data.bench_n_items[ob[sig_i]], 1)
        var = (data.se[sig_i] ** 2 + data.obs_binomial[sig_i] / n * pq
               + 4.0 * pq * per[:, 3] ** 2 + REPORTING_SD**2)
        y = pm.Data("y_sig_data", data.y[sig_i], dims="sig_obs")
        pm.Normal("y_sig", mu=p, sigma=pt.sqrt(var), observed=y, dims="sig_obs")
    add_linear_likelihood(data, spec, theta)
