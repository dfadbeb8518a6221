"""Fit orchestration: tidy data + spec -> sampled, diagnosed, summarised result folder."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.atomic import staged_dir
from gapbayes.model import results
from gapbayes.model.backends import SamplerSettings, get_backend
from gapbayes.model.derived import gap_quantities, threshold_gaps
from gapbayes.model.design import ModelData, build_model_data, save_model_data
from gapbayes.model.diagnostics import Diagnostics, interval_table, parameter_summary
from gapbayes.model.spec import Spec

MAIN_PARAMETERS = [
    "gap_mean", "gap_rw_sd", "public_offset", "category_sd", "benchmark_gap_sd",
    "china_offset", "frontier_log_growth", "frontier_growth_rw_sd", "shortfall_log_scale",
    "shortfall_family_sd", "log_slope_sd", "provider_penalty", "self_report_offset",
    "selection_capability", "selection_open",
]


@dataclass
class FitInput:
    """Tidy tables and their identity."""

    models: pd.DataFrame
    benchmarks: pd.DataFrame
    scores: pd.DataFrame
    data_hash: str
    label: str


@dataclass
class FitResult:
    """A finished (or reused) fit."""

    path: Path
    manifest: dict
    reused: bool
    diagnostics: Diagnostics | None = None
    data: ModelData | None = None
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
    if max_models:
        ids = np.sort(sc["model_id"].unique())
        rng = np.random.default_rng(seed)
        keep = rng.choice(ids, size=min(max_models, len(ids)), replace=False)
        sc = sc[sc["model_id"].isin(keep)]
    return FitInput(models, inp.benchmarks, sc, inp.data_hash, inp.label)


def summary_tables(dt: xr.DataTree, data: ModelData) -> dict[str, pd.DataFrame]:
    """Compute the CSV tables of a result folder."""
    post = dt["posterior"].to_dataset()
    over = []
    for direction in ("backward", "forward"):
        t = interval_table(post[f"gap_{direction}"])
        t.insert(2, "direction", direction)
        over.append(t)
    bias_vars = [v for v in post.data_vars if v.startswith("bias_")]
    bias = pd.concat(
        [interval_table(post[v]).assign(term=v.removeprefix("bias_").removesuffix("_months"))
         for v in bias_vars], ignore_index=True,
    ) if bias_vars else pd.DataFrame()
    if not bias.empty:
        bias = bias[["term", *[c for c in bias.columns if c != "term"]]]
    params = parameter_summary(dt, MAIN_PARAMETERS).reset_index(names="parameter")
    return {
        "gap_over_time": pd.concat(over, ignore_index=True),
        "gap_at_dates": interval_table(post["gap_at_date"]),
        "bias_terms": bias,
        "threshold_gaps": threshold_gaps(post, data),
        "parameters": params,
        "inclusion": data.inclusion,
    }


def run_fit(
    inp: FitInput,
    spec: Spec,
    backend: str = "pymc",
    settings: SamplerSettings | None = None,
    out_root: Path = Path("results"),
    force: bool = False,
    subset: dict | None = None,
    make_plots: bool = True,
    baseline_dir: Path | None = None,
    log=print,
) -> FitResult:
    """Fit ``spec`` to ``inp`` and write ``out_root/<data>-<spec>-<id>/``.

    Re-running with the same inputs reuses the cached folder unless ``force``.
    """
    settings = settings or SamplerSettings()
    key = {
        "spec_id": spec.spec_id, "data_hash": inp.data_hash, "backend": backend,
        "settings": settings.as_dict(backend), "subset": subset or {},
    }
    fid = results.fit_id(key)
    folder = out_root / f"{inp.label}-{spec.name}-{fid}"
    if (folder / "manifest.json").is_file() and not force:
        loaded = results.load_result(folder)
        log(f"reusing cached result {folder} (use --force to refit)")
        return FitResult(folder, loaded.manifest, reused=True)

    data = build_model_data(inp.models, inp.benchmarks, inp.scores, spec)
    log(f"fitting spec '{spec.name}' ({spec.spec_id}) with {settings.describe(backend)}: "
        f"{len(data.model_ids)} models, {len(data.bench_ids)} benchmarks, "
        f"{len(data.y)} scores, {settings.chains} chains x ({settings.tune} + {settings.draws})")
    be = get_backend(backend)
    start = time.perf_counter()
    dt = be.sample(data, spec, settings)
    wall = time.perf_counter() - start
    derived = gap_quantities(dt["posterior"].to_dataset(), data)
    dt["posterior"] = xr.DataTree(xr.merge([dt["posterior"].to_dataset(), derived]))
    from gapbayes.model.diagnostics import run_diagnostics

    diag = run_diagnostics(dt, be.free_parameters(data, spec), settings.max_treedepth)
    tables = summary_tables(dt, data)
    manifest = {
        "kind": "fit",
        "created": results.now_iso(),
        "name": folder.name,
        "fit_id": fid,
        "spec": spec.as_dict(),
        "spec_id": spec.spec_id,
        "data": {
            "label": inp.label, "hash": inp.data_hash, "n_models": len(data.model_ids),
            "n_benchmarks": len(data.bench_ids), "n_scores": int(len(data.y)),
            "benchmarks": data.bench_ids, "first_month": data.report_dates[0],
            "last_month": data.report_dates[-1],
        },
        "subset": subset or {},
        "backend": backend,
        "sampler": settings.as_dict(backend),
        "wall_time_seconds": round(wall, 1),
        "diagnostics": diag.as_dict(),
        "checks_made": diag.as_dict()["checks_made"],
        "versions": results.versions(),
    }
    with staged_dir(folder) as tmp:
        results.write_result_files(tmp, dt, tables, manifest)
        save_model_data(data, tmp / "design.npz")
        if make_plots:
            from gapbayes.model.plots import load_baseline_points, make_fit_plots

            try:
                points = load_baseline_points(baseline_dir) if baseline_dir else None
            except ValueError as exc:
                log(f"note: baseline datapoints not overlaid ({exc})")
                points = None
            make_fit_plots(tmp, dt, data, tables, points)
    log(f"sampling took {wall:.0f} s; result written to {folder}")
    return FitResult(folder, manifest, reused=False, diagnostics=diag, data=data, dt=dt)
