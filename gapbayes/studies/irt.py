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

import pymc as pm

from gapbayes.model.design import ModelData
from gapbayes.model.pymc_model import add_score_likelihood
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
    with pm.Model(coords=data.coords()) as model:
        theta_all = pm.Normal("irt_theta", 0.0, 1.0, dims="model")
        log_slope_mean = pm.Normal("irt_log_slope_mean", **LOG_SLOPE_MEAN)
        add_score_likelihood(data, spec, theta_all[data.obs_model], log_slope_mean)
    return model
