"""LOMO / LFO comparison of specs whose designs differ: shared folds, common scores.

Specs may select different benchmarks or models (``default`` fits every usable benchmark
from 2022 on, ``timeshift-v1`` the 16 published ones from 2023 on), so their designs number
the scores differently. To compare them on the question "how well does each predict models it
has not seen?":

- folds are made from the tidy models table, not from a design: a base model (``base_model``
  of models.csv; effort and host variants stay together) is in the same LOMO fold, or on the
  same side of the LFO cut-off, in every spec's refits;
- each spec predicts its own held-out scores; the comparison uses the scores every spec
  predicted (matched by model, benchmark and occurrence), so the elpd differences are paired;
- densities of linear scores (METR) are put on their native transformed scale (log-minutes),
  since each design standardises them with its own mean and sd.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats.utils import ELPDDataLOOKFold

from gapbayes.comparison.crossval import (
    LFO_SHARE,
    LOMO_FOLDS,
    OBS_DIM,
    PROTOCOLS,
    Fold,
    crossval_elpd,
)
from gapbayes.errors import GapbayesError
from gapbayes.inference.backend_base import SamplerSettings
from gapbayes.inference.design_io import load_design


def score_keys(data: Any) -> np.ndarray:
    """(N,) ``model|benchmark|k`` for every score (k: its rank among the pair's repeats)."""
    ids = np.array(data.model_ids, dtype=object)[data.obs_model]
    bench = np.array(data.bench_ids, dtype=object)[data.obs_bench]
    native = data.y * data.lin_scale[data.obs_bench] + data.lin_center[data.obs_bench]
    frame = pd.DataFrame({"m": ids, "b": bench, "y": native})
    k = frame.sort_values("y", kind="stable").groupby(["m", "b"]).cumcount()
    return (frame["m"] + "|" + frame["b"] + "|" + k.sort_index().astype(str)).to_numpy()


def base_models(models: pd.DataFrame) -> tuple[dict[str, str], dict[str, pd.Timestamp]]:
    """Map model id -> base model id, and base model id -> first release (earliest variant)."""
    base = models["base_model"].fillna(models["model_id"]) if "base_model" in models \
        else models["model_id"]
    frame = pd.DataFrame({"model": models["model_id"], "base": base,
                          "release": pd.to_datetime(models["release_date"])})
    first = frame.groupby("base")["release"].min()
    return dict(zip(frame["model"], frame["base"], strict=True)), first.to_dict()


def shared_folds(designs: list[Any], models: pd.DataFrame, protocol: str, k: int = LOMO_FOLDS,
                 seed: int = 0, cutoff: str | None = None) -> tuple[list[list[Fold]], str]:
    """Make the folds of every design from base models, so that they agree across designs.

    Returns
    -------
    folds, description
        One list of folds per design, and a line describing them (for the notes).
    """
    base_of, release = base_models(models)
    row_base = []
    for d in designs:
        ids = np.array(d.model_ids, dtype=object)[d.obs_model]
        missing = sorted({m for m in ids if m not in base_of})
        if missing:
            raise GapbayesError(f"--cv {protocol}: models {', '.join(missing[:3])} of a fit are "
                                "not in the data's models table (fit on other data?)")
        row_base.append(np.array([base_of[m] for m in ids], dtype=object))
    bases = sorted(set().union(*(set(b) for b in row_base)))
    out: list[list[Fold]] = []
    if protocol == "lomo":
        if not 2 <= k <= len(bases):
            raise GapbayesError(f"--cv-folds {k}: LOMO needs 2 to {len(bases)} folds")
        order = np.random.default_rng([seed, 1729]).permutation(len(bases))
        fold_of = {bases[j]: i % k for i, j in enumerate(order)}
        for rb in row_base:
            which = np.array([fold_of[b] for b in rb])
            rows = np.arange(len(rb))
            out.append([Fold("lomo", f, rows[which != f], rows[which == f]) for f in range(k)
                        if (which == f).any()])
        return out, (f"LOMO: {k} folds of the {len(bases)} base models (variants together), "
                     f"seed {seed}, the same folds for every spec")
    if protocol == "lfo":
        dates = np.sort(np.array([release[b] for b in bases], dtype="datetime64[ns]"))
        cut = pd.Timestamp(cutoff) if cutoff else pd.Timestamp(
            dates[int(np.floor((1 - LFO_SHARE) * len(dates)))])
        for rb in row_base:
            late = np.array([release[b] >= cut for b in rb])
            if late.all() or not late.any():
                raise GapbayesError(f"--cv-cutoff {cut.date()}: leaves no model of a fit on "
                                    "one side")
            rows = np.arange(len(rb))
            out.append([Fold("lfo", 0, rows[~late], rows[late])])
        return out, (f"LFO: fit on base models released before {cut.date()}, predict every "
                     "score of the models released on or after it")
    raise GapbayesError(f"unknown --cv '{protocol}': use loo, {', '.join(PROTOCOLS)}")


def _restricted(result: ELPDDataLOOKFold, keep: np.ndarray, n_folds: int) -> ELPDDataLOOKFold:
    """Restrict ``result`` to the positions ``keep`` of its pointwise arrays (renumbered)."""
    e = np.asarray(result.elpd_i.values)[keep]
    p = np.asarray(result.p_kfold_i.values)[keep]
    coords = {OBS_DIM: np.arange(len(e))}
    return ELPDDataLOOKFold(
        elpd=float(e.sum()), se=float(np.sqrt(len(e) * np.var(e))), p=float(p.sum()),
        n_samples=result.n_samples, n_data_points=len(e), scale="log", warning=False,
        good_k=None, n_folds=n_folds, elpd_i=xr.DataArray(e, dims=[OBS_DIM], coords=coords),
        p_kfold_i=xr.DataArray(p, dims=[OBS_DIM], coords=coords))


def refit_settings(manifest: dict[str, Any]) -> SamplerSettings:
    """Return the sampler settings of a fit's manifest, for its refits (no progress bar).

    The manifest's ``sampler`` entry also records what a run learned (``pilot_rank``, the
    pilot's eigenvalues and dense block): those are results, not settings, so they are left
    out; every refit learns its own.
    """
    known = {f.name for f in fields(SamplerSettings)}
    settings = {k: v for k, v in manifest["sampler"].items() if k in known}
    return SamplerSettings(**{**settings, "progressbar": False})


def cv_compare(fits: list[Any], lls: dict[str, xr.DataArray], models: pd.DataFrame,
               protocol: str, root: Path, k: int = LOMO_FOLDS, seed: int = 0,
               cutoff: str | None = None, workers: int = 1, log: Callable[[str], Any] = print,
               client: Any = None
               ) -> tuple[dict[str, ELPDDataLOOKFold], list[str], list[str], np.ndarray]:
    """Cross-validate every fit with shared folds; compare on the commonly predicted scores.

    Parameters
    ----------
    fits
        The comparison's fits (``label``, ``name``, ``path``, ``manifest``, ``spec()``).
    lls
        Their (chain, draw, obs) score log-likelihoods, by label.
    models
        The tidy models table of the data the fits were made on.
    protocol, k, seed, cutoff
        ``lomo`` (k folds, seed) or ``lfo`` (cut-off date, default: the last 20% of base
        models).
    root
        Folder of the finished refits (resumable).
    workers, log
        Parallel refits; progress messages.
    client
        A Dask ``distributed.Client`` to run the refits on (overrides ``workers``).

    Returns
    -------
    elpds, warnings, notes, keys
        Per label the result on the common scores (same order), and the scores' keys.
    """
    designs = [load_design(f.path / "design.npz") for f in fits]
    folds, described = shared_folds(designs, models, protocol, k, seed, cutoff)
    results, warn, keys = {}, [], {}
    for fit, data, fs in zip(fits, designs, folds, strict=True):
        res, w = crossval_elpd(data, fit.spec(), refit_settings(fit.manifest), lls[fit.label],
                               fs, root / f"{fit.name}-{protocol}", workers, log, client)
        warn += w
        rows = np.asarray(res.elpd_i[OBS_DIM].values, dtype=int)
        # native transformed scale for linear scores: each design standardises its own way
        b = data.obs_bench[rows]
        shift = np.where(data.bench_linear[b] == 1, np.log(data.lin_scale[b]), 0.0)
        res.elpd_i = res.elpd_i - shift
        results[fit.label], keys[fit.label] = res, score_keys(data)[rows]
    common = sorted(set.intersection(*(set(v) for v in keys.values())))
    if not common:
        raise GapbayesError(f"--cv {protocol}: the fits predicted no score in common")
    n_folds = max(len(fs) for fs in folds)
    elpds = {}
    for label, res in results.items():
        pos = {key: i for i, key in enumerate(keys[label])}
        elpds[label] = _restricted(res, np.array([pos[c] for c in common]), n_folds)
    sizes = {label: len(v) for label, v in keys.items()}
    notes = [described, f"compared on the {len(common)} held-out scores every spec predicted "
             f"(per spec: {', '.join(f'{k} {n}' for k, n in sizes.items())}); linear scores on "
             "their native transformed scale"]
    return elpds, warn, notes, np.array(common, dtype=object)
