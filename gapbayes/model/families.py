"""Model families: what a backend, a fit and a report need to know about a model.

A spec names its family (``model = "frontier"`` or ``"timeshift-v1"``); everything that differs
between families is reached through the :class:`Family` record returned by :func:`family`, so
backends, fit orchestration and reporting stay family-agnostic. Imports are lazy: this module
sits below the backends and above the family modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gapbayes.paths import stan_dir

STAN_DIR = stan_dir()


@dataclass(frozen=True)
class StanSide:
    """The Stan twin of a family and how its names map onto the PyMC model's."""

    stan_file: Path
    stan_data: Callable[[Any, Any], dict]          # (data, spec) -> CmdStan data
    coords: Callable[[Any, Any], dict]             # (data, spec) -> named dimensions
    dims: Callable[[Any, Any], dict]               # (data, spec) -> variable -> dims
    parameter_names: Callable[[Any, Any], list[str]]
    observed_data: Callable[[Any, Any], dict]
    stan_point: Callable[[dict], dict]             # PyMC constrained point -> Stan inits
    optional_scalars: tuple[str, ...]
    log_likelihood: dict[str, str]                 # observed name -> Stan generated quantity
    posterior_predictive: dict[str, str]


@dataclass(frozen=True)
class Family:
    """Everything family-specific: design, PyMC model, start points, derived gaps, Stan."""

    name: str
    build_data: Callable[..., Any]                 # (models, benchmarks, scores, spec)
    build_pymc: Callable[[Any, Any], Any]          # (data, spec) -> pm.Model
    observed: tuple[str, ...]
    gap_quantities: Callable[[Any, Any], Any]      # (posterior Dataset, data) -> Dataset
    threshold_gaps: Callable[[Any, Any], Any]      # (posterior Dataset, data) -> DataFrame
    main_parameters: tuple[str, ...]
    hyperparameters: tuple[str, ...]               # checked against their priors
    data_class: type
    start_point_fn: Callable[..., Any] | None      # (model, data, transformed) -> seed -> point
    stan: Callable[[], StanSide]
    # (data) -> lines warning about the design before sampling (none for timeshift-v1)
    design_notes: Callable[[Any], list[str]] = lambda data: []


def _frontier() -> Family:
    from gapbayes.model import frontier_gaps, frontier_init, frontier_thresholds
    from gapbayes.model.design_notes import design_notes
    from gapbayes.model.frontier_design import FrontierData, build_frontier_data
    from gapbayes.model.frontier_pymc import OBSERVED, build_frontier_model

    def stan() -> StanSide:
        from gapbayes.model import frontier_stan as fs

        return StanSide(STAN_DIR / "frontier.stan", fs.stan_data, fs.model_coords,
                        fs.variable_dims, fs.parameter_names, fs.observed_data, fs.stan_point,
                        fs.OPTIONAL_SCALARS, fs.LOG_LIKELIHOOD, fs.POSTERIOR_PREDICTIVE)

    return Family(
        name="frontier", build_data=build_frontier_data, build_pymc=build_frontier_model,
        observed=OBSERVED, gap_quantities=frontier_gaps.gap_quantities,
        threshold_gaps=frontier_thresholds.threshold_gaps,
        main_parameters=FRONTIER_HYPERPARAMETERS, hyperparameters=FRONTIER_HYPERPARAMETERS,
        data_class=FrontierData, start_point_fn=frontier_init.start_point_fn, stan=stan,
        design_notes=design_notes)


def _timeshift_v1() -> Family:
    from gapbayes.model import derived
    from gapbayes.model.design import ModelData, build_model_data
    from gapbayes.model.pymc_model import OBSERVED, build_pymc_model

    def stan() -> StanSide:
        from gapbayes.model import stan_data as sd

        return StanSide(STAN_DIR / "timeshift_v1.stan", sd.stan_data, sd.model_coords,
                        lambda data, spec: sd.variable_dims(spec), sd.parameter_names,
                        sd.observed_data, sd.stan_point, sd.OPTIONAL_SCALARS, sd.LOG_LIKELIHOOD,
                        sd.POSTERIOR_PREDICTIVE)

    return Family(
        name="timeshift-v1", build_data=build_model_data, build_pymc=build_pymc_model,
        observed=OBSERVED, gap_quantities=derived.gap_quantities,
        threshold_gaps=derived.threshold_gaps, main_parameters=V1_MAIN_PARAMETERS,
        hyperparameters=(), data_class=ModelData, start_point_fn=None, stan=stan)


# Scalar hyperparameters of the frontier model: reported in parameters.csv and checked against
# their priors (the manifest's prior_check).
FRONTIER_HYPERPARAMETERS = (
    "growth_rw_sd", "closed_level", "open_level", "category_trend_sd", "frontier_noise_sd",
    "shortfall_log_scale", "shortfall_family_sd", "category_dev_sd", "effort_category_sd",
    "public_shift", "category_shift_sd", "benchmark_shift_sd", "provider_penalty",
    "self_report_offset", "log_slope_sd", "china_offset", "china_trend_sd", "lab_trend_sd",
    "host_sd", "contamination", "selection_capability", "selection_family_sd",
)
V1_MAIN_PARAMETERS = (
    "gap_mean", "gap_rw_sd", "public_offset", "category_sd", "benchmark_gap_sd",
    "china_offset", "frontier_log_growth", "frontier_growth_rw_sd", "shortfall_log_scale",
    "shortfall_family_sd", "log_slope_sd", "provider_penalty", "self_report_offset",
    "selection_capability", "selection_open",
)
_FAMILIES = {"frontier": _frontier, "timeshift-v1": _timeshift_v1}


def family(name_or_spec: Any) -> Family:
    """Return the family of a spec (or of a family name)."""
    name = getattr(name_or_spec, "model", name_or_spec)
    try:
        return _FAMILIES[name]()
    except KeyError:
        raise ValueError(f"unknown model family '{name}'; known: {', '.join(_FAMILIES)}") from None
