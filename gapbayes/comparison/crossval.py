"""Leave-one-model-out and leave-future-out cross-validation with exact refits.

PSIS-LOO leaves out one score at a time, which mostly tests a model's per-model terms (its
shortfall, its category deviation), not the gap. The question a user asks of a spec is "does
it predict how the next model will score?", so:

- **LOMO** (leave-one-model-out, K folds of base models): the base models (weights; effort
  and host variants stay together) are dealt at random into K folds; each fold's scores are
  predicted by a fit to the other folds. A held-out model has no score in the fit, so its
  ability is drawn from the fitted population around its group's frontier at its release date:
  the prediction a spec makes for a model it has never seen.
- **LFO** (leave-future-out, Buerkner, Gabry & Vehtari 2020): fit on the base models released
  before a cut-off date, score every model released on or after it.

How training works without touching the design code: the design is built once from all
scores, so held-out models and benchmarks keep their indices; it is restricted to the training
rows with ``dataclasses.replace`` and the linear benchmarks (METR) are standardised on the
training rows only (no held-out score leaks in through the standardisation). The held-out
scores' log predictive density is the S-draw mixture log(1/S sum_s p(y_i | theta_s)), with
p(y_i | theta) the model's own likelihood, evaluated with the full design's PyMC model at the
training fit's draws (``pm.compute_log_likelihood``), so prediction and fit cannot drift
apart. Parameters that exist only where there are scores (the held-out models' category
deviations) are drawn from their priors first (:mod:`gapbayes.comparison.heldout_draws`).
Linear scores get log(s_full / s_train) so every elpd is on the scale of the fit's
stored log-likelihood (the scale PSIS-LOO uses).

Every spec of a comparison is cross-validated on the same folds (they depend only on the data
and the seed), which keeps the paired differences' standard errors small. Refits are
resumable (one JSON file per finished fold) and may run in parallel processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from arviz_stats.utils import ELPDDataLOOKFold
from scipy.special import logsumexp

from gapbayes.comparison.heldout_draws import align_draws
from gapbayes.errors import GapbayesError, RunFailure
from gapbayes.inference.backend_base import SamplerSettings
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.spec import Spec

PROTOCOLS = ("lomo", "lfo")
LOMO_FOLDS = 10
LFO_SHARE = 0.2            # default cut-off: the last 20% of base-model releases are predicted
OBS_DIM = "obs"
FRONTIER_ROW_FIELDS = ("obs_model", "obs_base", "obs_bench", "obs_cell", "y", "se",
                       "obs_binomial", "obs_self", "obs_host", "obs_host_id", "obs_exposure")


@dataclass(frozen=True)
class Fold:
    """One refit: which observation rows train it and which it predicts."""

    protocol: str
    index: int
    train: np.ndarray
    test: np.ndarray

    @property
    def key(self) -> str:
        """File-name-safe name of the fold."""
        return f"{self.protocol}-fold{self.index}"


def row_fields(data: Any) -> tuple[str, ...]:
    """Return the names of the per-observation arrays (what a row subset restricts)."""
    if isinstance(data, FrontierData):
        return FRONTIER_ROW_FIELDS
    from gapbayes.studies.heldout_predict import ROW_FIELDS

    return ROW_FIELDS


def training_design(data: Any, train: np.ndarray) -> tuple[Any, Any]:
    """(full design rescaled on the training rows, its restriction to the training rows)."""
    from gapbayes.studies.heldout_predict import rescale_linear

    scaled = rescale_linear(data, train)
    return scaled, replace(scaled, **{f: getattr(scaled, f)[train] for f in row_fields(data)})


@dataclass(frozen=True)
class FoldTask:
    """A fold of one spec, picklable for worker processes."""

    fold: Fold
    data: Any
    spec: Spec
    settings: SamplerSettings

    @property
    def key(self) -> str:
        """File-name-safe name (spec and fold)."""
        return f"{self.spec.name}-{self.fold.key}"


def check_heldout_densities(lpd: np.ndarray, rows: np.ndarray, data: Any, post: xr.Dataset,
                            key: str) -> None:
    """Raise RunFailure when a held-out log density is not finite, saying where it came from.

    Raised inside the fold, the fold is not stored, so a re-run retries it instead of reusing
    a broken result (one LOMO fold once returned -inf for every sigmoid score and did not
    reproduce; the message keeps what is needed to tell a data problem from a broken run).
    """
    bad = ~np.isfinite(lpd)
    if not bad.any():
        return
    linear = np.isin(np.asarray(rows)[bad], data.lin_idx)
    broken = sorted(str(v) for v, a in post.data_vars.items()
                    if np.issubdtype(a.dtype, np.number) and not np.isfinite(a.values).all())
    raise RunFailure(f"{key}: {int(bad.sum())} of {len(lpd)} held-out log densities are not "
                     f"finite ({int((~linear).sum())} sigmoid, {int(linear.sum())} linear "
                     f"scores); posterior variables with non-finite draws: "
                     f"{', '.join(broken) or 'none'}")


def run_fold(task: FoldTask) -> dict[str, Any]:
    """Refit on the training rows; return the held-out rows' log predictive densities."""
    import arviz as az
    import pymc as pm

    from gapbayes.inference.backends import get_backend
    from gapbayes.model.families import family

    start = time.perf_counter()
    fold, data = task.fold, task.data
    scaled, train = training_design(data, fold.train)
    dt = get_backend("pymc").sample(train, task.spec, task.settings)
    post = dt["posterior"].to_dataset()
    full = family(task.spec).build_pymc(scaled, task.spec)
    post = align_draws(post, full, task.key, seed=task.settings.seed + fold.index)
    ll = pm.compute_log_likelihood(xr.DataTree.from_dict({"posterior": post}), model=full,
                                   progressbar=False, extend_inferencedata=False)
    ll = ll["log_likelihood"] if "log_likelihood" in getattr(ll, "children", {}) else ll
    per_row = np.full(len(data.y), np.nan)
    for name, idx in (("y_sig", data.sig_idx), ("y_lin", data.lin_idx)):
        if len(idx) and name in ll:
            draws = np.asarray(ll[name].values).reshape(-1, len(idx))
            per_row[idx] = logsumexp(draws, axis=0) - np.log(draws.shape[0])
    lin = data.bench_linear[data.obs_bench] == 1
    b = data.obs_bench
    per_row = per_row + np.where(lin, np.log(data.lin_scale[b]) - np.log(scaled.lin_scale[b]),
                                 0.0)
    check_heldout_densities(per_row[fold.test], fold.test, data, post, task.key)
    rhat = az.rhat(dt["posterior"]).to_dataset()
    return {"key": task.key, "protocol": fold.protocol, "fold": fold.index,
            "row": fold.test.tolist(), "lpd": per_row[fold.test].tolist(),
            "divergences": int(np.asarray(dt["sample_stats"]["diverging"]).sum()),
            "rhat_max": float(max(float(np.nanmax(v.values)) for v in rhat.data_vars.values()
                                  if v.size)),
            "seconds": round(time.perf_counter() - start, 1)}


def crossval_elpd(data: Any, spec: Spec, settings: SamplerSettings, ll: xr.DataArray,
                  folds: list[Fold], work_dir: Path, workers: int = 1,
                  log: Callable[[str], Any] = print, client: Any = None
                  ) -> tuple[ELPDDataLOOKFold, list[str]]:
    """Exact LOMO or LFO elpd of one spec over ``folds`` (resumable).

    Parameters
    ----------
    data
        The fit's design.
    spec, settings
        The fit's spec and sampler settings (the refits use them, without progress bars).
    ll
        (chain, draw, obs) score log-likelihood of the full-data fit (for p_cv).
    folds
        From :func:`gapbayes.comparison.crossval_compare.shared_folds`: every spec of a
        comparison gets the same ones.
    work_dir
        Folder of the finished folds; a re-run reuses them.
    workers
        Parallel refits (processes).
    log
        Progress messages.
    client
        A Dask ``distributed.Client`` to run the refits on (overrides ``workers``).

    Returns
    -------
    result, warnings
        arviz's K-fold result over the predicted rows (elpd, se, pointwise values on
        ``obs``) and a line when the refits have divergences or R-hat > 1.01.
    """
    from gapbayes.studies.common import run_tasks

    if spec.switches.get("selection"):
        raise GapbayesError(f"cross-validation of spec '{spec.name}': the selection spec's "
                            "evaluated-pair cells would reveal the held-out models")
    tasks = [FoldTask(f, data, spec, replace(settings, progressbar=False)) for f in folds]
    log(f"{folds[0].protocol.upper()}: spec '{spec.name}': {len(folds)} refits, work folder "
        f"{work_dir}")
    results, failed = run_tasks(run_fold, tasks, [t.key for t in tasks], work_dir,
                                workers=workers, log=log, client=client)
    if failed:
        raise RunFailure(f"cross-validation of spec '{spec.name}': refits {', '.join(failed)} "
                         f"failed (see the log above); re-running retries them ({work_dir})")
    rows = np.concatenate([np.asarray(r["row"], dtype=int) for r in results])
    lpd = np.concatenate([np.asarray(r["lpd"], dtype=float) for r in results])
    order = np.argsort(rows)
    rows, lpd = rows[order], lpd[order]
    if len(np.unique(rows)) != len(rows) or not np.isfinite(lpd).all():
        raise RunFailure(f"cross-validation of spec '{spec.name}': the folds predict a score "
                         "twice or a held-out density is not finite")
    n_samples = int(ll.sizes["chain"] * ll.sizes["draw"])
    flat = ll.sel({OBS_DIM: rows}).stack(s=("chain", "draw")).transpose(OBS_DIM, "s").values
    lpd_full = logsumexp(flat, axis=1) - np.log(n_samples)
    coords = {OBS_DIM: rows}
    result = ELPDDataLOOKFold(
        elpd=float(lpd.sum()), se=float(np.sqrt(len(lpd) * np.var(lpd))),
        p=float((lpd_full - lpd).sum()), n_samples=n_samples, n_data_points=len(lpd),
        scale="log", warning=False, good_k=None, n_folds=len(folds),
        elpd_i=xr.DataArray(lpd, dims=[OBS_DIM], coords=coords),
        p_kfold_i=xr.DataArray(lpd_full - lpd, dims=[OBS_DIM], coords=coords))
    div = [r["divergences"] for r in results]
    rhat = max(r["rhat_max"] for r in results)
    warn = [f"{spec.name}: the {folds[0].protocol.upper()} refits have {sum(div)} divergences "
            f"(per fold: {div}) and max R-hat {rhat:.3f}"] if sum(div) or rhat > 1.01 else []
    return result, warn
