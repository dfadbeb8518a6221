"""Held-out predictive checks, the pure parts: splitting the scores and scoring predictions.

Used by :mod:`gapbayes.studies.heldout` (which fits and summarises). Splits keep every score of
a (model, benchmark) cell on one side; predictions are Normal per posterior draw, scored as
the S-draw mixture (log predictive density, PIT, central-interval coverage).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr
from scipy.special import logsumexp
from scipy.stats import norm

from gapbayes.model.design import GRID_STEP_YEARS, REPORTING_SD, ModelData
from gapbayes.model.links import link_share
from gapbayes.model.spec import Spec

METHODS = ("gapbayes", "irt")
#: Observation-level fields of ModelData (everything else is design, shared by all rows).
ROW_FIELDS = ("obs_model", "obs_bench", "y", "se", "obs_binomial", "obs_self", "obs_host")


# ---- splitting ----------------------------------------------------------------------------


def cell_folds(data: ModelData, k: int = 5, seed: int = 0) -> np.ndarray:
    """Fold (0..k-1) of every observation; folds partition the (model, benchmark) cells.

    Stratified by benchmark: each benchmark's cells are shuffled and dealt round-robin from a
    random starting fold, so every fold holds ~1/k of every benchmark and the remainders do
    not pile up in fold 0.

    Parameters
    ----------
    data
        The full design.
    k
        Number of folds (>= 2).
    seed
        Seed of the shuffles.

    Returns
    -------
    numpy.ndarray
        (N,) fold index per observation; all rows of one cell share it.
    """
    if k < 2:
        raise ValueError("K-fold needs k >= 2")
    rng = np.random.default_rng(seed)
    fold = np.full(len(data.y), -1)
    for b in range(len(data.bench_ids)):
        rows = np.flatnonzero(data.obs_bench == b)
        models = np.unique(data.obs_model[rows])
        order = rng.permutation(len(models))
        start = rng.integers(k)
        of_model = dict(zip(models[order].tolist(), ((start + np.arange(len(models))) % k)
                            .tolist(), strict=True))
        fold[rows] = [of_model[m] for m in data.obs_model[rows].tolist()]
    return fold


def subset_rows(data: ModelData, rows: np.ndarray) -> ModelData:
    """Keep only the observations ``rows`` of ``data`` (design arrays and indices unchanged)."""
    rows = np.asarray(rows, int)
    return replace(data, **{f: getattr(data, f)[rows] for f in ROW_FIELDS})


def rescale_linear(data: ModelData, rows: np.ndarray) -> ModelData:
    """Re-standardise linear-link benchmarks with the mean and sd of ``rows`` only.

    Every observation is mapped back to its transformed scale (y * scale + center) and
    standardised again with the training rows' statistics, so held-out scores do not enter
    the training data through the standardisation (:func:`build_model_data` uses all rows).
    """
    y, se = data.y.copy(), data.se.copy()
    center, scale = data.lin_center.copy(), data.lin_scale.copy()
    train = np.zeros(len(y), bool)
    train[np.asarray(rows, int)] = True
    for b in np.flatnonzero(data.bench_linear == 1):
        all_b = data.obs_bench == b
        native = y[all_b] * data.lin_scale[b] + data.lin_center[b]
        native_se = se[all_b] * data.lin_scale[b]
        tr = native[train[all_b]]
        center[b] = tr.mean() if tr.size else 0.0
        scale[b] = tr.std() if tr.size > 1 and tr.std() > 0 else 1.0
        y[all_b] = (native - center[b]) / scale[b]
        se[all_b] = native_se / scale[b]
    return replace(data, y=y, se=se, lin_center=center, lin_scale=scale)


def split(data: ModelData, train_rows: np.ndarray, test_rows: np.ndarray
          ) -> tuple[ModelData, ModelData]:
    """Training and held-out ModelData on the training rows' linear standardisation."""
    scaled = rescale_linear(data, train_rows)
    return subset_rows(scaled, train_rows), subset_rows(scaled, test_rows)


# ---- prediction ---------------------------------------------------------------------------


def _draws(post: xr.Dataset, name: str) -> np.ndarray:
    """(chain, draw, ...) -> (S, ...)."""
    return post[name].stack(sample=("chain", "draw")).transpose("sample", ...).values


def _frontier_at(F: np.ndarray, rate: np.ndarray, grid0: float, s: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`gapbayes.model.pymc_model.frontier_at`, per draw: (S, G), (S, n)."""
    pos = (s - grid0) / GRID_STEP_YEARS
    i = np.clip(np.floor(pos), 0, F.shape[1] - 2).astype(int)
    h = (pos - i) * GRID_STEP_YEARS
    r0 = np.take_along_axis(rate, i, 1)
    r1 = np.take_along_axis(rate, i + 1, 1)
    return np.take_along_axis(F, i, 1) + r0 * h + (r1 - r0) * h**2 / (2.0 * GRID_STEP_YEARS)


def _gapbayes_capability(post: xr.Dataset, target: ModelData, spec: Spec) -> np.ndarray:
    """(S, n) capability of each target row under the gap model (pymc_model.py's theta)."""
    sw = spec.switches
    g_knots = (_draws(post, "frontier_log_growth")[:, None]
               + _draws(post, "frontier_growth_rw_sd")[:, None]
               * _draws(post, "frontier_growth_z") @ target.growth_rw.T)
    rate = np.exp(g_knots @ target.growth_interp.T)
    F = _draws(post, "frontier")
    d0 = _draws(post, "gap_mean")[:, None]
    if sw["time_varying_gap"]:
        d_knots = d0 + _draws(post, "gap_rw_sd")[:, None] * _draws(post, "gap_z") @ target.gap_rw.T
    else:
        d_knots = d0 * np.ones((1, len(target.gap_knots)))
    lag = d_knots @ target.gap_interp_model.T                       # (S, M)
    if sw["country"]:
        lag = lag + _draws(post, "china_offset")[:, None] * target.model_chinese[None, :]
    offset = _draws(post, "gap_offset")                             # (S, B)
    om, ob = target.obs_model, target.obs_bench
    lag_years = target.model_open[om] * (lag[:, om] + offset[:, ob]) / 12.0
    theta = _frontier_at(F, rate, target.grid_time[0], target.model_time[om] - lag_years)
    theta = theta - _draws(post, "shortfall")[:, om]
    if sw["provider_degradation"]:
        theta = theta - _draws(post, "provider_penalty")[:, None] * target.obs_host
    if sw["self_report"]:
        theta = theta + _draws(post, "self_report_offset")[:, None] * target.obs_self
    return theta


def predictive_moments(
    post: xr.Dataset, target: ModelData, spec: Spec, method: str = "gapbayes"
) -> tuple[np.ndarray, np.ndarray]:
    """Compute the Normal predictive mean and sd of each target row for every posterior draw.

    Same formulas as the likelihood of :mod:`gapbayes.model.pymc_model` (``method =
    "gapbayes"``) or :mod:`gapbayes.studies.irt` (``"irt"``): the capability differs, the link
    and the noise are shared.

    Parameters
    ----------
    post
        Posterior with (chain, draw) dims, fitted on a ModelData with the same design.
    target
        The rows to predict (e.g. :func:`split`'s held-out part).
    spec
        The fitted spec (switches decide which terms exist).
    method
        ``gapbayes`` or ``irt``.

    Returns
    -------
    (mu, sd)
        Arrays (S, n) on the model scale (proportion; standardised units for linear links).
    """
    if method == "gapbayes":
        theta = _gapbayes_capability(post, target, spec)
    elif method == "irt":
        theta = _draws(post, "irt_theta")[:, target.obs_model]
    else:
        raise ValueError(f"unknown method '{method}': use one of {', '.join(METHODS)}")
    ob = target.obs_bench
    S, n = theta.shape
    mu, sd = np.empty((S, n)), np.empty((S, n))
    sig_i, lin_i = target.sig_idx, target.lin_idx
    if len(sig_i):
        pos = np.full(len(target.bench_ids), -1)
        pos[target.sig_benchmarks] = np.arange(len(target.sig_benchmarks))
        k = pos[ob[sig_i]]
        chance = target.bench_chance[ob[sig_i]]
        ceil, slope, diff, tau = (_draws(post, v)[:, k] for v in
                                  ("ceiling", "slope", "difficulty", "noise_sd"))
        shape = _draws(post, "shape")[:, k] if "shape" in post else None
        p = chance + (ceil - chance) * link_share(slope * (theta[:, sig_i] - diff), shape)
        pq = p * (1.0 - p)
        n_items = np.maximum(target.bench_n_items[ob[sig_i]], 1)
        var = (target.se[sig_i] ** 2 + target.obs_binomial[sig_i] * pq / n_items
               + 4.0 * pq * tau**2 + REPORTING_SD**2)
        mu[:, sig_i], sd[:, sig_i] = p, np.sqrt(var)
    if len(lin_i):
        lin_b = np.flatnonzero(target.bench_linear == 1)
        pos = np.full(len(target.bench_ids), -1)
        pos[lin_b] = np.arange(len(lin_b))
        k = pos[ob[lin_i]]
        icpt, lslope, ltau = (_draws(post, v)[:, k] for v in
                              ("linear_intercept", "linear_slope", "linear_noise_sd"))
        mu[:, lin_i] = icpt + lslope * theta[:, lin_i]
        sd[:, lin_i] = np.sqrt(target.se[lin_i] ** 2 + ltau**2)
    return mu, sd


def score_rows(y: np.ndarray, mu: np.ndarray, sd: np.ndarray,
               log_jacobian: np.ndarray | float = 0.0) -> dict[str, np.ndarray]:
    """Per-row metrics of the S-draw Normal mixture predictive.

    Parameters
    ----------
    y
        (n,) observed values on the model scale.
    mu, sd
        (S, n) predictive moments per draw.
    log_jacobian
        (n,) added to the log density to express it on another scale (for standardised rows:
        -log(scale), giving the density on the transformed scale).

    Returns
    -------
    dict
        ``lpd`` log predictive density, ``pit`` mixture CDF at y, ``pred_mean`` and
        ``pred_sd`` of the mixture, all (n,).
    """
    S = mu.shape[0]
    lpd = logsumexp(norm.logpdf(y[None, :], mu, sd), axis=0) - np.log(S) + log_jacobian
    pit = norm.cdf((y[None, :] - mu) / sd).mean(axis=0)
    mean = mu.mean(axis=0)
    var = (sd**2 + mu**2).mean(axis=0) - mean**2
    return {"lpd": lpd, "pit": pit, "pred_mean": mean, "pred_sd": np.sqrt(np.maximum(var, 0))}


def covered(pit: np.ndarray, level: float) -> np.ndarray:
    """Return True where y lies in the central ``level`` predictive interval, given its PIT."""
    lo, hi = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    return (pit >= lo) & (pit <= hi)
