"""Model comparison of fits made on the same data: PSIS-LOO, stacking, K-fold fallback.

What is compared
    The pointwise log-likelihood of the *scores*: ``y_sig`` (sigmoid benchmarks) and ``y_lin``
    (linear benchmarks), concatenated into one observation dimension indexed by the design's
    observation number. The ``evaluated`` likelihood of the ``selection`` spec is left out: it
    models extra data (which pairs were evaluated) that the other specs do not predict.

How
    PSIS-LOO per fit (``arviz.loo``) with Pareto-k counts above 0.7 and above the sample-size
    threshold min(1 - 1/log10 S, 0.7) (Vehtari et al. 2024); elpd differences with their
    standard errors and stacking weights from ``arviz.compare(method="stacking")`` (Yao et al.
    2018). When k is high the PSIS estimate can be biased: with ``kfold="auto"`` every spec is
    then compared on exact K-fold CV instead (:mod:`gapbayes.comparison.kfold`, K refits per spec).

Fits made on different data (manifest ``data.hash``), benchmark sets or score subsets are
refused with :class:`DataMismatchError` (exit code 2): their log-likelihoods are not of the
same scores. The rendering of the result lives in :mod:`gapbayes.comparison.compare_table`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.comparison.compare_table import GAP_GROUPS, SCORE_NOTE, ComparisonResult
from gapbayes.comparison.crossval import LOMO_FOLDS, PROTOCOLS
from gapbayes.comparison.crossval_compare import cv_compare, refit_settings
from gapbayes.comparison.kfold import KFOLD_K, OBS_DIM, kfold_elpd
from gapbayes.errors import EXIT_BAD_INPUT, GapbayesError
from gapbayes.inference.design_io import load_design
from gapbayes.inference.fit import FitResult
from gapbayes.inference.results import LoadedResult, load_result, now_iso, versions
from gapbayes.model.spec import SECTIONS, Spec

SCORE_DIMS = {"y_sig": "sig_obs", "y_lin": "lin_obs"}
SCORE_VAR = "score"
K_HIGH = 0.7
KFOLD_MODES = ("auto", "always", "never")

Log = Callable[[str], Any]


class DataMismatchError(GapbayesError):
    """Fits whose log-likelihoods are not of the same scores: bad input, exit code 2."""

    exit_code = EXIT_BAD_INPUT


@dataclass
class _Fit:
    """One fit as the comparison sees it."""

    label: str
    path: Path
    manifest: dict
    gaps: pd.DataFrame
    dt: xr.DataTree | None = None

    @property
    def name(self) -> str:
        """Result folder name (unique per spec, data, backend and settings)."""
        return str(self.manifest.get("name", self.path.name))

    def posterior(self) -> xr.DataTree:
        """Return the fit's DataTree (in memory after a fresh fit, else posterior.nc)."""
        if self.dt is None:
            self.dt = LoadedResult(self.path, self.manifest, {}).posterior()
        return self.dt

    def spec(self) -> Spec:
        """Return the spec as recorded in the manifest."""
        values = self.manifest["spec"]
        # manifests written before model v2 have no "model" key: they are version-1 fits
        return Spec(**{k: values[k] for k in ("name", "description", *SECTIONS)},
                    model=values.get("model", "timeshift-v1"),
                    source=f"{self.path}/manifest.json")


def _as_fit(result: FitResult | LoadedResult) -> _Fit:
    loaded = result if isinstance(result, LoadedResult) else load_result(result.path)
    if "gap_at_dates" not in loaded.tables:
        raise GapbayesError(f"{loaded.path}: no gap_at_dates.csv (not a fit result folder?)")
    return _Fit(loaded.manifest["spec"]["name"], Path(loaded.path), loaded.manifest,
                loaded.tables["gap_at_dates"], getattr(result, "dt", None))


def _describe(man: dict) -> str:
    d = man["data"]
    subset = f", subset {man['subset']}" if man.get("subset") else ""
    return (f"data '{d['label']}' {d['hash']} ({len(d['benchmarks'])} benchmarks, "
            f"{d['n_scores']} scores{subset})")


def check_same_data(fits: list[_Fit]) -> None:
    """Refuse fits whose log-likelihoods are not of the same scores.

    Raises
    ------
    DataMismatchError
        Different data hash, benchmark set, score subset or number of scores; the one-line
        message names both fits and both data hashes.
    """
    ref, r = fits[0], fits[0].manifest
    for fit in fits[1:]:
        m = fit.manifest
        h0, h1 = r["data"]["hash"], m["data"]["hash"]
        where = f"'{ref.name}' was fitted on {_describe(r)}, '{fit.name}' on {_describe(m)}"
        if h0 != h1:
            raise DataMismatchError(
                f"cannot compare fits made on different data ({h0} vs {h1}): {where}; fit "
                "every spec on the same data")
        b0, b1 = list(r["data"]["benchmarks"]), list(m["data"]["benchmarks"])
        if b0 != b1:
            raise DataMismatchError(
                f"cannot compare fits made on different benchmark sets (data {h0}): only in "
                f"'{ref.name}': {sorted(set(b0) - set(b1)) or 'none'}, only in '{fit.name}': "
                f"{sorted(set(b1) - set(b0)) or 'none'}; the specs' [data] inclusion rules "
                "must select the same benchmarks")
        if (r.get("subset") or {}) != (m.get("subset") or {}) or \
                r["data"]["n_scores"] != m["data"]["n_scores"]:
            raise DataMismatchError(
                f"cannot compare fits made on different subsets of the scores (data {h0}): "
                f"{where}")


def check_same_source(fits: list[_Fit]) -> None:
    """Refuse fits made on different data (LOMO / LFO may compare different selections)."""
    h0 = fits[0].manifest["data"]["hash"]
    for fit in fits[1:]:
        if fit.manifest["data"]["hash"] != h0:
            raise DataMismatchError(
                f"cannot compare fits made on different data ({h0} vs "
                f"{fit.manifest['data']['hash']}): '{fits[0].name}' was fitted on "
                f"{_describe(fits[0].manifest)}, '{fit.name}' on {_describe(fit.manifest)}")


def _unique_labels(fits: list[_Fit]) -> None:
    """Spec names label the rows; fits sharing a name get their spec id, then their fit id."""
    names = [f.name for f in fits]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise GapbayesError(f"the same fit was given twice: {', '.join(dup)}")
    for key in ("spec_id", "fit_id"):
        labels = [f.label for f in fits]
        for f in fits:
            if labels.count(f.label) > 1:
                f.label = f"{f.label}@{f.manifest.get(key) or f.name}"


def _scores(group: xr.DataTree, what: str, where: str) -> xr.DataArray:
    """Concatenate y_sig and y_lin of ``group`` into one ``obs`` dimension, in design order."""
    parts = [group[var].rename({dim: OBS_DIM}) for var, dim in SCORE_DIMS.items()
             if var in group.data_vars and group[var].sizes.get(dim, 0) > 0]
    if not parts:
        raise GapbayesError(f"{where}: no score {what} (y_sig/y_lin) to compare")
    return xr.concat(parts, dim=OBS_DIM).sortby(OBS_DIM).rename(SCORE_VAR)


def score_log_likelihood(dt: xr.DataTree, where: str = "fit") -> xr.DataArray:
    """(chain, draw, obs) pointwise log-likelihood of the scores.

    The ``sig_obs``/``lin_obs`` coordinates hold the design's observation numbers, so the
    concatenation lines up with ``ModelData.y`` whatever the mix of links.
    """
    if "log_likelihood" not in dt.children:
        raise GapbayesError(f"{where}: posterior.nc has no log_likelihood group")
    return _scores(dt["log_likelihood"], "log-likelihood", where)


def psis_loo(dt: xr.DataTree, ll: xr.DataArray) -> Any:
    """PSIS-LOO of the scores with pointwise values (arviz's warning: see the k counts)."""
    import arviz as az

    tree = xr.DataTree.from_dict({"posterior": dt["posterior"].to_dataset(),
                                  "log_likelihood": xr.Dataset({SCORE_VAR: ll})})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.loo(tree, pointwise=True, var_name=SCORE_VAR)


def good_k_threshold(n_samples: int) -> float:
    """Sample-size-dependent Pareto-k threshold min(1 - 1/log10 S, 0.7)."""
    return float(min(1.0 - 1.0 / np.log10(n_samples), K_HIGH)) if n_samples > 10 else K_HIGH


def _loo_row(fit: _Fit, ll: xr.DataArray, loo: Any) -> dict:
    kvals = np.asarray(loo.pareto_k.values).ravel()
    good = good_k_threshold(int(ll.sizes["chain"] * ll.sizes["draw"]))
    return {"spec": fit.label, "spec_id": fit.manifest["spec_id"], "elpd_loo": float(loo.elpd),
            "se_loo": float(loo.se), "p_loo": float(loo.p),
            "k_gt_0.7": int(np.sum(kvals > K_HIGH)), "k_gt_good": int(np.sum(kvals > good)),
            "good_k": good, "n_obs": int(kvals.size)}


def _run_kfold(fits: list[_Fit], lls: dict, k: int, seed: int, root: Path, log: Log,
               client: Any = None) -> tuple[dict, list[str]]:
    elpds, warn = {}, []
    for fit in fits:
        elpds[fit.label], w = kfold_elpd(
            load_design(fit.path / "design.npz"), fit.spec(), refit_settings(fit.manifest),
            lls[fit.label], root / f"{fit.name}-k{k}-s{seed}", k, seed, log, client)
        warn += w
    return elpds, warn


def compare_fits(
    results: list[FitResult | LoadedResult],
    *,
    kfold: str = "auto",
    k: int = KFOLD_K,
    kfold_seed: int = 0,
    kfold_dir: Path | None = None,
    cv: str = "loo",
    cv_folds: int = LOMO_FOLDS,
    cv_cutoff: str | None = None,
    models: pd.DataFrame | None = None,
    workers: int = 1,
    log: Log = print,
    client: Any = None,
) -> ComparisonResult:
    """Compare fits made on the same data by their out-of-sample predictive accuracy.

    Parameters
    ----------
    results
        Two or more fit results (fresh :class:`FitResult` or loaded folders).
    kfold
        ``auto``: compare on exact K-fold CV when any fit has a Pareto k above the threshold
        (K refits per spec), else on PSIS-LOO; ``always``; ``never``.
    k, kfold_seed
        Number of folds and seed of the fold assignment (shared by every spec).
    kfold_dir
        Folder of the finished K-fold refits (resumable); default
        ``<results root>/compare/kfold``. The LOMO / LFO refits go there too.
    cv
        ``loo`` (PSIS-LOO, with the K-fold fallback of ``kfold``), or ``lomo`` / ``lfo``:
        exact leave-one-model-out or leave-future-out refits
        (:mod:`gapbayes.comparison.crossval_compare`); these allow specs that select
        different benchmarks or models from the same data, compared on the scores all of
        them predicted.
    cv_folds, cv_cutoff
        LOMO folds (seed ``kfold_seed``); LFO cut-off date (default: the last 20% of base
        models are predicted).
    models
        The tidy models table of the data (needed by ``lomo`` and ``lfo``).
    workers
        Parallel refits (processes).
    log
        Progress messages.
    client
        A Dask ``distributed.Client``: the refits (K-fold, LOMO, LFO) run on its cluster
        instead of ``workers`` local processes.

    Returns
    -------
    ComparisonResult
        Table (best spec first), gaps side by side, warnings and notes.

    Raises
    ------
    DataMismatchError
        Fits on different data, benchmark sets or score subsets.
    GapbayesError
        Fewer than two fits, a fit without stored log-likelihood, an unknown ``kfold`` mode,
        or ``kfold="always"`` with a spec the refits do not support.
    """
    import arviz as az

    if kfold not in KFOLD_MODES:
        raise GapbayesError(f"unknown K-fold mode '{kfold}': use {', '.join(KFOLD_MODES)}")
    if cv not in ("loo", *PROTOCOLS):
        raise GapbayesError(f"unknown --cv '{cv}': use loo, {', '.join(PROTOCOLS)}")
    if len(results) < 2:
        raise GapbayesError("model comparison needs at least two fits")
    fits = [_as_fit(r) for r in results]
    if cv == "loo":
        check_same_data(fits)
    else:
        check_same_source(fits)
        if models is None:
            raise GapbayesError(f"--cv {cv} needs the data's models table")
        kfold = "never"
    _unique_labels(fits)

    lls, loos, rows, observed = {}, {}, {}, None
    for fit in fits:
        dt = fit.posterior()
        lls[fit.label] = score_log_likelihood(dt, fit.name)
        obs = (_scores(dt["observed_data"], "observations", fit.name).values
               if "observed_data" in dt.children else observed)
        if cv == "loo" and observed is not None and (
                obs.shape != observed.shape or not np.allclose(obs, observed)):
            raise DataMismatchError(
                f"cannot compare: '{fit.name}' saw other scores than '{fits[0].name}' although "
                f"both record data {fit.manifest['data']['hash']}")
        observed = obs
        loos[fit.label] = psis_loo(dt, lls[fit.label])
        rows[fit.label] = _loo_row(fit, lls[fit.label], loos[fit.label])

    warn: list[str] = []
    notes: list[str] = []
    high = [r for r in rows.values() if r["k_gt_good"]]
    selection = [f.label for f in fits if f.manifest["spec"]["switches"].get("selection")]
    if selection:
        notes.append(f"{', '.join(selection)}: judged on its predictions of the scores only")
    use_kfold = kfold == "always" or (kfold == "auto" and bool(high))
    if use_kfold and selection and kfold == "auto":
        use_kfold = False
        warn.append("K-fold fallback skipped: the refits do not support the selection spec")
    not_v1 = [f.label for f in fits if f.manifest["spec"].get("model", "timeshift-v1")
              != "timeshift-v1"]
    if use_kfold and not_v1:
        if kfold == "always":
            raise GapbayesError(f"--kfold always: exact K-fold refits support the timeshift-v1 "
                                f"family only so far, not {', '.join(not_v1)}")
        use_kfold = False
        warn.append(f"K-fold fallback skipped: the refits do not support {', '.join(not_v1)} "
                    "(timeshift-v1 family only so far)")
    for r in high if cv == "loo" else []:   # exact refits replace PSIS-LOO otherwise
        warn.append(f"{r['spec']}: {r['k_gt_good']} of {r['n_obs']} scores have Pareto k > "
                    f"{r['good_k']:.2f} ({r['k_gt_0.7']} > 0.7): its PSIS-LOO estimate may be "
                    "biased" + ("; the table uses K-fold CV instead" if use_kfold else
                                "; --kfold auto compares on exact K-fold CV instead (K refits "
                                "per spec)" if kfold == "never" else ""))
    for fit in fits:
        if not fit.manifest.get("diagnostics", {}).get("passed", True):
            failed = [c["name"] for c in fit.manifest["diagnostics"]["checks"] if not c["passed"]]
            warn.append(f"{fit.label}: sampler diagnostics failed ({', '.join(failed)}): its "
                        "elpd and gaps rest on an unreliable posterior")

    criterion, elpds = "psis-loo", loos
    obs_index = pd.Index(lls[fits[0].label][OBS_DIM].values, name=OBS_DIM)
    if cv != "loo":
        root = kfold_dir or fits[0].path.parent / "compare" / "kfold"
        elpds, w, cv_notes, keys = cv_compare(fits, lls, models, cv, root, cv_folds,
                                              kfold_seed, cv_cutoff, workers, log, client)
        warn += w
        notes += cv_notes
        criterion = cv if cv == "lfo" else f"lomo-{cv_folds}"
        obs_index = pd.Index(keys, name="score")
        for name, e in elpds.items():
            rows[name].update(elpd_cv=float(e.elpd), se_cv=float(e.se), p_cv=float(e.p))
    if use_kfold:
        root = kfold_dir or fits[0].path.parent / "compare" / "kfold"
        elpds, w = _run_kfold(fits, lls, k, kfold_seed, root, log, client)
        warn += w
        criterion = f"kfold-{k}"
        for name, e in elpds.items():
            rows[name].update(elpd_kfold=float(e.elpd), se_kfold=float(e.se), p_kfold=float(e.p))
        notes.append(f"K-fold: {k} folds over (model, benchmark) score cells, seed {kfold_seed}, "
                     "the same folds for every spec; refits with PyMC and each fit's sampler "
                     "settings")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comp = az.compare(elpds, method="stacking", round_to="none")
    table = pd.DataFrame([rows[name] for name in comp.index])
    table.insert(1, "criterion", criterion)
    for j, col in enumerate(("elpd", "se", "elpd_diff", "dse", "weight")):
        table.insert(2 + j, col, comp[col].to_numpy(float))
    if table["n_obs"].iloc[0] < 100:
        notes.append("fewer than 100 scores: the normal approximation of the elpd differences "
                     "is rough")
    close = table[(table["elpd_diff"] != 0) & (table["elpd_diff"].abs() < 4)]
    if len(close):
        notes.append(f"{', '.join(close['spec'])}: |elpd_diff| < 4 to the best spec: the specs "
                     "predict about equally well")

    gaps = pd.concat([f.gaps.assign(spec=f.label) for f in fits], ignore_index=True)
    gaps = gaps[["spec", *[c for c in gaps.columns if c != "spec"]]]
    last = next(d for d in gaps["date"].unique() if str(d).startswith("last"))
    for grp in GAP_GROUPS:
        sel = gaps[(gaps["group"] == grp) & (gaps["date"] == last)
                   & (gaps["direction"] == "backward")].set_index("spec")
        for col in ("median", "eti50_lo", "eti50_hi", "eti90_lo", "eti90_hi"):
            if len(sel):
                table[f"gap_{grp}_{col}"] = table["spec"].map(sel[col])
    by_label = {f.label: f for f in fits}
    table["diagnostics_passed"] = [
        bool(by_label[s].manifest.get("diagnostics", {}).get("passed", False))
        for s in table["spec"]]
    table["fit"] = [by_label[s].name for s in table["spec"]]

    pointwise = pd.DataFrame(
        {name: np.asarray(e.elpd_i.values).ravel() for name, e in elpds.items()},
        index=obs_index)
    man = fits[0].manifest
    data = {"label": man["data"]["label"], "hash": man["data"]["hash"],
            "benchmarks": list(man["data"]["benchmarks"]),
            "n_scores": int(man["data"]["n_scores"]), "subset": man.get("subset") or {}}
    return ComparisonResult(table, gaps, criterion, data, warn, notes, pointwise)


def comparison_manifest(result: ComparisonResult, fits: list[FitResult | LoadedResult],
                        extra: dict | None = None) -> dict:
    """Return what made a comparison folder: fits, data, criterion, table, versions."""
    return {
        "kind": "compare",
        "created": now_iso(),
        "criterion": result.criterion,
        "compared": SCORE_NOTE,
        "data": result.data,
        "fits": [{"name": r.manifest["name"], "spec": r.manifest["spec"]["name"],
                  "spec_id": r.manifest["spec_id"], "fit_id": r.manifest.get("fit_id"),
                  "backend": r.manifest.get("backend"), "sampler": r.manifest.get("sampler"),
                  "diagnostics_passed": r.manifest.get("diagnostics", {}).get("passed")}
                 for r in fits],
        "table": json.loads(result.table.to_json(orient="records")),
        "warnings": result.warnings,
        "notes": result.notes,
        "versions": versions(),
        **(extra or {}),
    }
