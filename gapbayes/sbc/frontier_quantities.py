"""What SBC ranks for the frontier model: every quantity a user reads, and the log-likelihood.

The reported quantities are computed from each draw by the same function the fit's tables
use (:func:`gapbayes.model.frontier_gaps.gap_quantities`), so SBC tests exactly what is
reported, not a proxy:

- the backward gap of every reported group (overall, private, public, each category) at the
  first, middle and last report month;
- the forward gap of the overall group at the first and middle month (inside the window,
  so not a forecast: at the last month the forward gap needs the open frontier's future);
- the change of the overall gap over the last 6 months;
- every benchmark's backward gap at the last month;
- every reported lab's lag behind the closed frontier at the last month, and the lags of the
  best Chinese and best other open model so far and their difference
  (:mod:`gapbayes.model.lab_lags`); with the ``lab_curves`` term, each lab's typical-model
  curve lag at the last month (:mod:`gapbayes.model.lab_curves`);
- the bias terms in months (provider penalty, self-report offset, public minus private);
- the scalar hyperparameters of the model (frontier, shortfall, shift, link scales);
- the joint log-likelihood of the simulated data.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import xarray as xr

from gapbayes.model.country import COUNTRY_ROWS
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.lab_lags import COUNTRY_LAG_ROWS, country_members, reported_labs
from gapbayes.model.spec import Spec
from gapbayes.sbc.loglik import JointLogLik

LOGLIK = "loglik"
POSITIONS = ("early", "middle", "last")
# what gap_quantities reads from a draw
CURVE_VARIABLES = ("frontier", "category_trend_knots", "category_trend_grid", "open_shift",
                   "provider_penalty", "self_report_offset", "contamination",
                   "china_offset_knots", "ability")


class FrontierQuantities:
    """The frontier model's monitored quantities and its compiled joint log-likelihood.

    Parameters
    ----------
    data
        The synthetic design (:class:`FrontierData`).
    spec
        The fitted spec (family ``frontier``).
    """

    def __init__(self, data: FrontierData, spec: Spec) -> None:
        from gapbayes.model.families import FRONTIER_HYPERPARAMETERS
        from gapbayes.model.frontier_gaps import group_masks
        from gapbayes.model.frontier_pymc import build_frontier_model

        model = build_frontier_model(data, spec)
        self._dims = {k: list(v) for k, v in model.named_vars_to_dims.items()}
        self._coords = {k: list(v) for k, v in model.coords.items()}
        self._data = data
        r = len(data.report_dates)
        self.months = {"early": 0, "middle": r // 2, "last": r - 1}
        self.groups = list(group_masks(data))
        self.hyper = [n for n in FRONTIER_HYPERPARAMETERS
                      if n in model.named_vars and model[n] in model.free_RVs]
        self.bias = [n for n, on in (
            ("bias_provider_penalty_months", "provider_penalty" in model.named_vars
             and bool((data.obs_host == 1).any())),
            ("bias_self_report_offset_months", "self_report_offset" in model.named_vars
             and bool((data.obs_self == 1).any())),
            ("bias_contamination_months", "contamination" in model.named_vars),
            ("bias_public_vs_private_months", {"public", "private"} <= set(self.groups)),
        ) if on]
        self.change = r > 6
        self.countries = list(COUNTRY_ROWS) if "china_offset_knots" in model.named_vars else []
        members = country_members(data) if reported_labs(data) else None
        self.country_lags = list(COUNTRY_LAG_ROWS) if members is not None and all(
            data.base_time[m].min() <= data.report_time[-1] for m in members) else []
        # a lab with no model by the last month has no lag there (NaN): nothing to rank
        self.labs = [b for b in reported_labs(data) if data.base_time[
            data.base_family == data.family_names.index(b)].min() <= data.report_time[-1]]
        # lab curves (switch lab_curves): the typical-model curve's lag, same labs
        self.curve_labs = self.labs if "lab_shortfall_walk" in model.named_vars else []
        self.names = ([f"gap_{p}[{g}]" for g in self.groups for p in POSITIONS]
                      + [f"gap_forward_{p}[overall]" for p in ("early", "middle")]
                      + (["gap_change_6m[overall]"] if self.change else [])
                      + [f"gap_last[{b}]" for b in data.bench_ids]
                      + [f"gap_country_last[{c}]" for c in self.countries]
                      + [f"lab_lag_last[{b}]" for b in self.labs]
                      + [f"lab_curve_lag_last[{b}]" for b in self.curve_labs]
                      + [f"country_lag_last[{c}]" for c in self.country_lags]
                      + self.bias + self.hyper + [LOGLIK])
        self._loglik = JointLogLik(partial(build_frontier_model, data, spec))

    def describe(self) -> dict[str, str]:
        """One line per quantity (the report's legend)."""
        d = self._data
        when = {p: d.report_dates[i] for p, i in self.months.items()}
        out = {}
        for g in self.groups:
            for p in POSITIONS:
                out[f"gap_{p}[{g}]"] = f"backward gap of {g} in months at {when[p]}"
        for p in ("early", "middle"):
            out[f"gap_forward_{p}[overall]"] = f"forward gap (overall) in months at {when[p]}"
        if self.change:
            out["gap_change_6m[overall]"] = "change of the overall gap over the last 6 months"
        for b, name in zip(d.bench_ids, d.bench_names, strict=True):
            out[f"gap_last[{b}]"] = f"backward gap on {name} in months at {when['last']}"
        for c in self.countries:
            out[f"gap_country_last[{c}]"] = (f"backward gap of the {c} models in months at "
                                            f"{when['last']}")
        for b in self.labs:
            out[f"lab_lag_last[{b}]"] = (f"lag of {b}'s best model behind the closed frontier "
                                         f"in months at {when['last']}")
        for b in self.curve_labs:
            out[f"lab_curve_lag_last[{b}]"] = (f"lag of {b}'s typical-model curve behind the "
                                               f"closed frontier in months at {when['last']}")
        for c in self.country_lags:
            out[f"country_lag_last[{c}]"] = (f"lag of the best {c} model so far in months at "
                                             f"{when['last']}" if "minus" not in c else
                                             f"lag difference, {c}, in months at {when['last']}")
        out.update({k: k.replace("_", " ") for k in self.bias})
        out.update({k: k for k in self.hyper})
        out[LOGLIK] = "joint log-likelihood of the simulated data"
        return out

    def _as_posterior(self, theta: dict[str, np.ndarray]) -> xr.Dataset:
        """Draws (leading sample axis) as a one-chain posterior Dataset with model dims."""
        out = {}
        for name in CURVE_VARIABLES:
            if name not in theta:
                continue
            x = np.asarray(theta[name], dtype=float)
            dims = self._dims.get(name, [f"{name}_dim_{i}" for i in range(x.ndim - 1)])
            coords = {k: self._coords[k] for k in dims if k in self._coords}
            out[name] = xr.DataArray(x[None], dims=["chain", "draw", *dims],
                                     coords=coords)
        n = len(next(iter(out.values()))["draw"])
        return xr.Dataset(out).assign_coords(chain=[0], draw=np.arange(n))

    def values(self, theta: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Return the monitored quantities per draw (``loglik`` excluded)."""
        from gapbayes.model.frontier_gaps import gap_quantities

        q = gap_quantities(self._as_posterior(theta), self._data)
        back, fwd = q["gap_backward"], q["gap_forward"]
        out: dict[str, np.ndarray] = {}
        for g in self.groups:
            for p, i in self.months.items():
                out[f"gap_{p}[{g}]"] = _draws(back.sel(group=g).isel(month=i))
        for p in ("early", "middle"):
            out[f"gap_forward_{p}[overall]"] = _draws(
                fwd.sel(group="overall").isel(month=self.months[p]))
        if self.change:
            out["gap_change_6m[overall]"] = _draws(
                q["gap_change"].sel(group="overall").isel(span=0))
        last = q["gap_benchmark"].isel(date=-1).sel(direction="backward")
        for b in self._data.bench_ids:
            out[f"gap_last[{b}]"] = _draws(last.sel(benchmark=b))
        for c in self.countries:
            out[f"gap_country_last[{c}]"] = _draws(
                q["gap_country"].sel(country=c).isel(month=-1))
        for b in self.labs:
            out[f"lab_lag_last[{b}]"] = _draws(q["lab_lag"].sel(lab=b).isel(month=-1))
        for b in self.curve_labs:
            out[f"lab_curve_lag_last[{b}]"] = _draws(
                q["lab_curve_lag"].sel(lab=b).isel(month=-1))
        for c in self.country_lags:
            out[f"country_lag_last[{c}]"] = _draws(
                q["country_lag"].sel(country=c).isel(month=-1))
        for k in self.bias:
            out[k] = _draws(q[k])
        for k in self.hyper:
            out[k] = np.asarray(theta[k], dtype=float).reshape(-1)
        return out

    def loglik(self, y: dict[str, np.ndarray], theta: dict[str, np.ndarray]) -> np.ndarray:
        """Joint log-likelihood of the simulated data at each draw."""
        return self._loglik(y, theta)


def _draws(da: xr.DataArray) -> np.ndarray:
    """(1, S) one-chain values -> (S,)."""
    return np.asarray(da.values, dtype=float).reshape(-1)
