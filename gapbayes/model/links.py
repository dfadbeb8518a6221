"""Pieces both model families share: link index sets, the linear-link likelihood, crossing rows.

Both families (``timeshift-v1`` and ``frontier``) score benchmarks through a sigmoid link
(proportions) or a linear link (standardised non-proportion scores); their design classes
mix in :class:`LinkIndices`, their PyMC models add :func:`add_linear_likelihood`, their
Stan data builders name the observed scores with :func:`observed_scores` and take the link
sizes, scores and priors from :func:`score_and_prior_data` (:func:`sig_score_data`,
:func:`lin_score_data`, :func:`prior_data`), and their threshold tables build rows with
:func:`crossing_row`. This module imports nothing from gapbayes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr


class LinkIndices:
    """Index sets of a design with ``bench_linear`` (B,) and ``obs_bench`` (N,) arrays."""

    bench_linear: np.ndarray
    obs_bench: np.ndarray

    @property
    def sig_idx(self) -> np.ndarray:
        """Observation indices on sigmoid-link benchmarks."""
        return np.flatnonzero(self.bench_linear[self.obs_bench] == 0)

    @property
    def lin_idx(self) -> np.ndarray:
        """Observation indices on linear-link benchmarks."""
        return np.flatnonzero(self.bench_linear[self.obs_bench] == 1)

    @property
    def sig_benchmarks(self) -> np.ndarray:
        """Benchmark indices with a sigmoid link."""
        return np.flatnonzero(self.bench_linear == 0)

    @property
    def lin_benchmarks(self) -> np.ndarray:
        """Benchmark indices with a linear (standardised-score) link."""
        return np.flatnonzero(self.bench_linear == 1)


def observed_scores(data: Any) -> dict[str, np.ndarray]:
    """Scores under the PyMC names of their observed variables (``y_sig``, ``y_lin``)."""
    obs = {}
    if len(data.sig_idx):
        obs["y_sig"] = data.y[data.sig_idx]
    if len(data.lin_idx):
        obs["y_lin"] = data.y[data.lin_idx]
    return obs


def bench_position(selected: np.ndarray, n: int) -> np.ndarray:
    """Map benchmark index -> 1-based position among ``selected`` (0 elsewhere)."""
    pos = np.zeros(n, int)
    pos[selected] = np.arange(1, len(selected) + 1)
    return pos


def sig_score_data(data: Any) -> dict[str, np.ndarray]:
    """Stan data of the sigmoid-link scores (indices 1-based), the same in both Stan programs."""
    sig_i, ob = data.sig_idx, data.obs_bench
    n_items = np.maximum(data.bench_n_items[ob[sig_i]], 1)
    return {
        "sig_obs": sig_i + 1,
        "sig_bench": bench_position(data.sig_benchmarks, len(data.bench_ids))[ob[sig_i]],
        "y_sig": data.y[sig_i],
        "se_sig": data.se[sig_i],
        "chance_sig": data.bench_chance[ob[sig_i]].astype(float),
        # binomial variance p(1-p)/n only where the file gives no standard error
        "binomial_per_item_sig": data.obs_binomial[sig_i] / n_items,
    }


def lin_score_data(data: Any) -> dict[str, np.ndarray]:
    """Stan data of the linear-link scores (indices 1-based), the same in both Stan programs."""
    lin_i, ob = data.lin_idx, data.obs_bench
    return {
        "lin_obs": lin_i + 1,
        "lin_bench": bench_position(data.lin_benchmarks, len(data.bench_ids))[ob[lin_i]],
        "y_lin": data.y[lin_i],
        "se_lin": data.se[lin_i],
    }


def prior_data(spec: Any, normal: tuple[str, ...], half_normal: tuple[str, ...]
               ) -> dict[str, float]:
    """Prior hyperparameters as Stan data.

    Each prior in ``normal`` passes ``mu_<name>`` and ``sigma_<name>``, each in ``half_normal``
    only ``sigma_<name>``.
    """
    out = {}
    for name in normal:
        out[f"mu_{name}"] = float(spec.prior(name)["mu"])
        out[f"sigma_{name}"] = float(spec.prior(name)["sigma"])
    for name in half_normal:
        out[f"sigma_{name}"] = float(spec.prior(name)["sigma"])
    return out


def score_and_prior_data(data: Any, spec: Any, normal: tuple[str, ...],
                         half_normal: tuple[str, ...]) -> dict[str, Any]:
    """Return the Stan data both programs read alike: link sizes, scores of both links, priors.

    Parameters
    ----------
    data
        A design with :class:`LinkIndices`, scores ``y`` and standard errors ``se``.
    spec
        The spec whose priors ``normal`` and ``half_normal`` name (see :func:`prior_data`).
    normal, half_normal
        The program's normal and half-normal priors.

    Returns
    -------
    dict
        ``B_sig``, ``N_sig``, ``B_lin``, ``N_lin``, the entries of :func:`sig_score_data` and
        :func:`lin_score_data` and the prior hyperparameters.

    Raises
    ------
    ValueError
        A non-finite score or standard error (see :func:`require_finite`).
    """
    require_finite(data)
    return {
        "B_sig": len(data.sig_benchmarks), "N_sig": len(data.sig_idx),
        "B_lin": len(data.lin_benchmarks), "N_lin": len(data.lin_idx),
        **sig_score_data(data), **lin_score_data(data),
        **prior_data(spec, normal, half_normal),
    }


def add_linear_likelihood(data: Any, spec: Any, theta: pt.TensorVariable) -> None:
    """Linear links (non-centred slope, intercept, residual sd) and ``y_lin`` (model in context).

    A standardised score is intercept + slope * capability with Normal noise of variance
    se^2 + residual sd^2; nothing is added when the design has no linear benchmark.
    """
    lin_b, lin_i = data.lin_benchmarks, data.lin_idx
    if not len(lin_b):
        return
    pos = np.full(len(data.bench_ids), -1)
    pos[lin_b] = np.arange(len(lin_b))
    k = pos[data.obs_bench[lin_i]]
    lp, ip, npl = (spec.prior(n) for n in
                   ("linear_log_slope", "linear_intercept", "linear_noise_log_sd"))
    dims = "lin_benchmark"
    slope = pm.Deterministic("linear_slope", pt.exp(lp["mu"] + lp["sigma"] * pm.Normal(
        "linear_slope_z", 0.0, 1.0, dims=dims)), dims=dims)
    intercept = pm.Deterministic("linear_intercept", ip["mu"] + ip["sigma"] * pm.Normal(
        "linear_intercept_z", 0.0, 1.0, dims=dims), dims=dims)
    noise = pm.Deterministic("linear_noise_sd", pt.exp(npl["mu"] + npl["sigma"] * pm.Normal(
        "linear_noise_z", 0.0, 1.0, dims=dims)), dims=dims)
    mu = intercept[k] + slope[k] * theta[lin_i]
    sd = pt.sqrt(data.se[lin_i] ** 2 + noise[k] ** 2)
    y = pm.Data("y_lin_data", data.y[lin_i], dims="lin_obs")
    pm.Normal("y_lin", mu=mu, sigma=sd, observed=y, dims="lin_obs")


def link_share(x: np.ndarray, shape: np.ndarray | None = None) -> np.ndarray:
    """Share of the way from chance to ceiling at logit position ``x`` (NumPy).

    The logistic when ``shape`` is None; otherwise the asymmetric link of the frontier model,
    1 - exp(-shape softplus(x)) (shape 1 is the logistic again).
    """
    if shape is None:
        return 1.0 / (1.0 + np.exp(-x))
    return -np.expm1(-shape * np.logaddexp(0.0, x))


def link_inverse(share: np.ndarray, shape: np.ndarray | None = None) -> np.ndarray:
    """Logit position at which :func:`link_share` reaches ``share`` in (0, 1) (NumPy).

    NaN outside (0, 1). The asymmetric link's inverse: softplus(x) = -log(1 - share) / shape.
    """
    share = np.asarray(share, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if shape is None:
            x = np.log(share / (1.0 - share))
        else:
            x = np.log(np.expm1(-np.log1p(-share) / shape))
    return np.where((share > 0) & (share < 1), x, np.nan)


def date_string(origin: pd.Timestamp, t: float) -> str:
    """Format a time in years since ``origin`` as YYYY-MM-DD."""
    return f"{origin + pd.Timedelta(days=float(t) * 365.25):%Y-%m-%d}"


def crossing_row(data: Any, b: int, threshold: float, t_closed: np.ndarray,
                 t_open: np.ndarray, gap: np.ndarray, inside: np.ndarray) -> dict[str, Any]:
    """One row of a threshold-gap table: crossing dates and gap quantiles over the draws.

    ``t_closed``, ``t_open`` and ``gap`` hold one value per draw; ``inside`` marks the draws
    whose crossings both fall in the report window (the only ones summarised).
    """
    q = np.quantile(gap[inside], [0.05, 0.25, 0.5, 0.75, 0.95])
    return {
        "benchmark_id": data.bench_ids[b],
        "access_type": "public" if data.bench_public[b] else "private",
        "threshold": round(float(threshold), 2),
        "closed_crossing": date_string(data.origin, np.median(t_closed[inside])),
        "open_crossing": date_string(data.origin, np.median(t_open[inside])),
        "gap_median": q[2], "gap_q05": q[0], "gap_q25": q[1], "gap_q75": q[3],
        "gap_q95": q[4], "share_of_draws_in_window": float(inside.mean()),
    }


def require_finite(data: Any) -> None:
    """Raise ValueError when a score or standard error is not finite (Stan needs finite data)."""
    for name, values in (("score", data.y), ("standard error", data.se)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"non-finite {name} in the model data: Stan needs finite values")


def with_single_link(post: xr.Dataset) -> xr.Dataset:
    """Record the fixed link of a single sigmoid benchmark in a posterior.

    With one sigmoid benchmark its difficulty is 0 and its slope 1 (they fix the latent
    location and scale), so neither backend samples them; both backends add them as
    constants here, so that every summary can read a benchmark's link the same way.
    """
    if "ceiling" not in post or post.sizes.get("sig_benchmark") != 1 or "difficulty" in post:
        return post
    zero = xr.zeros_like(post["ceiling"])
    return post.assign(difficulty=zero, slope=zero + 1.0)
