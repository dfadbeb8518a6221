"""Prior against posterior: is a number a finding of the data or of the priors.

Three checks, all written to the result folder and the manifest:

- ``prior_check``: for every scalar hyperparameter, the quantile of its posterior median under
  its prior (from prior draws of the same PyMC model). A median outside the prior's 1-99% band
  means the data reject the prior: the model, not the prior, needs changing.
- ``ceiling_check``: for every sigmoid benchmark, the quantile of its ceiling's posterior median
  under its label-error prior (exact: the ceiling is monotone in its standard-normal
  coordinate). A ceiling outside 1-99% is the link standing in for something it cannot draw
  (a plateau below the ceiling, a missing capability dimension), not a label-error finding.
- ``gap_change``: the change of each group's backward gap over the last 6 and 12 months of the
  window, with posterior and prior sd and P(widening). A posterior sd close to the prior sd
  means the data say little about the trend.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

PRIOR_DRAWS = 1000
BAND = (0.01, 0.99)


def prior_draws(model, var_names: list[str], draws: int = PRIOR_DRAWS, seed: int = 0
                ) -> xr.Dataset:
    """Draws of ``var_names`` from the model's prior, with (chain, draw) dims.

    Observed variables among ``var_names`` come from the prior predictive and are merged in.
    """
    import pymc as pm

    present = [v for v in var_names if v in model.named_vars]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dt = pm.sample_prior_predictive(draws=draws, model=model, var_names=present,
                                        random_seed=seed,
                                        # graph rewrites cost more than they save here
                                        # (bundled data: 12 s -> 4 s, same draws)
                                        compile_kwargs={"mode": "FAST_COMPILE"})
    prior = dt["prior"].to_dataset()
    if "prior_predictive" in dt.children:
        prior = xr.merge([prior, dt["prior_predictive"].to_dataset()])
    return prior


def prior_quantiles(posterior: xr.Dataset, prior: xr.Dataset, names: tuple[str, ...]
                    ) -> pd.DataFrame:
    """Quantile of each hyperparameter's posterior median under its prior draws."""
    rows = []
    for name in names:
        if name not in posterior or name not in prior:
            continue
        med = float(posterior[name].median())
        q = float(np.mean(prior[name].values.ravel() < med))
        rows.append({"parameter": name, "posterior_median": med, "prior_quantile": q,
                     "inside_1_99": bool(BAND[0] <= q <= BAND[1])})
    return pd.DataFrame(rows, columns=["parameter", "posterior_median", "prior_quantile",
                                       "inside_1_99"])


def ceiling_quantiles(posterior: xr.Dataset, data) -> pd.DataFrame:
    """Quantile of each sigmoid benchmark's ceiling median under its label-error prior.

    The ceiling is ``1 - sigmoid(mu + sigma z)`` with ``z ~ Normal(0, 1)``, decreasing in
    ``z``, so the prior probability of a ceiling below the posterior median is
    ``1 - Phi(median z)``.

    Parameters
    ----------
    posterior : xarray.Dataset
        Posterior draws holding ``ceiling_z`` and ``ceiling`` (dim ``sig_benchmark``).
    data : FrontierData
        The fit's design (``ceiling_source`` says where each prior comes from).

    Returns
    -------
    pandas.DataFrame
        One row per sigmoid benchmark: ``benchmark``, ``ceiling_median``, ``prior_source``,
        ``prior_quantile`` and ``inside_1_99``; empty when the fit has no ceiling.
    """
    from scipy.special import ndtr

    cols = ["benchmark", "ceiling_median", "prior_source", "prior_quantile", "inside_1_99"]
    if "ceiling_z" not in posterior:
        return pd.DataFrame(columns=cols)
    z = posterior["ceiling_z"].median(("chain", "draw"))
    ceiling = posterior["ceiling"].median(("chain", "draw"))
    pos = {b: k for k, b in enumerate(data.bench_ids)}
    rows = []
    for bench in z["sig_benchmark"].values:
        q = float(1.0 - ndtr(float(z.sel(sig_benchmark=bench))))
        rows.append({"benchmark": str(bench),
                     "ceiling_median": float(ceiling.sel(sig_benchmark=bench)),
                     "prior_source": data.ceiling_source[pos[str(bench)]],
                     "prior_quantile": q, "inside_1_99": bool(BAND[0] <= q <= BAND[1])})
    return pd.DataFrame(rows, columns=cols)


def gap_change_table(post_change: xr.DataArray, prior_change: xr.DataArray) -> pd.DataFrame:
    """Posterior summary of the gap's change next to its prior sd, per group and span."""
    rows = []
    for group in post_change["group"].values:
        for span in post_change["span"].values:
            x = post_change.sel(group=group, span=span).values.ravel()
            x = x[np.isfinite(x)]
            p = prior_change.sel(group=group, span=span).values.ravel() if (
                group in prior_change["group"].values) else np.array([np.nan])
            p = p[np.isfinite(p)]
            q = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95]) if len(x) else [np.nan] * 5
            rows.append({
                "group": group, "span": span, "median": q[2], "eti50_lo": q[1],
                "eti50_hi": q[3], "eti90_lo": q[0], "eti90_hi": q[4],
                "posterior_sd": float(np.std(x)) if len(x) else np.nan,
                "prior_sd": float(np.std(p)) if len(p) else np.nan,
                "p_widening": float(np.mean(x > 0)) if len(x) else np.nan,
            })
    return pd.DataFrame(rows)
