"""Model comparison: LOO prefers the spec that generated the data; other data are refused.

The simulated world (60 models, 6 benchmarks of which one linear, every pair evaluated with
probability 0.5 over the whole window) has a gap that shrinks fast: the ``default`` spec with
``gap_rw_sd`` fixed at 8 months per sqrt(year) and every standardised increment ``gap_z`` at
-0.6, from ~29 months in 2023 to ~3 in 2026. The true spec (``default``) and a wrong one
(``constant-gap``) are fitted to it with short chains and fixed seeds.

Why the world looks like this (each choice makes the test reliable, not easier to pass by
accident): nuisance parameters are fixed at tame values so a random prior draw cannot make the
scores uninformative; benchmarks test models over the whole window (with benchmarks "of their
era" a constant gap absorbs a trend into per-benchmark offsets); shortfalls are small and the
gap *shrinks*, so the misfit of a constant gap is on recent open models scoring better than
predicted, which a non-negative shortfall cannot absorb.

``tests/test_sensitivity.py`` fits the same world into the same folder, so its base fit is
this file's ``constant-gap`` fit when both files run in one session.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helpers_model import slow
from scipy.special import logsumexp

from gapbayes import cli
from gapbayes.comparison.compare import (
    DataMismatchError,
    compare_fits,
    comparison_manifest,
    score_log_likelihood,
)
from gapbayes.comparison.kfold import kfold_result
from gapbayes.errors import EXIT_BAD_INPUT, GapbayesError
from gapbayes.inference.backends import SamplerSettings
from gapbayes.inference.design_io import load_design
from gapbayes.inference.fit import FitInput, FitResult, run_fit
from gapbayes.inference.results import LoadedResult
from gapbayes.model.design import build_model_data
from gapbayes.model.simulate import simulate_world, synthetic_design
from gapbayes.model.spec import load_spec

N_MODELS, N_BENCH, EVAL_RATE, DESIGN_SEED, WORLD_SEED = 60, 6, 0.5, 3, 11
N_SIG = N_BENCH - 1  # one linear benchmark
TRUTH = {
    "frontier_log_growth": 0.7, "frontier_growth_rw_sd": 0.1, "shortfall_log_scale": -2.5,
    "shortfall_family_sd": 0.1, "noise_z": np.zeros(N_SIG), "public_offset": 0.0,
    "category_sd": 0.5, "benchmark_gap_sd": 0.5, "log_slope_sd": 0.2,
    "difficulty_z": np.linspace(-0.6, 1.0, N_SIG), "provider_penalty": 0.2,
    "self_report_offset": 0.2, "gap_mean": 14.0, "gap_rw_sd": 8.0,
}
SETTINGS = SamplerSettings(chains=2, draws=200, tune=200, seed=1, progressbar=False)
CONSTANT = Path(__file__).parent / "fixtures" / "specs" / "constant-gap.toml"
SPECS = ("constant-gap", "timeshift-v1")
SPEC_SOURCES = {"constant-gap": CONSTANT, "timeshift-v1": "timeshift-v1"}
QUIET = {"log": lambda *a: None}


@functools.cache
def shrinking_world() -> FitInput:
    """Simulate the world from ``default``; the data hash covers the simulated tables.

    Cached: simulated once per session, so test_sensitivity gets the very same data object.
    """
    spec = load_spec("timeshift-v1")
    models, benchmarks, _ = synthetic_design(n_models=N_MODELS, n_benchmarks=N_BENCH,
                                             n_linear=1, seed=DESIGN_SEED)
    # a stream of its own: synthetic_design's first draws with the same seed are the access
    # groups, and reusing them would evaluate only open models on the first benchmark
    rng = np.random.default_rng(DESIGN_SEED + 1000)
    pairs = [(b, m) for b in benchmarks["benchmark_id"] for m in models["model_id"]
             if rng.random() < EVAL_RATE]
    # placeholders above every benchmark's chance floor (the inclusion rule counts those)
    above_floor = ((1.0 + benchmarks["chance"]) / 2.0).set_axis(benchmarks["benchmark_id"])
    scores = pd.DataFrame({
        "benchmark_id": [b for b, _ in pairs], "model_id": [m for _, m in pairs],
        "score": [above_floor[b] for b, _ in pairs], "stderr": np.nan,
        "self_reported": rng.random(len(pairs)) < 0.1,
        "third_party_host": False, "raw_row": np.arange(len(pairs)) + 2,
    })
    n_steps = len(build_model_data(models, benchmarks, scores, spec).gap_knots) - 1
    w = simulate_world(models, benchmarks, scores, spec,
                       fixed={**TRUTH, "gap_z": np.full(n_steps, -0.6)}, seed=WORLD_SEED)
    digest = hashlib.sha256()
    for table in (w.models, w.benchmarks, w.scores):
        digest.update(table.to_csv(index=False).encode())
    return FitInput(w.models, w.benchmarks, w.scores, digest.hexdigest()[:16], "shrinking")


def fit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Results root shared by the comparison and sensitivity tests of one session."""
    return tmp_path_factory.getbasetemp() / "shrinking-world-fits"


@pytest.fixture(scope="module")
def fits(tmp_path_factory) -> dict[str, FitResult]:
    inp = shrinking_world()
    out = {}
    for s in SPECS:
        r = run_fit(inp, load_spec(SPEC_SOURCES[s]), settings=SETTINGS,
                    out_root=fit_root(tmp_path_factory), **QUIET)
        if r.dt is None:  # reused from the folder (test_sensitivity ran first)
            r = replace(r, dt=xr.open_datatree(r.path / "posterior.nc", engine="h5netcdf"),
                        data=load_design(r.path / "design.npz"))
        out[s] = r
    return out


@pytest.fixture(scope="module")
def result(fits):
    return compare_fits([fits[s] for s in SPECS], kfold="never", **QUIET)


def test_loo_prefers_the_true_time_varying_gap(result):
    row = result.table.set_index("spec")
    assert list(result.table["spec"]) == ["timeshift-v1", "constant-gap"], result.format("text")
    # the wrong spec is worse by more than twice the standard error of the difference
    assert row.loc["constant-gap", "elpd_diff"] < -2 * row.loc["constant-gap", "dse"]
    assert row.loc["timeshift-v1", "elpd"] - row.loc["constant-gap", "elpd"] == pytest.approx(
        -row.loc["constant-gap", "elpd_diff"])
    assert row.loc["timeshift-v1", "weight"] > 0.9
    # the true gap shrinks to ~3 months: the true spec's last-month gap is below the wrong one's
    assert (row.loc["timeshift-v1", "gap_overall_median"]
            < row.loc["constant-gap", "gap_overall_median"])


def test_table_counts_gaps_and_outputs(result, fits, tmp_path):
    t = result.table
    n_scores = fits["timeshift-v1"].manifest["data"]["n_scores"]
    assert (t["n_obs"] == n_scores).all() and (t["criterion"] == "psis-loo").all()
    assert result.pointwise.shape == (n_scores, 2)
    np.testing.assert_allclose(result.pointwise.sum().loc[list(t["spec"])], t["elpd"])
    assert np.isclose(t["weight"].sum(), 1.0)
    # the sample-size threshold is at most 0.7, so it flags at least as many scores
    assert (t["k_gt_good"] >= t["k_gt_0.7"]).all()
    assert np.isclose(t["good_k"].iloc[0], 1 - 1 / np.log10(2 * 200))
    for g in ("overall", "private", "public"):
        assert (t[f"gap_{g}_eti90_lo"] <= t[f"gap_{g}_median"]).all()
        assert (t[f"gap_{g}_median"] <= t[f"gap_{g}_eti90_hi"]).all()
    assert set(result.gaps["spec"]) == set(SPECS)
    text = result.format("text")
    assert "stacking" in text and "y_sig + y_lin" in text and "constant-gap" in text
    assert result.format("markdown").startswith("**Model comparison")
    assert list(pd.read_csv(io.StringIO(result.format("csv")))["spec"]) == list(t["spec"])
    assert json.loads(result.format("json"))["criterion"] == "psis-loo"
    with pytest.raises(GapbayesError,
                       match=r"^unknown format 'xml': use text, markdown, csv or json$"):
        result.format("xml")
    written = result.write(tmp_path)
    assert [p.name for p in written] == ["comparison.csv", "gaps.csv", "pointwise_elpd.csv",
                                         "compare.png"]
    assert all(p.stat().st_size > 0 for p in written)
    manifest = comparison_manifest(result, [fits[s] for s in SPECS])
    assert [f["spec"] for f in manifest["fits"]] == list(SPECS)
    assert manifest["data"]["hash"] == fits["timeshift-v1"].manifest["data"]["hash"]


def test_kfold_pointwise_values_are_on_the_scale_of_the_stored_log_likelihood(fits):
    """Held-out densities from the full posterior on every score equal the in-sample lpd.

    This runs the K-fold assembly on 'folds' predicted by the full-data posterior: heldout's
    predictive densities (native scale for METR-like benchmarks) plus the Jacobian must give
    back log mean_s p(y_i | theta_s) of the stored log-likelihood, for both links.
    """
    from gapbayes.studies.heldout import predictive_moments, score_rows, split

    fit = fits["timeshift-v1"]
    data, post = fit.data, fit.dt["posterior"].to_dataset()
    rows = np.arange(len(data.y))
    _, test = split(data, rows, rows)  # training rows = all rows: the full data's scaling
    mu, sd = predictive_moments(post, test, load_spec("timeshift-v1"))
    lin = test.bench_linear[test.obs_bench] == 1
    assert lin.sum() > 2  # both links are checked
    lpd = score_rows(test.y, mu, sd, -np.log(np.where(lin, test.lin_scale[test.obs_bench], 1)))
    halves = [{"row": rows[i::2], "lpd": lpd["lpd"][i::2]} for i in (1, 0)]  # any fold order
    ll = score_log_likelihood(fit.dt)
    res = kfold_result(halves, data, ll, k=2)
    flat = ll.stack(s=("chain", "draw")).transpose("obs", "s").values
    expected = logsumexp(flat, axis=1) - np.log(flat.shape[1])
    np.testing.assert_allclose(res.elpd_i.values, expected, atol=1e-6)
    np.testing.assert_allclose(res.p_kfold_i.values, 0.0, atol=1e-6)
    assert res.se == pytest.approx(np.sqrt(len(expected) * np.var(expected)))
    with pytest.raises(GapbayesError, match="^K-fold: the folds do not cover every score"):
        kfold_result(halves[:1], data, ll, k=2)


@pytest.mark.parametrize(("k_high", "runs_kfold"), [(-1.0, True), (10.0, False)])
def test_auto_mode_falls_back_to_kfold_exactly_when_a_pareto_k_is_high(
        fits, monkeypatch, tmp_path, k_high, runs_kfold):
    """With every k above the threshold the table is K-fold; with none it stays PSIS-LOO."""
    import gapbayes.comparison.compare as compare

    calls = []

    def fake_kfold(data, spec, settings, ll, work_dir, k, seed, log, client=None):
        calls.append((spec.name, work_dir.name, settings.draws))
        return compare.psis_loo(fits[spec.name].dt, ll), []

    monkeypatch.setattr(compare, "good_k_threshold", lambda n_samples: k_high)
    monkeypatch.setattr(compare, "kfold_elpd", fake_kfold)
    res = compare_fits([fits[s] for s in SPECS], kfold="auto", kfold_dir=tmp_path, **QUIET)
    assert bool(calls) is runs_kfold
    assert (res.criterion == "kfold-5") is runs_kfold
    assert any("the table uses K-fold CV instead" in w for w in res.warnings) is runs_kfold
    if runs_kfold:
        assert sorted(c[0] for c in calls) == sorted(SPECS)
        assert {c[1] for c in calls} == {f"{fits[s].path.name}-k5-s0" for s in SPECS}
        assert {c[2] for c in calls} == {SETTINGS.draws}  # refits use the fit's settings
        np.testing.assert_allclose(res.table["elpd_kfold"], res.table["elpd_loo"])


def _fake(name: str, benchmarks: list[str], data_hash: str = "aaaa", n_scores: int = 10,
          subset: dict | None = None) -> LoadedResult:
    gaps = pd.DataFrame({"group": ["overall"], "date": ["last (2026-01)"],
                         "direction": ["backward"], "median": [1.0], "eti50_lo": [0.5],
                         "eti50_hi": [1.5], "eti90_lo": [0.0], "eti90_hi": [2.0]})
    manifest = {"name": name, "spec": {"name": name}, "spec_id": name, "subset": subset or {},
                "data": {"label": "x", "hash": data_hash, "benchmarks": benchmarks,
                         "n_scores": n_scores}}
    return LoadedResult(Path(name), manifest, {"gap_at_dates": gaps})


def test_fits_on_different_data_benchmarks_or_subsets_are_refused():
    with pytest.raises(DataMismatchError, match=r"^cannot compare fits made on different data "
                                                r"\(aaaa vs bbbb\): 'a' was fitted on data"):
        compare_fits([_fake("a", ["hle"]), _fake("b", ["hle"], data_hash="bbbb")])
    with pytest.raises(DataMismatchError, match=r"different benchmark sets \(data aaaa\): only "
                                                r"in 'a': none, only in 'b': \['gpqa'\]"):
        compare_fits([_fake("a", ["hle"]), _fake("b", ["hle", "gpqa"])])
    with pytest.raises(DataMismatchError, match="^cannot compare fits made on different subsets"):
        compare_fits([_fake("a", ["hle"]), _fake("b", ["hle"], subset={"max_models": 5})])
    with pytest.raises(GapbayesError, match="^model comparison needs at least two fits$"):
        compare_fits([_fake("a", ["hle"])])
    with pytest.raises(GapbayesError, match="^unknown K-fold mode 'maybe'"):
        compare_fits([_fake("a", ["hle"]), _fake("b", ["hle"])], kfold="maybe")
    assert DataMismatchError.exit_code == EXIT_BAD_INPUT


def test_compare_command_refuses_different_data_in_one_line_with_exit_2(tmp_path, capsys):
    folders = []
    for name, data_hash in (("a", "aaaa"), ("b", "bbbb")):
        fake = _fake(name, ["hle"], data_hash)
        folder = tmp_path / name
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps(fake.manifest))
        fake.tables["gap_at_dates"].to_csv(folder / "gap_at_dates.csv", index=False)
        folders.append(str(folder))
    assert cli.main(["compare", *folders, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("gapbayes: error: cannot compare fits made on different data "
                          "(aaaa vs bbbb)")
    assert not (tmp_path / "out" / "compare").exists()  # nothing written


def test_compare_command_on_result_folders_writes_the_comparison(fits, result, tmp_path,
                                                                 capsys):
    paths = [str(fits[s].path) for s in SPECS]
    out = tmp_path / "out"
    assert cli.main(["compare", *paths, "--out", str(out), "--kfold", "never",
                     "--format", "csv"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    np.testing.assert_allclose(printed["elpd"], result.table["elpd"], atol=1e-3)
    (folder,) = (out / "compare").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["criterion"] == "psis-loo" and manifest["specs"] == paths
    assert sorted(p.name for p in folder.iterdir()) == [
        "compare.png", "comparison.csv", "gaps.csv", "manifest.json", "pointwise_elpd.csv"]


def test_compare_command_arguments():
    import argparse

    from gapbayes.commands import compare as command

    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["compare", "timeshift-v1", str(CONSTANT), "--draws", "300",
                              "--kfold", "always", "--max-models", "80"])
    assert args.specs == ["timeshift-v1", str(CONSTANT)] and args.kfold == "always"
    assert args.draws == 300 and args.max_models == 80
    assert parser.parse_args(["compare", "a", "b"]).kfold == "never"
    same = parser.parse_args(["compare", "timeshift-v1", "timeshift-v1"])
    with pytest.raises(GapbayesError, match="^gapbayes compare needs at least two different"):
        same.func(same)


@slow
def test_exact_kfold_ranks_the_specs_like_psis_loo(fits, tmp_path):
    """Exact K-fold (k = 2 to keep it short) prefers the true spec; a re-run reuses the folds."""
    res = compare_fits([fits[s] for s in SPECS], kfold="always", k=2, kfold_dir=tmp_path,
                       **QUIET)
    assert res.criterion == "kfold-2"
    assert res.table["spec"].iloc[0] == "timeshift-v1", res.format("text")
    worse = res.table.set_index("spec").loc["constant-gap"]
    assert worse["elpd_diff"] < -2 * worse["dse"], res.format("text")
    again = compare_fits([fits[s] for s in SPECS], kfold="always", k=2, kfold_dir=tmp_path,
                         **QUIET)
    np.testing.assert_allclose(again.table["elpd"], res.table["elpd"])
