"""Exact K-fold cross-validation of a fit: the fallback when PSIS-LOO's Pareto k is high.

The folds, the refits and the held-out densities are those of ``gapbayes study heldout``
(:mod:`gapbayes.studies.heldout`): the folds partition the (model, benchmark) score cells,
stratified by benchmark; each fold is refitted with PyMC on the other K-1 folds, with linear
benchmarks (METR) standardised on the training rows only; a held-out score's log predictive
density is that of the S-draw Normal mixture. Every spec of a comparison is cross-validated on
the same folds (they depend only on the data and the seed), which keeps the paired
differences' standard errors small.

Scale. ``heldout`` reports the density of a linear score on its native (log-minutes) scale;
the fit's stored log-likelihood, and so PSIS-LOO, is on the full data's standardised scale
y = (x - c) / s, whose density is s times larger. :func:`full_scale_jacobian` adds log s, so
K-fold and PSIS-LOO elpds are on one scale (sigmoid benchmarks: proportions, nothing to add).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from arviz_stats.utils import ELPDDataLOOKFold
from scipy.special import logsumexp

from gapbayes.errors import GapbayesError, RunFailure
from gapbayes.inference.backends import SamplerSettings
from gapbayes.model.design import ModelData
from gapbayes.model.spec import Spec

KFOLD_K = 5
OBS_DIM = "obs"


def full_scale_jacobian(data: ModelData, rows: np.ndarray) -> np.ndarray:
    """(len(rows),) log s_b of each linear-benchmark row (0 for sigmoid benchmarks).

    Added to a native-scale log density it gives the density of the full data's standardised
    score, the scale of the stored log-likelihood.
    """
    b = data.obs_bench[np.asarray(rows, dtype=int)]
    return np.where(data.bench_linear[b] == 1, np.log(data.lin_scale[b]), 0.0)


def kfold_result(fold_results: Sequence[dict], data: ModelData, ll: xr.DataArray,
                 k: int) -> ELPDDataLOOKFold:
    """Assemble arviz's K-fold result from the held-out fits' pointwise densities.

    Parameters
    ----------
    fold_results
        :func:`gapbayes.studies.heldout.run_heldout_task` results (``row``: observation
        numbers, ``lpd``: native-scale log predictive densities), together covering every
        score once.
    data
        The full design.
    ll
        (chain, draw, obs) log-likelihood of the full-data fit, for p_kfold.
    k
        Number of folds.

    Returns
    -------
    arviz_stats.utils.ELPDDataLOOKFold
        elpd = sum of the pointwise values, se = sqrt(n var), pointwise values on ``obs``.
    """
    rows = np.concatenate([np.asarray(r["row"], dtype=int) for r in fold_results])
    lpd = np.concatenate([np.asarray(r["lpd"], dtype=float) for r in fold_results])
    order = np.argsort(rows)
    rows, lpd = rows[order], lpd[order]
    if not np.array_equal(rows, np.sort(ll[OBS_DIM].values)):
        raise RunFailure("K-fold: the folds do not cover every score exactly once")
    elpd_i = lpd + full_scale_jacobian(data, rows)
    n_samples = int(ll.sizes["chain"] * ll.sizes["draw"])
    flat = ll.sel({OBS_DIM: rows}).stack(s=("chain", "draw")).transpose(OBS_DIM, "s").values
    lpd_full = logsumexp(flat, axis=1) - np.log(n_samples)
    coords = {OBS_DIM: rows}
    return ELPDDataLOOKFold(
        elpd=float(elpd_i.sum()), se=float(np.sqrt(len(elpd_i) * np.var(elpd_i))),
        p=float((lpd_full - elpd_i).sum()), n_samples=n_samples, n_data_points=len(elpd_i),
        scale="log", warning=False, good_k=None, n_folds=k,
        elpd_i=xr.DataArray(elpd_i, dims=[OBS_DIM], coords=coords),
        p_kfold_i=xr.DataArray(lpd_full - elpd_i, dims=[OBS_DIM], coords=coords))


def kfold_elpd(
    data: ModelData,
    spec: Spec,
    settings: SamplerSettings,
    ll: xr.DataArray,
    work_dir: Path,
    k: int = KFOLD_K,
    seed: int = 0,
    log: Callable[[str], Any] = print,
    client: Any = None,
) -> tuple[ELPDDataLOOKFold, list[str]]:
    """Exact K-fold elpd of one fit: K refits, resumable (one JSON per finished fold).

    Parameters
    ----------
    data
        The fit's design (``design.npz``).
    spec
        The fit's spec; the ``selection`` spec is refused (its evaluated-pair cells would
        reveal the held-out pairs).
    settings
        Sampler settings of the refits (those of the fit; the seed moves by the fold number).
    ll
        (chain, draw, obs) score log-likelihood of the full-data fit.
    work_dir
        Folder of the finished folds; a re-run reuses them.
    k, seed
        Number of folds and seed of the fold assignment.
    log
        Progress messages.
    client
        A Dask ``distributed.Client`` to run the refits on (default: one at a time here).

    Returns
    -------
    result, warnings
        arviz's K-fold result, and a line when the refits have divergences or R-hat > 1.05.

    Raises
    ------
    GapbayesError
        A spec the refits do not support, or a fold whose refit failed.
    """
    from gapbayes.studies.common import run_tasks
    from gapbayes.studies.heldout import heldout_tasks, run_heldout_task

    try:
        tasks = heldout_tasks(data, spec, replace(settings, progressbar=False), k=k, seed=seed,
                              methods=("gapbayes",), protocols=("kfold",))
    except ValueError as exc:
        raise GapbayesError(f"K-fold of spec '{spec.name}': {exc}") from exc
    log(f"K-fold: spec '{spec.name}': {k} refits on (model, benchmark) cells, work folder "
        f"{work_dir}")
    results, failed = run_tasks(run_heldout_task, tasks, [t.key for t in tasks], work_dir,
                                log=log, client=client)
    if failed:
        raise RunFailure(f"K-fold of spec '{spec.name}': refits {', '.join(failed)} failed "
                            f"(see the log above); re-running retries them ({work_dir})")
    div = [r["divergences"] for r in results]
    rhat = max(r["rhat_max"] for r in results)
    warn = [f"{spec.name}: the K-fold refits have {sum(div)} divergences (per fold: {div}) and "
            f"max R-hat {rhat:.3f}"] if sum(div) or rhat > 1.05 else []
    return kfold_result(results, data, ll, k), warn
