"""The hierarchical time-shift gap model in PyMC (the Stan twin is models/gapbayes.stan).

Structure (README "The model" has the full story):

- Closed frontier F(t): cumulative integral of exp(g(t)), g a random walk over knots on the
  log growth rate; F(origin) = 0 (location) and the mean log slope of sigmoid benchmarks is 0
  (scale), so F is identified.
- Gap D(t) in months: random walk over knots (a constant in ``constant-gap``). On benchmark b
  an open model released at t stands at F(t - D_b(t)/12) with
  D_b(t) = D(t) + public_offset [b public] + category_offset[cat(b)] + benchmark_offset[b]
  (+ china_offset for Chinese open models).
- Model m: capability = frontier of its group at t_m minus shortfall s_m >= 0 (half-normal,
  scale hierarchical by family), minus the provider penalty on host-served open-model scores,
  plus the self-report offset on self-reported scores.
- Link: sigmoid benchmarks p = chance + (ceiling - chance) * logistic(slope (theta - difficulty));
  linear benchmarks (log-minutes, Elo) standardised y = intercept + slope * theta.
- Noise: Normal with variance se^2 (file stderr) or p(1-p)/n (item count) plus overdispersion
  tau_b^2 * 4 p (1 - p) plus a reporting-resolution floor; exact 0 and 1 scores need no clipping.
- Optional selection: P(pair evaluated) = logistic(a_b + c * (-s_m) + o * open_m).

Everything is non-centred (standard-normal ``*_z`` variables scaled by their sd).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from gapbayes.model.design import GRID_STEP_YEARS, REPORTING_SD, ModelData
from gapbayes.model.links import add_linear_likelihood
from gapbayes.model.spec import Spec

OBSERVED = ("y_sig", "y_lin", "evaluated")


def frontier_at(
    F_grid: pt.TensorVariable, rate: pt.TensorVariable, grid0: float, s: pt.TensorVariable
) -> pt.TensorVariable:
    """Evaluate the frontier at (parameter-dependent) times ``s``.

    Exact integral of the linearly interpolated growth rate, so F is C1 and the gap has no
    gradient kinks at grid points.
    """
    pos = (s - grid0) / GRID_STEP_YEARS
    i = pt.clip(pt.floor(pos), 0, F_grid.shape[0] - 2).astype("int64")
    h = (pos - i) * GRID_STEP_YEARS
    r0, r1 = rate[i], rate[i + 1]
    return F_grid[i] + r0 * h + (r1 - r0) * h**2 / (2.0 * GRID_STEP_YEARS)


def _normal(name: str, spec: Spec, **kw) -> pt.TensorVariable:
    p = spec.prior(name)
    return pm.Normal(name, mu=p["mu"], sigma=p["sigma"], **kw)


def _half(name: str, prior: str, spec: Spec) -> pt.TensorVariable:
    return pm.HalfNormal(name, sigma=spec.prior(prior)["sigma"])


def build_pymc_model(data: ModelData, spec: Spec) -> pm.Model:
    """Build the PyMC model for ``data`` under ``spec``.

    Parameters
    ----------
    data
        Arrays from :func:`gapbayes.model.design.build_model_data`.
    spec
        Switches and priors.

    Returns
    -------
    pymc.Model
        Observed variables ``y_sig``, ``y_lin`` (and ``evaluated`` with the selection
        switch) hold pm.Data containers, so new data can be swapped in without a rebuild.
    """
    sw = spec.switches
    with pm.Model(coords=data.coords()) as model:
        # ---- closed frontier F(t) -------------------------------------------------------
        g0 = _normal("frontier_log_growth", spec)
        g_sd = _half("frontier_growth_rw_sd", "frontier_growth_rw", spec)
        g_z = pm.Normal("frontier_growth_z", 0.0, 1.0, dims="growth_step")
        g_knots = g0 + g_sd * pt.dot(data.growth_rw, g_z)
        rate = pt.exp(pt.dot(data.growth_interp, g_knots))
        cum = pt.concatenate(
            [pt.zeros(1), pt.cumsum(0.5 * (rate[1:] + rate[:-1]) * GRID_STEP_YEARS)]
        )
        F_grid = pm.Deterministic("frontier", cum - cum[data.grid_origin], dims="grid")

        # ---- gap D(t) and its offsets (months) -------------------------------------------
        d0 = _normal("gap_mean", spec)
        if sw["time_varying_gap"]:
            d_sd = _half("gap_rw_sd", "gap_rw", spec)
            d_z = pm.Normal("gap_z", 0.0, 1.0, dims="gap_step")
            d_knots = d0 + d_sd * pt.dot(data.gap_rw, d_z)
        else:
            d_knots = d0 * pt.ones(len(data.gap_knots))
        pm.Deterministic("gap", pt.dot(data.gap_interp_report, d_knots), dims="month")
        d_model = pt.dot(data.gap_interp_model, d_knots)
        pub = _normal("public_offset", spec)
        cat_sd = _half("category_sd", "category_sd", spec)
        cat_z = pm.Normal("category_z", 0.0, 1.0, dims="category")
        b_sd = _half("benchmark_gap_sd", "benchmark_gap_sd", spec)
        b_z = pm.Normal("benchmark_gap_z", 0.0, 1.0, dims="benchmark")
        offset = pm.Deterministic(
            "gap_offset",
            pub * data.bench_public + cat_sd * cat_z[data.bench_category] + b_sd * b_z,
            dims="benchmark",
        )
        lag_model = d_model
        if sw["country"]:
            lag_model = lag_model + _normal("china_offset", spec) * data.model_chinese

        # ---- models: shortfall below the group frontier ----------------------------------
        s_mu = _normal("shortfall_log_scale", spec)
        s_tau = _half("shortfall_family_sd", "shortfall_family_sd", spec)
        s_fam = pm.Normal("shortfall_family_z", 0.0, 1.0, dims="family")
        s_raw = pm.HalfNormal("shortfall_z", 1.0, dims="model")
        shortfall = pm.Deterministic(
            "shortfall", pt.exp(s_mu + s_tau * s_fam[data.model_family]) * s_raw, dims="model"
        )

        om, ob = data.obs_model, data.obs_bench
        lag_years = data.model_open[om] * (lag_model[om] + offset[ob]) / 12.0
        theta = frontier_at(F_grid, rate, data.grid_time[0], data.model_time[om] - lag_years)
        theta = theta - shortfall[om]
        if sw["provider_degradation"]:
            theta = theta - _half("provider_penalty", "provider_penalty", spec) * data.obs_host
        if sw["self_report"]:
            theta = theta + _normal("self_report_offset", spec) * data.obs_self

        add_score_likelihood(data, spec, theta)

        # ---- which pairs get evaluated (non-ignorable selection) -------------------------
        if sw["selection"]:
            model.add_coord("cell", list(range(len(data.cell_model))))
            a = _normal("selection_intercept", spec, dims="benchmark")
            c = _normal("selection_capability", spec)
            o = _normal("selection_open", spec)
            logit = (
                a[data.cell_bench]
                - c * shortfall[data.cell_model]
                + o * data.model_open[data.cell_model]
            )
            ev = pm.Data("evaluated_data", data.cell_observed, dims="cell")
            pm.Bernoulli("evaluated", logit_p=logit, observed=ev, dims="cell")
    return model


def add_score_likelihood(
    data: ModelData,
    spec: Spec,
    theta: pt.TensorVariable,
    log_slope_mean: pt.TensorVariable | None = None,
) -> None:
    """Add the per-benchmark links and the score likelihood to the model in context.

    Parameters
    ----------
    data
        The design (observation indices, chance floors, item counts, standard errors).
    spec
        Link and noise priors (``difficulty``, ``log_slope_sd``, ``ceiling_logit``,
        ``noise_log_sd``, ``linear_*``).
    theta
        Capability per observation, shape ``(n_obs,)``.
    log_slope_mean
        None: log slopes of sigmoid benchmarks sum to zero (fixes the capability scale).
        Otherwise their mean.
    """
    sig_b, sig_i = data.sig_benchmarks, data.sig_idx
    ob = data.obs_bench
    # ---- sigmoid benchmarks ----------------------------------------------------------
    if len(sig_b):
        diff = pm.Deterministic(
            "difficulty",
            spec.prior("difficulty")["mu"]
            + spec.prior("difficulty")["sigma"]
            * pm.Normal("difficulty_z", 0.0, 1.0, dims="sig_benchmark"),
            dims="sig_benchmark",
        )
        ls_sd = _half("log_slope_sd", "log_slope_sd", spec)
        ls_z = pm.Normal("log_slope_z", 0.0, 1.0, dims="sig_benchmark")
        # The gap model pins the capability scale by centring the log slopes; a model whose
        # capability scale is pinned elsewhere (the IRT reference) gives a free mean instead.
        log_slope = ls_sd * (ls_z - ls_z.mean()) if log_slope_mean is None \
            else log_slope_mean + ls_sd * ls_z
        slope = pm.Deterministic("slope", pt.exp(log_slope), dims="sig_benchmark")
        cp = spec.prior("ceiling_logit")
        ceil_z = pm.Normal("ceiling_z", 0.0, 1.0, dims="sig_benchmark")
        ceiling = pm.Deterministic(
            "ceiling", 1.0 - pm.math.sigmoid(cp["mu"] + cp["sigma"] * ceil_z),
            dims="sig_benchmark",
        )
        npr = spec.prior("noise_log_sd")
        tau_z = pm.Normal("noise_z", 0.0, 1.0, dims="sig_benchmark")
        tau = pm.Deterministic(
            "noise_sd", pt.exp(npr["mu"] + npr["sigma"] * tau_z), dims="sig_benchmark"
        )
        pos = np.full(len(data.bench_ids), -1)
        pos[sig_b] = np.arange(len(sig_b))
        k = pos[ob[sig_i]]
        chance = data.bench_chance[ob[sig_i]]
        p = chance + (ceiling[k] - chance) * pm.math.sigmoid(
            slope[k] * (theta[sig_i] - diff[k])
        )
        pq = p * (1.0 - p)
        n = np.maximum(data.bench_n_items[ob[sig_i]], 1)
        var = (
            data.se[sig_i] ** 2
            + data.obs_binomial[sig_i] * pq / n
            + 4.0 * pq * tau[k] ** 2
            + REPORTING_SD**2
        )
        y_sig = pm.Data("y_sig_data", data.y[sig_i], dims="sig_obs")
        pm.Normal("y_sig", mu=p, sigma=pt.sqrt(var), observed=y_sig, dims="sig_obs")

    add_linear_likelihood(data, spec, theta)
