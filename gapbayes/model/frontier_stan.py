"""FrontierData + Spec -> the data of models/frontier.stan, and the names the PyMC twin uses.

The Stan program is compiled once for every spec and design: switches, sizes and the prior
hyperparameters are data here, and a parameter that a switch or the data remove has size 0
(:mod:`gapbayes.model.frontier_pymc` decides which exist; :func:`parameter_names` repeats its
rules). Indices become 1-based. Interpolation weights and trend maps come from
:class:`gapbayes.model.frontier_design.FrontierData` and :func:`frontier_pymc.trend_map`, so
both backends see identical numbers.

PyMC's ``ZeroSumNormal`` variables (``difficulty``, ``log_slope``, ``benchmark_shift``,
``effort_category_z`` and ``selection_benchmark``, zero sum along their last axis) are
sampled in Stan as their free coordinates ``<name>_zerosum`` in PyMC's own basis
(:func:`pymc_zero_sum_basis`), so those equal PyMC's value variables ``<name>_zerosum__``;
Stan exposes the variables themselves as transformed parameters. The free coordinates are
the only Stan variables without a PyMC twin of the same name (:data:`STAN_ONLY`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gapbayes.model import links
from gapbayes.model.category_rates import RATE_RATIO_BOUND, uses_rate_trends
from gapbayes.model.composed_error import shortfall_shape
from gapbayes.model.country import (
    base_country_weights,
    country_walk,
    frame_country_weights,
    uses_country,
)
from gapbayes.model.design import REPORTING_SD, interp_matrix
from gapbayes.model.frontier_design import (
    FrontierData,
    has_deviation,
    own_shift_benchmarks,
    single_category,
)
from gapbayes.model.frontier_grid import GRID_STEP_YEARS
from gapbayes.model.frontier_likelihood import shaped_benchmarks
from gapbayes.model.frontier_pymc import (
    GROWTH_CENTRING,
    trend_map,
    uses_contamination,
    uses_public_shift,
    uses_trends,
)
from gapbayes.model.host_effects import uses_host_effects
from gapbayes.model.lab_curves import (
    base_trend_weights,
    frame_trend_weights,
    lab_mask,
    uses_lab_curves,
)
from gapbayes.model.links import observed_scores
from gapbayes.model.selection import uses_selection
from gapbayes.model.spec import Spec

# Spec prior -> how the Stan data name it: normal (and log-normal) priors pass mu_<name> and
# sigma_<name>, half-normal priors (and the zero-sum difficulties, whose mean is 0) only
# sigma_<name>.
NORMAL_PRIORS = (
    "log_growth_start", "closed_level", "open_level", "shortfall_log_scale", "effort",
    "public_shift", "self_report_offset", "noise_log_sd", "linear_log_slope",
    "linear_intercept", "linear_noise_log_sd", "china_offset", "log_shape", "contamination",
    "selection_access", "selection_capability", "frontier_noise",
)
HALF_NORMAL_PRIORS = (
    "growth_rw", "category_trend", "shortfall_family_sd", "category_dev",
    "effort_category", "category_shift", "benchmark_shift", "provider_penalty", "log_slope_sd",
    "difficulty", "china_trend", "lab_trend", "host_effect", "selection_benchmark",
    "selection_family_sd", "selection_era",
)
# Optional parts that models/frontier.stan switches on with a 0/1 ``use_<part>`` datum.
STAN_SWITCHES = ("effort_category", "public_shift", "provider", "self_report", "country",
                 "shape", "lab_curves", "host_effects", "contamination", "selection",
                 "rate_trends", "gamma_shortfall", "category_dev")
# Parameters declared as arrays of size 0 or 1 in Stan that are scalars in PyMC.
OPTIONAL_SCALARS = (
    "category_trend_sd", "effort_category_sd", "public_shift", "category_shift_sd",
    "provider_penalty", "self_report_offset", "log_slope_sd", "china_offset", "china_trend_sd",
    "lab_trend_sd", "host_sd", "contamination", "selection_capability", "selection_family_sd",
    "category_dev_sd", "benchmark_shift_sd",
)
# Zero-sum variables: PyMC name -> Stan's free coordinates (a Stan-only parameter).
ZERO_SUM = {v: f"{v}_zerosum" for v in ("effort_category_z", "benchmark_shift_z",
                                       "difficulty", "log_slope", "selection_benchmark")}
STAN_ONLY = tuple(ZERO_SUM.values())
# Observed variable -> Stan generated quantity, per DataTree group.
LOG_LIKELIHOOD = {"y_sig": "log_lik_y_sig", "y_lin": "log_lik_y_lin"}
POSTERIOR_PREDICTIVE = {"y_sig": "y_sig_rep", "y_lin": "y_lin_rep"}


def pymc_zero_sum_basis(n: int) -> np.ndarray:
    """PyMC's ZeroSumTransform as a matrix Q (n, n - 1): ``x = Q z`` sums to zero.

    Q is orthonormal, so ``z = Q.T x`` recovers the free coordinates (PyMC's value variable)
    of a zero-sum ``x``. models/frontier.stan builds the same matrix.
    """
    Q = np.full((n, max(n - 1, 0)), -1.0 / (np.sqrt(n) + n))
    Q[np.arange(n - 1), np.arange(n - 1)] += 1.0
    if n > 1:
        Q[n - 1, :] = -1.0 / np.sqrt(n)
    return Q


def _dev_groups(data: FrontierData) -> tuple[np.ndarray, np.ndarray]:
    """Cells whose deviation term is centred (rich) and non-centred (poor)."""
    dev = has_deviation(data)
    return (np.flatnonzero(dev & (data.cell_rich == 1)),
            np.flatnonzero(dev & (data.cell_rich == 0)))


def _switches(data: FrontierData, spec: Spec) -> dict[str, bool]:
    """Which optional parts exist, by the rules of build_frontier_model."""
    sw = spec.switches
    C = len(data.category_names)
    return {
        "trends": uses_trends(data, spec),
        "rate_trends": uses_trends(data, spec) and uses_rate_trends(spec),
        "effort": data.n_effort > 1,
        "effort_category": data.n_effort > 1 and bool(sw["effort_by_category"]) and C > 1,
        "public_shift": uses_public_shift(data),
        "category_shift": C > 1,
        "benchmark_shift": len(own_shift_benchmarks(data)) > 1,
        "provider": bool(sw["provider_degradation"]) and bool(data.obs_host.any()),
        "self_report": bool(sw["self_report"]) and bool(data.obs_self.any()),
        "zero_sum": len(data.sig_benchmarks) > 1,
        "country": uses_country(data, spec),
        "shape": len(shaped_benchmarks(data, spec)) > 0,
        "lab_curves": uses_lab_curves(data, spec),
        "host_effects": uses_host_effects(data, spec),
        "contamination": uses_contamination(data, spec),
        "selection": uses_selection(data, spec),
        "gamma_shortfall": shortfall_shape(sw) == "gamma",
        "category_dev": data.deviations != "none",
    }


def model_coords(data: FrontierData, spec: Spec) -> dict[str, list]:
    """All named dimensions of the model, exactly as ``build_frontier_model`` defines them."""
    coords = data.coords()
    shaped = shaped_benchmarks(data, spec)
    if len(shaped):
        coords["shaped_benchmark"] = [data.bench_ids[data.sig_benchmarks[j]] for j in shaped]
    return coords


def variable_dims(data: FrontierData, spec: Spec) -> dict[str, list[str]]:
    """Dimension names of every non-scalar variable, as in the PyMC model.

    Observed variables included (``y_sig``, ``y_lin``); variables that do not exist for this
    data and spec are left out.
    """
    on = _switches(data, spec)
    lo, hi = data.window
    rich, poor = _dev_groups(data)
    dims: dict[str, list[str]] = {
        "log_growth": ["access", "window_knot"], "log_growth_partial": ["access", "window_knot"],
        "frontier": ["access", "grid"],
        "shortfall_family_z": ["family"], "ability": ["base"],
        "benchmark_shift": ["benchmark"], "open_shift": ["benchmark"],
    }
    if on["benchmark_shift"]:
        dims["benchmark_shift_z"] = ["shift_benchmark"]
    if lo > 0:
        dims["growth_back_z"] = ["access", "back_knot"]
    if hi < len(data.growth_knots) - 1:
        dims["growth_ahead_z"] = ["access", "ahead_knot"]
    if on["trends"]:
        dims["category_trend_z"] = ["trend_coord"]
        dims["category_trend"] = ["trend_coord"]
        if on["rate_trends"]:
            dims["category_rate_knots"] = ["trend_knot", "category"]
            dims["category_trend_grid"] = ["access", "category", "grid"]
        else:
            dims["category_trend_knots"] = ["trend_knot", "category"]
    if len(rich):
        dims["category_dev"] = ["rich_cell"]
    if len(poor):
        dims["category_dev_z"] = ["poor_cell"]
    if on["effort"]:
        dims["effort"] = ["effort_class"]
    if on["effort_category"]:
        dims["effort_category_z"] = ["effort_class", "category"]
    if on["category_shift"]:
        dims["category_shift_z"] = ["category_contrast"]
    if on["country"]:
        dims["china_trend_z"] = ["trend_step"]
        dims["china_offset_knots"] = ["trend_knot"]
    if on["host_effects"]:
        dims["host_z"] = ["host"]
        dims["host_penalty"] = ["host"]
    if on["lab_curves"]:
        dims["lab_trend_z"] = ["family", "trend_step"]
        dims["lab_shortfall_walk"] = ["family", "trend_knot"]
    if len(data.sig_benchmarks):
        sig = ["difficulty", "log_slope", "slope"] if on["zero_sum"] else []
        shape = ["shape"] if on["shape"] else []
        dims.update({v: ["sig_benchmark"] for v in (*sig, "ceiling_z", "ceiling", "noise_z",
                                                    "noise_sd", *shape)})
        if on["shape"]:
            dims["log_top_rate"] = ["shaped_benchmark"]
        dims["y_sig"] = ["sig_obs"]
    if len(data.lin_benchmarks):
        dims.update({v: ["lin_benchmark"] for v in (
            "linear_slope_z", "linear_slope", "linear_intercept_z", "linear_intercept",
            "linear_noise_z", "linear_noise_sd")})
        dims["y_lin"] = ["lin_obs"]
    if on["selection"]:
        dims["selection_access"] = ["access"]
        dims["selection_benchmark"] = ["benchmark"]
        dims["selection_family_z"] = ["selection_family"]
        dims["selection_era"] = ["benchmark", "era_term"]
        if len(data.frame_ids):
            dims["frame_ability"] = ["frame_model"]
        if single_category(data).any():
            dims["single_dev_z"] = ["single_base"]
    return dims


def parameter_names(data: FrontierData, spec: Spec) -> list[str]:
    """Names of the sampled parameters in the order of the PyMC model's free RVs."""
    on = _switches(data, spec)
    lo, hi = data.window
    rich, poor = _dev_groups(data)
    names = ["growth_rw_sd", "log_growth_partial"]
    names += ["growth_back_z"] if lo > 0 else []
    names += ["growth_ahead_z"] if hi < len(data.growth_knots) - 1 else []
    names += ["closed_level", "open_level"]
    names += ["category_trend_sd", "category_trend_z"] if on["trends"] else []
    names += ["category_dev_sd"] if on["category_dev"] else []
    names += ["china_offset", "china_trend_sd", "china_trend_z"] if on["country"] else []
    names += ["frontier_noise_sd", "shortfall_log_scale", "shortfall_family_sd",
              "shortfall_family_z"]
    names += ["lab_trend_sd", "lab_trend_z"] if on["lab_curves"] else []
    names += ["single_dev_z"] if on["selection"] and single_category(data).any() else []
    names += ["ability"]
    names += ["category_dev"] if len(rich) else []
    names += ["category_dev_z"] if len(poor) else []
    names += ["effort"] if on["effort"] else []
    names += ["effort_category_sd", "effort_category_z"] if on["effort_category"] else []
    names += ["public_shift"] if on["public_shift"] else []
    names += ["category_shift_sd", "category_shift_z"] if on["category_shift"] else []
    names += ["benchmark_shift_sd", "benchmark_shift_z"] if on["benchmark_shift"] else []
    names += ["provider_penalty"] if on["provider"] else []
    names += ["host_sd", "host_z"] if on["host_effects"] else []
    names += ["self_report_offset"] if on["self_report"] else []
    names += ["contamination"] if on["contamination"] else []
    if len(data.sig_benchmarks):
        names += ["difficulty", "log_slope_sd", "log_slope"] if on["zero_sum"] else []
        names += ["ceiling_z", "noise_z"]
        names += ["log_top_rate"] if on["shape"] else []
    if len(data.lin_benchmarks):
        names += ["linear_slope_z", "linear_intercept_z", "linear_noise_z"]
    if on["selection"]:
        names += ["frame_ability"] if len(data.frame_ids) else []
        names += ["selection_access", "selection_benchmark", "selection_family_sd",
                  "selection_family_z", "selection_era", "selection_capability"]
    return names


def stan_point(point: dict[str, Any]) -> dict[str, Any]:
    """PyMC parameter values (constrained, by RV name) -> Stan inits (plain lists and floats).

    Optional scalars become arrays of size 1, as the Stan program declares them; zero-sum
    variables become their free coordinates along the last axis (``difficulty`` ->
    ``difficulty_zerosum``...). Other names pass through unchanged.
    """
    out: dict[str, Any] = {}
    for name, value in point.items():
        arr = np.asarray(value, dtype=float)
        if name in ZERO_SUM:
            name, arr = ZERO_SUM[name], arr @ pymc_zero_sum_basis(arr.shape[-1])
        elif name in OPTIONAL_SCALARS:
            arr = arr.reshape(1)
        out[name] = arr.tolist() if arr.ndim else float(arr)
    return out


def from_stan_point(inits: dict[str, Any]) -> dict[str, np.ndarray]:
    """Stan inits -> PyMC constrained values by RV name: the inverse of :func:`stan_point`.

    Zero-sum free coordinates become the zero-sum variables (``difficulty_zerosum`` ->
    ``difficulty``...); size-1 optional scalars become scalars. Shapes are otherwise kept
    as given (a matrix of no rows arrives as an empty list: give such variables their shape).
    """
    to_pymc = {v: k for k, v in ZERO_SUM.items()}
    out: dict[str, np.ndarray] = {}
    for name, value in inits.items():
        arr = np.asarray(value, dtype=float)
        if name in to_pymc:
            name, arr = to_pymc[name], arr @ pymc_zero_sum_basis(arr.shape[-1] + 1).T
        elif name in OPTIONAL_SCALARS:
            arr = arr.reshape(())
        out[name] = arr
    return out


def observed_data(data: FrontierData, spec: Spec) -> dict[str, np.ndarray]:
    """Observed variables under their PyMC names (only those the PyMC model defines)."""
    return observed_scores(data)


def _trend_data(data: FrontierData, spec: Spec) -> dict[str, np.ndarray]:
    """Trend Cholesky, knot map and cell map; zero columns when the model has no trends."""
    K, C, L = len(data.trend_knots), len(data.category_names), len(data.cell_base)
    rates = _rate_trend_data(data, spec)
    if not uses_trends(data, spec):
        return {"trend_chol": np.zeros((0, 0)), "trend_map": np.zeros((K * C, 0)),
                "cell_trend": np.zeros((L, 0)), **rates}
    T = trend_map(data)                                              # (K*C, P)
    Wt = interp_matrix(data.base_time, data.trend_knots)[data.cell_base]   # (L, K)
    # trend of cell l = sum_j Wt[l, j] h[j, category(l)], h = (T eta) reshaped (K, C)
    rows = np.arange(K)[None, :] * C + data.cell_category[:, None]   # (L, K) rows of T
    cell = np.einsum("lj,ljp->lp", Wt, T[rows])
    return {"trend_chol": data.trend_chol, "trend_map": T, "cell_trend": cell, **rates}


def _rate_trend_data(data: FrontierData, spec: Spec) -> dict[str, Any]:
    """Monotone categories' grid map and cell positions (1-based); sizes 0 when not used."""
    on = uses_trends(data, spec) and uses_rate_trends(spec)
    L = len(data.cell_base) if on else 0
    b = data.cell_base[:L]
    out = {"trend_interp": data.trend_interp if on
           else np.zeros((0, len(data.trend_knots))),
           "rate_ratio_bound": RATE_RATIO_BOUND,
           "cell_group": data.base_open[b].astype(int) + 1,
           "cell_left": data.base_cell_left[b].astype(int) + 1,
           "cell_frac": data.base_cell_frac[b].astype(float),
           "cell_cat": data.cell_category[:L].astype(int) + 1}
    return out


def stan_data(data: FrontierData, spec: Spec) -> dict[str, Any]:
    """Build the data dictionary of ``models/frontier.stan``.

    The frontier counterpart of :func:`gapbayes.model.stan_data.stan_data`, with the same
    return value and the same ValueError, for ``data`` from
    :func:`gapbayes.model.frontier_design.build_frontier_data` and a frontier-family ``spec``.
    """
    # first, so that non-finite scores are refused before anything else is built
    shared = links.score_and_prior_data(data, spec, NORMAL_PRIORS, HALF_NORMAL_PRIORS)
    on = _switches(data, spec)
    sig_b = data.sig_benchmarks
    ob, ok = data.obs_bench, data.obs_base
    B, C, G = len(data.bench_ids), len(data.category_names), len(data.grid_time)
    lo, hi = data.window
    knots = data.growth_knots
    rich, poor = _dev_groups(data)
    L = len(data.cell_base)
    # each cell's rich (centred) and poor (non-centred) term, 1 with a 0 mask where none
    rich_idx, poor_idx = np.ones(L, int), np.ones(L, int)
    rich_idx[rich] = 1 + np.arange(len(rich))
    poor_idx[poor] = 1 + np.arange(len(poor))
    trends = _trend_data(data, spec)
    # to_vector(frontier) in Stan is column-major: closed and open alternate along the grid
    left = 2 * data.base_cell_left + data.base_open
    e = data.model_effort[data.obs_model]                           # 0 = provider default
    out: dict[str, Any] = {
        "K": len(data.base_ids), "B": B, "N_fam": len(data.family_names), "N_cat": C,
        "N": len(data.y), "L": L, "G": G, "W": hi - lo + 1,
        "n_back": lo, "n_ahead": len(knots) - 1 - hi, "K_t": len(data.trend_knots),
        "P": trends["trend_chol"].shape[0], "N_rich": len(rich), "N_poor": len(poor),
        "E": data.n_effort,
        # the program's 0/1 switches: use_<part> for every optional part it reads
        **{f"use_{part}": int(on[part]) for part in STAN_SWITCHES},
        "grid_step": GRID_STEP_YEARS,
        "sqrt_knot_step": float(np.sqrt(float(knots[1] - knots[0]))) if len(knots) > 1 else 1.0,
        "growth_centring": GROWTH_CENTRING,
        "grid_origin": [int(data.grid_origin) + 1, G + int(data.grid_origin) + 1],
        "reporting_sd": REPORTING_SD,
        "growth_interp": data.growth_interp,
        **trends,
        "base_family": data.base_family + 1,
        "base_single": single_category(data),
        "base_left": left + 1,
        "base_right": left + 3,
        "base_frac": data.base_cell_frac.astype(float),
        "base_country": base_country_weights(data),
        "country_walk": country_walk(data).reshape(len(data.trend_knots),
                                                   len(data.trend_knots) - 1),
        "base_trend": base_trend_weights(data),
        "lab_mask": lab_mask(data),
        "cell_base": data.cell_base + 1,
        "rich_idx": rich_idx,
        "rich_mask": np.isin(np.arange(L), rich).astype(float),
        "poor_idx": poor_idx,
        "poor_mask": np.isin(np.arange(L), poor).astype(float),
        "bench_public_centred": data.bench_public - data.bench_public.mean(),
        "bench_category": data.bench_category + 1,
        "shift_category_basis": data.shift_category_basis.reshape(C, max(C - 1, 0)),
        "B_own": len(own_shift_benchmarks(data)),
        "own_bench": own_shift_benchmarks(data) + 1,
        "obs_cell": data.obs_cell + 1,
        "obs_bench": ob + 1,
        # row-major (effort class - 1, category) of the non-default classes
        "obs_effort_idx": np.where(e > 0, (e - 1) * C + data.bench_category[ob] + 1, 1),
        "obs_effort_mask": (e > 0).astype(float),
        "obs_open": data.base_open[ok].astype(float),
        "obs_host": data.obs_host.astype(float),
        "H": len(data.host_names),
        "obs_host_idx": (data.obs_host_id + 1 if len(data.obs_host_id) == len(data.y)
                         else np.ones(len(data.y), int)),
        "obs_self": data.obs_self.astype(float),
        "obs_exposure": data.obs_exposure.astype(float),
        "ceiling_mu": data.ceiling_mu[sig_b].astype(float),
        "N_shaped": len(shaped_benchmarks(data, spec)),
        "shaped_idx": shaped_benchmarks(data, spec) + 1,
        "ceiling_sigma": data.ceiling_sigma[sig_b].astype(float),
        **_selection_data(data, on["selection"]),
        **shared,
    }
    if on["rate_trends"]:
        # the walk's scale has its own prior under rates (frontier_pymc.category_trends)
        out["sigma_category_trend"] = float(spec.prior("category_rate")["sigma"])
    return out


def _selection_data(data: FrontierData, on: bool) -> dict[str, Any]:
    """Return the selection frame's arrays (1-based, stacked-grid indices); sizes 0 when off."""
    K_frame = len(data.frame_ids) if on else 0
    single = np.flatnonzero(single_category(data)).astype(int)
    frame_left = 2 * data.frame_cell_left[:K_frame] + data.frame_open[:K_frame]
    units = len(data.base_ids) + K_frame if on else 0
    closed_left = 2 * np.concatenate([data.base_cell_left, data.frame_cell_left])[:units]
    n = len(data.cand_unit) if on else 0
    group = np.concatenate([data.base_open, data.frame_open]).astype(int)
    return {
        "K_frame": K_frame, "frame_left": frame_left + 1, "frame_right": frame_left + 3,
        "frame_frac": data.frame_cell_frac[:K_frame].astype(float),
        "unit_closed_left": closed_left + 1, "unit_closed_right": closed_left + 3,
        "unit_frac": np.concatenate([data.base_cell_frac, data.frame_cell_frac])[:units]
        .astype(float),
        "N_cand": n, "cand_unit": data.cand_unit[:n] + 1, "cand_bench": data.cand_bench[:n] + 1,
        "cand_group": group[data.cand_unit[:n]] + 1,
        "cand_evaluated": data.cand_evaluated[:n].astype(int),
        "cand_era": data.cand_era[:n].astype(float),
        "frame_family": data.frame_family[:K_frame].astype(int) + 1,
        "N_single": len(single) if on else 0,
        "single_bases": single[:len(single) if on else 0] + 1,
        "frame_country": frame_country_weights(data)[:K_frame],
        "frame_trend": frame_trend_weights(data)[:K_frame],
        "N_sel_family": len(data.sel_family_names) if on else 0,
        "unit_family": data.unit_family[:units].astype(int) + 1,
    }
