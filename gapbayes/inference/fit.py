"""Fit orchestration: tidy data + spec -> sampled, diagnosed, summarised result folder."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.atomic import staged_dir
from gapbayes.errors import GapbayesError
from gapbayes.inference import results
from gapbayes.inference.backends import SamplerSettings, get_backend
from gapbayes.inference.design_io import save_design
from gapbayes.inference.diagnostics import Diagnostics, run_diagnostics
from gapbayes.inference.fit_tables import summary_tables, window
from gapbayes.model.bias_support import bias_support, support_summary
from gapbayes.model.families import Family, family
from gapbayes.model.host_effects import uses_host_effects
from gapbayes.model.spec import Spec


@dataclass
class FitInput:
    """Tidy tables and their identity."""

    models: pd.DataFrame
    benchmarks: pd.DataFrame
    scores: pd.DataFrame
    data_hash: str
    label: str


# (staged folder, posterior DataTree, design, summary tables) -> None
Plotter = Callable[[Path, xr.DataTree, Any, dict[str, pd.DataFrame]], None]


@dataclass
class FitResult:
    """A finished (or reused) fit."""

    path: Path
    manifest: dict
    reused: bool
    diagnostics: Diagnostics | None = None
    data: object | None = None
    dt: xr.DataTree | None = None


def restrict(inp: FitInput, benchmarks: list[str] | None, max_models: int | None,
             seed: int) -> FitInput:
    """Subset to some benchmarks and/or a random subset of models (for quick runs)."""
    sc = inp.scores
    if benchmarks:
        unknown = sorted(set(benchmarks) - set(inp.benchmarks["benchmark_id"]))
        if unknown:
            raise ValueError(f"unknown benchmark(s) in --benchmarks: {', '.join(unknown)}")
        sc = sc[sc["benchmark_id"].isin(benchmarks)]
    models = inp.models
    if max_models is not None:
        ids = np.sort(sc["model_id"].unique())
        rng = np.random.default_rng(seed)
        keep = rng.choice(ids, size=min(max_models, len(ids)), replace=False)
        sc = sc[sc["model_id"].isin(keep)]
    return FitInput(models, inp.benchmarks, sc, inp.data_hash, inp.label)


def prior_tables(fam: Family, data, spec: Spec, post: xr.Dataset, seed: int
                 ) -> dict[str, pd.DataFrame]:
    """Prior checks of a fit: hyperparameter quantiles and the gap's change against its prior.

    Only families that declare hyperparameters have them (the frontier model).
    """
    if not fam.hyperparameters:
        return {}
    from gapbayes.model.prior_check import (
        ceiling_quantiles,
        gap_change_table,
        prior_draws,
        prior_quantiles,
    )
    from gapbayes.model.prior_predictive import prior_gap_table, prior_score_table

    model = fam.build_pymc(data, spec)
    needed = [*fam.hyperparameters, "frontier", "category_trend_knots",
              "category_trend_grid", "open_shift", "y_sig"]
    prior = prior_draws(model, needed, seed=seed)
    prior_gaps = fam.gap_quantities(prior, data)
    tables = {"prior_check": prior_quantiles(post, prior, fam.hyperparameters),
              "gap_change": gap_change_table(post["gap_change"], prior_gaps["gap_change"]),
              "prior_gap_over_time": prior_gap_table(prior_gaps)}
    ceilings = ceiling_quantiles(post, data)
    if len(ceilings):
        tables["ceiling_check"] = ceilings
    if "y_sig" in prior:
        scores = prior["y_sig"].values.reshape(-1, prior["y_sig"].shape[-1])
        tables["prior_predictive_scores"] = prior_score_table(scores, data)
    return tables


def _check_summary(tables: dict[str, pd.DataFrame]) -> dict:
    """Manifest entries of the prior checks (plain JSON)."""
    out = {}
    # a checked name and its prior quantile per row: hyperparameters, then benchmark ceilings
    for name, key in (("prior_check", "parameter"), ("ceiling_check", "benchmark")):
        if name in tables:
            t = tables[name]
            out[name] = {"band": [0.01, 0.99], "all_inside": bool(t["inside_1_99"].all()),
                         "quantiles": {k: round(float(q), 4)
                                       for k, q in zip(t[key], t["prior_quantile"],
                                                       strict=True)}}
    if "gap_change" in tables:
        gc = tables["gap_change"]
        overall = gc[gc["group"] == "overall"]
        out["gap_change"] = {
            r.span: {"median": round(float(r.median), 3),
                     "eti90": [round(float(r.eti90_lo), 3), round(float(r.eti90_hi), 3)],
                     "posterior_sd": round(float(r.posterior_sd), 3),
                     "prior_sd": round(float(r.prior_sd), 3),
                     "p_widening": round(float(r.p_widening), 3)}
            for r in overall.itertuples()}
    return out


def _pilot_summary(dt: xr.DataTree) -> dict:
    """Return what ``adaptation = "pilot"`` learned (rank, eigenvalues, dense block), if it ran."""
    attrs = dt["posterior"].attrs
    if "pilot_rank" not in attrs:
        return {}
    out = {"pilot_rank": int(attrs["pilot_rank"]),
           "pilot_eigenvalues": json.loads(str(attrs["pilot_eigenvalues"]))}
    if "pilot_block" in attrs:
        out["pilot_block"] = int(attrs["pilot_block"])
        out["pilot_block_shrinkage"] = float(attrs["pilot_block_shrinkage"])
    return out


def run_fit(
    inp: FitInput,
    spec: Spec,
    backend: str = "pymc",
    settings: SamplerSettings | None = None,
    out_root: Path = Path("results"),
    force: bool = False,
    subset: dict | None = None,
    plotter: Plotter | None = None,
    log=print,
) -> FitResult:
    """Fit ``spec`` to ``inp`` and write ``out_root/<data>-<spec>-<id>/``.

    Re-running with the same inputs reuses the cached folder unless ``force``.

    Parameters
    ----------
    inp, spec
        The tidy tables and the spec.
    backend, settings
        ``pymc`` or ``stan``, and the sampler settings (default: the spec's).
    out_root
        Results root; the folder is ``<data>-<spec>-<fit id>``.
    force
        Fit again even when a valid cached folder exists.
    subset
        The data subset (``--benchmarks``/``--max-models``), recorded and part of the id.
    plotter
        Draws the fit's figures into the staged folder before it is published
        (``plotter(folder, dt, data, tables)``; the command line passes
        :func:`gapbayes.reporting.plots.fit_plotter`); None: no figures. Passed in, not
        imported: reporting sits above inference.
    log
        Progress messages.
    """
    settings = settings or SamplerSettings()
    key = {
        "spec_id": spec.spec_id, "data_hash": inp.data_hash, "backend": backend,
        "settings": settings.as_dict(backend), "subset": subset or {},
        "code": results.code_fingerprint(),
    }
    fid = results.fit_id(key)
    folder = out_root / f"{inp.label}-{spec.name}-{fid}"
    if (folder / "manifest.json").is_file() and not force:
        try:
            loaded = results.load_result(folder)     # verifies the checksums
        except GapbayesError as exc:
            log(f"not reusing the cached result: {exc}; fitting again")
        else:
            log(f"reusing cached result {folder} (use --force to refit)")
            return FitResult(folder, loaded.manifest, reused=True)

    fam = family(spec)
    data = fam.build_data(inp.models, inp.benchmarks, inp.scores, spec)
    log(f"fitting spec '{spec.name}' ({spec.spec_id}, model {spec.model}) with "
        f"{settings.describe(backend)}: {len(data.model_ids)} models, "
        f"{len(data.bench_ids)} benchmarks, {len(data.y)} scores, "
        f"{settings.chains} chains x ({settings.tune} + {settings.draws})")
    for note in fam.design_notes(data):
        log(f"note: {note}")
    be = get_backend(backend)
    start = time.perf_counter()
    dt = be.sample(data, spec, settings)
    wall = time.perf_counter() - start
    derived = fam.gap_quantities(dt["posterior"].to_dataset(), data)
    dt["posterior"] = xr.DataTree(xr.merge([dt["posterior"].to_dataset(), derived]))
    diag = run_diagnostics(dt, be.free_parameters(data, spec), settings.max_treedepth)
    tables = summary_tables(dt, data, fam)
    tables.update(prior_tables(fam, data, spec, dt["posterior"].to_dataset(), settings.seed))
    manifest = {
        "kind": "fit",
        "created": results.now_iso(),
        "name": folder.name,
        "fit_id": fid,
        "spec": spec.as_dict(),
        "spec_id": spec.spec_id,
        "model": spec.model,
        "data": {
            "label": inp.label, "hash": inp.data_hash, "n_models": len(data.model_ids),
            "n_base_models": len(getattr(data, "base_ids", data.model_ids)),
            "n_benchmarks": len(data.bench_ids), "n_scores": int(len(data.y)),
            "benchmarks": data.bench_ids, **window(data),
        },
        "subset": subset or {},
        "backend": backend,
        "code": key["code"],
        "sampler": {**settings.as_dict(backend), **_pilot_summary(dt)},
        "wall_time_seconds": round(wall, 1),
        "diagnostics": diag.as_dict(),
        "checks_made": diag.as_dict()["checks_made"],
        **_check_summary(tables),
        "bias_support": support_summary(bias_support(
            data, hosts=uses_host_effects(data, spec),
            contamination=bool(spec.switches.get("contamination")))),
        "versions": results.versions(),
    }
    with staged_dir(folder) as tmp:
        results.write_result_files(tmp, dt, tables)
        save_design(data, tmp / "design.npz")
        if plotter is not None:
            plotter(tmp, dt, data, tables)
        manifest = results.write_manifest(tmp, manifest)
    log(f"sampling took {wall:.0f} s; result written to {folder}")
    return FitResult(folder, manifest, reused=False, diagnostics=diag, data=data, dt=dt)
