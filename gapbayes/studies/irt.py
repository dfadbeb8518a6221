"""A simple IRT reference model without time structure (ECI-like), for the held-out checks.

Capability theta_m ~ Normal(0, 1) per model (the unit population fixes location and scale of
the capability axis, as WinoGrande's fixed difficulty and slope do for ECI, Ho et al. 2025);
no release dates, no frontier, no gap, no bias terms. The link and the noise are those of the
gap model (:mod:`gapbayes.model.pymc_model`), with the same priors from the spec, so the two
models differ only in where capability comes from:

- sigmoid benchmarks: p = chance + (ceiling - chance) * logistic(slope (theta - difficulty)),
  variance se^2 + binomial p(1-p)/n + 4 p (1-p) tau^2 + reporting floor;
- linear benchmarks (standardised): y = intercept + slope * theta, variance se^2 + tau^2.

Slopes get a free log-mean (``irt_log_slope_mean``) instead of the gap model's sum-to-zero
constraint, because here the scale is already fixed by the unit population sd.

A model with no training score (a held-out cell of a model scored nowhere else, or every
model released after the cut-off in leave-future-out) keeps its prior: its predictions
integrate over the population N(0, 1) of capabilities, i.e. the IRT reference predicts a new
model from the population of past models, since without time it cannot know that newer
models are stronger.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from gapbayes.model.design import REPORTING_SD, ModelData
from gapbayes.model.spec import Spec

#: Prior of the mean log slope (capability units are population sds: a benchmark that goes
#: from chance to ceiling across the population needs slopes of ~2-4).
LOG_SLOPE_MEAN = {"mu": 1.0, "sigma": 1.0}


def build_irt_model(data: ModelData, spec: Spec) -> pm.Model:
    """Build the IRT reference model on ``data``'s observations.

    Parameters
    ----------
    data
        Arrays from :func:`gapbayes.model.design.build_model_data` (possibly restricted to
        training rows; every model of the design gets a capability).
    spec
        Source of the link and noise priors (``difficulty``, ``log_slope_sd``,
        ``ceiling_logit``, ``noise_log_sd``, ``linear_*``).

    Returns
    -------
    pymc.Model
        Variables named as in the gap model (``difficulty``, ``slope``, ``ceiling``,
        ``noise_sd``, ``linear_slope``, ``linear_intercept``, ``linear_noise_sd``) plus the
        capability ``irt_theta`` (dims ``model``), so the held-out predictor shares the link.
    """
    sig_b = data.sig_benchmarks
    lin_b = np.flatnonzero(data.bench_linear == 1)
    sig_i, lin_i = data.sig_idx, data.lin_idx
    om, ob = data.obs_model, data.obs_bench
    coords = data.coords()
    coords["sig_benchmark"] = [data.bench_ids[b] for b in sig_b]
    coords["lin_benchmark"] = [data.bench_ids[b] for b in lin_b]
    coords["sig_obs"] = sig_i.tolist()
    coords["lin_obs"] = lin_i.tolist()
    with pm.Model(coords=coords) as model:
        theta_all = pm.Normal("irt_theta", 0.0, 1.0, dims="model")
        theta = theta_all[om]
        if len(sig_b):
            dp = spec.prior("difficulty")
            diff = pm.Deterministic(
                "difficulty",
                dp["mu"] + dp["sigma"] * pm.Normal("difficulty_z", 0.0, 1.0, dims="sig_benchmark"),
                dims="sig_benchmark")
            ls_mu = pm.Normal("irt_log_slope_mean", **LOG_SLOPE_MEAN)
            ls_sd = pm.HalfNormal("log_slope_sd", sigma=spec.prior("log_slope_sd")["sigma"])
            slope = pm.Deterministic(
                "slope",
                pt.exp(ls_mu + ls_sd * pm.Normal("log_slope_z", 0.0, 1.0, dims="sig_benchmark")),
                dims="sig_benchmark")
            cp = spec.prior("ceiling_logit")
            ceiling = pm.Deterministic(
                "ceiling",
                1.0 - pm.math.sigmoid(
                    cp["mu"] + cp["sigma"] * pm.Normal("ceiling_z", 0.0, 1.0,
                                                       dims="sig_benchmark")),
                dims="sig_benchmark")
            npr = spec.prior("noise_log_sd")
            tau = pm.Deterministic(
                "noise_sd",
                pt.exp(npr["mu"] + npr["sigma"] * pm.Normal("noise_z", 0.0, 1.0,
                                                            dims="sig_benchmark")),
                dims="sig_benchmark")
            pos = np.full(len(data.bench_ids), -1)
            pos[sig_b] = np.arange(len(sig_b))
            k = pos[ob[sig_i]]
            chance = data.bench_chance[ob[sig_i]]
            p = chance + (ceiling[k] - chance) * pm.math.sigmoid(
                slope[k] * (theta[sig_i] - diff[k]))
            pq = p * (1.0 - p)
            n = np.maximum(data.bench_n_items[ob[sig_i]], 1)
            var = (data.se[sig_i] ** 2 + data.obs_binomial[sig_i] * pq / n
                   + 4.0 * pq * tau[k] ** 2 + REPORTING_SD**2)
            y_sig = pm.Data("y_sig_data", data.y[sig_i], dims="sig_obs")
            pm.Normal("y_sig", mu=p, sigma=pt.sqrt(var), observed=y_sig, dims="sig_obs")
        if len(lin_b):
            pos = np.full(len(data.bench_ids), -1)
            pos[lin_b] = np.arange(len(lin_b))
            k = pos[ob[lin_i]]
            lp, ip, npl = (spec.prior(n) for n in
                           ("linear_log_slope", "linear_intercept", "linear_noise_log_sd"))
            lin_slope = pm.Deterministic(
                "linear_slope",
                pt.exp(lp["mu"] + lp["sigma"] * pm.Normal("linear_slope_z", 0.0, 1.0,
                                                          dims="lin_benchmark")),
                dims="lin_benchmark")
            lin_icpt = pm.Deterministic(
                "linear_intercept",
                ip["mu"] + ip["sigma"] * pm.Normal("linear_intercept_z", 0.0, 1.0,
                                                   dims="lin_benchmark"),
                dims="lin_benchmark")
            lin_tau = pm.Deterministic(
                "linear_noise_sd",
                pt.exp(npl["mu"] + npl["sigma"] * pm.Normal("linear_noise_z", 0.0, 1.0,
                                                            dims="lin_benchmark")),
                dims="lin_benchmark")
            mu = lin_icpt[k] + lin_slope[k] * theta[lin_i]
            sd = pt.sqrt(data.se[lin_i] ** 2 + lin_tau[k] ** 2)
            y_lin = pm.Data("y_lin_data", data.y[lin_i], dims="lin_obs")
            pm.Normal("y_lin", mu=mu, sigma=sd, observed=y_lin, dims="lin_obs")
    return model
