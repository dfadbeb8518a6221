"""ModelData + Spec -> the data of models/gapbayes.stan, and the names the PyMC twin uses.

The Stan program is compiled once for every spec: the switches and the prior hyperparameters
are data here, and a parameter that a switch removes has size 0. Indices become 1-based.
Everything else (interpolation and random-walk matrices, index arrays) comes unchanged from
:class:`gapbayes.model.design.ModelData`, so both backends see identical numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gapbayes.model import links
from gapbayes.model.design import GRID_STEP_YEARS, REPORTING_SD, ModelData
from gapbayes.model.links import observed_scores
from gapbayes.model.spec import Spec

# Spec prior -> how the Stan data name it: normal priors pass mu_<name> and sigma_<name>,
# half-normal priors only sigma_<name>.
NORMAL_PRIORS = (
    "frontier_log_growth", "gap_mean", "public_offset", "china_offset", "shortfall_log_scale",
    "difficulty", "ceiling_logit", "noise_log_sd", "linear_log_slope", "linear_intercept",
    "linear_noise_log_sd", "self_report_offset", "selection_intercept",
    "selection_capability", "selection_open",
)
HALF_NORMAL_PRIORS = (
    "frontier_growth_rw", "gap_rw", "category_sd", "benchmark_gap_sd", "shortfall_family_sd",
    "log_slope_sd", "provider_penalty",
)
# Parameters declared as arrays of size 0 or 1 in Stan that are scalars in PyMC.
OPTIONAL_SCALARS = (
    "gap_rw_sd", "china_offset", "provider_penalty", "self_report_offset", "log_slope_sd",
    "selection_capability", "selection_open",
)
# Stan generated quantity -> DataTree variable, per group.
LOG_LIKELIHOOD = {"y_sig": "log_lik_y_sig", "y_lin": "log_lik_y_lin",
                  "evaluated": "log_lik_evaluated"}
POSTERIOR_PREDICTIVE = {"y_sig": "y_sig_rep", "y_lin": "y_lin_rep",
                        "evaluated": "evaluated_rep"}


def model_coords(data: ModelData, spec: Spec) -> dict[str, list]:
    """All named dimensions of the model, exactly as ``build_pymc_model`` defines them."""
    coords = data.coords()
    if spec.switches["selection"]:
        coords["cell"] = list(range(len(data.cell_model)))
    return coords


def variable_dims(spec: Spec) -> dict[str, list[str]]:
    """Dimension names of every non-scalar variable, as in the PyMC model."""
    dims = {
        "frontier_growth_z": ["growth_step"], "frontier": ["grid"], "gap": ["month"],
        "category_z": ["category"], "benchmark_gap_z": ["benchmark"],
        "gap_offset": ["benchmark"], "shortfall_family_z": ["family"],
        "shortfall_z": ["model"], "shortfall": ["model"],
        **{v: ["sig_benchmark"] for v in ("difficulty_z", "difficulty", "log_slope_z", "slope",
                                          "ceiling_z", "ceiling", "noise_z", "noise_sd")},
        **{v: ["lin_benchmark"] for v in (
            "linear_slope_z", "linear_slope", "linear_intercept_z", "linear_intercept",
            "linear_noise_z", "linear_noise_sd")},
        "y_sig": ["sig_obs"], "y_lin": ["lin_obs"],
    }
    if spec.switches["time_varying_gap"]:
        dims["gap_z"] = ["gap_step"]
    if spec.switches["selection"]:
        dims["selection_intercept"] = ["benchmark"]
        dims["evaluated"] = ["cell"]
    return dims


def parameter_names(data: ModelData, spec: Spec) -> list[str]:
    """Names of the sampled parameters in the order of the PyMC model's free RVs."""
    sw = spec.switches
    names = ["frontier_log_growth", "frontier_growth_rw_sd", "frontier_growth_z", "gap_mean"]
    if sw["time_varying_gap"]:
        names += ["gap_rw_sd", "gap_z"]
    names += ["public_offset", "category_sd", "category_z", "benchmark_gap_sd",
              "benchmark_gap_z"]
    if sw["country"]:
        names.append("china_offset")
    names += ["shortfall_log_scale", "shortfall_family_sd", "shortfall_family_z", "shortfall_z"]
    if sw["provider_degradation"]:
        names.append("provider_penalty")
    if sw["self_report"]:
        names.append("self_report_offset")
    if len(data.sig_benchmarks):
        names += ["difficulty_z", "log_slope_sd", "log_slope_z", "ceiling_z", "noise_z"]
    if len(data.lin_benchmarks):
        names += ["linear_slope_z", "linear_intercept_z", "linear_noise_z"]
    if sw["selection"]:
        names += ["selection_intercept", "selection_capability", "selection_open"]
    return names


def stan_point(point: dict[str, Any]) -> dict[str, Any]:
    """PyMC parameter values (constrained, by name) -> Stan inits (plain lists and floats).

    Optional scalars become arrays of size 1, as the Stan program declares them.
    """
    out: dict[str, Any] = {}
    for name, value in point.items():
        arr = np.asarray(value, dtype=float)
        if name in OPTIONAL_SCALARS:
            arr = arr.reshape(1)
        out[name] = arr.tolist() if arr.ndim else float(arr)
    return out


def observed_data(data: ModelData, spec: Spec) -> dict[str, np.ndarray]:
    """Observed variables under their PyMC names (only those the PyMC model defines)."""
    obs = observed_scores(data)
    if spec.switches["selection"]:
        obs["evaluated"] = np.asarray(data.cell_observed, int)
    return obs


def stan_data(data: ModelData, spec: Spec) -> dict[str, Any]:
    """Build the data dictionary of ``models/gapbayes.stan``.

    ``data`` and ``spec`` are those of :func:`gapbayes.model.pymc_model.build_pymc_model`:
    the program is that model's Stan twin.

    Returns
    -------
    dict
        Every variable of the Stan ``data`` block (integers, floats and NumPy arrays; index
        arrays 1-based).

    Raises
    ------
    ValueError
        When the data cannot be handed to Stan (a non-finite score or standard error).
    """
    # first, so that non-finite scores are refused before anything else is built
    shared = links.score_and_prior_data(data, spec, NORMAL_PRIORS, HALF_NORMAL_PRIORS)
    sw = spec.switches
    om, ob = data.obs_model, data.obs_bench
    open_obs = np.flatnonzero(data.model_open[om] == 1)
    n_cells = len(data.cell_model) if sw["selection"] else 0
    out: dict[str, Any] = {
        "M": len(data.model_ids), "B": len(data.bench_ids), "N_fam": len(data.family_names),
        "N_cat": len(data.category_names), "N": len(data.y), "G": len(data.grid_time),
        "K_g": len(data.growth_knots), "K_d": len(data.gap_knots),
        "R": len(data.report_dates), "C": n_cells,
        "use_time_varying_gap": int(sw["time_varying_gap"]),
        "use_provider": int(sw["provider_degradation"]),
        "use_self_report": int(sw["self_report"]),
        "use_selection": int(sw["selection"]),
        "use_country": int(sw["country"]),
        "grid_step": GRID_STEP_YEARS,
        "grid0": float(data.grid_time[0]),
        "grid_origin": int(data.grid_origin) + 1,
        "reporting_sd": REPORTING_SD,
        "model_chinese": data.model_chinese.astype(float),
        "model_family": data.model_family + 1,
        "model_open": data.model_open.astype(float),
        "bench_public": data.bench_public.astype(float),
        "bench_category": data.bench_category + 1,
        "obs_model": om + 1,
        "obs_bench": ob + 1,
        "obs_time": data.model_time[om].astype(float),
        "N_open": len(open_obs),
        "open_obs": open_obs + 1,
        "closed_obs": np.flatnonzero(data.model_open[om] == 0) + 1,
        "obs_host": data.obs_host.astype(float),
        "obs_self": data.obs_self.astype(float),
        "growth_interp": data.growth_interp,
        "growth_rw": data.growth_rw,
        "gap_rw": data.gap_rw,
        "gap_interp_model": data.gap_interp_model,
        "gap_interp_report": data.gap_interp_report,
        "cell_model": data.cell_model[:n_cells] + 1,
        "cell_bench": data.cell_bench[:n_cells] + 1,
        "evaluated": np.asarray(data.cell_observed[:n_cells], int),
        **shared,
    }
    return out
