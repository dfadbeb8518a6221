"""Contamination (switch ``contamination``): exposure, the model term, support, recovery."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pytest import approx

from gapbayes import paths
from gapbayes.data.tidy import load_tidy
from gapbayes.inference.backends import PyMCBackend, SamplerSettings
from gapbayes.inference.inputs import load_fit_input
from gapbayes.model.bias_support import ESTIMATED, PRIOR_ONLY, bias_support
from gapbayes.model.frontier_design import EXPOSURE_RAMP_YEARS, build_frontier_data, exposure
from gapbayes.model.frontier_gaps import bias_terms_months, closed_growth_rate
from gapbayes.model.frontier_pymc import build_frontier_model, uses_contamination
from gapbayes.model.frontier_simulate import (
    CALM_WORLD,
    frontier_design,
    simulate_frontier_world,
    with_release_dates,
)
from gapbayes.model.spec import load_spec

SPEC = load_spec("default").with_changes(switches={"contamination": True})
START, END = "2022-06-01", "2026-03-31"


def test_exposure_known_values():
    model_time = np.array([-1.0, 0.0, 0.25, 0.5, 1.0, 3.0, 2.0])
    released = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, np.nan])
    assert EXPOSURE_RAMP_YEARS == 1.0
    assert exposure(model_time, released).tolist() == [0.0, 0.0, 0.25, 0.5, 1.0, 1.0, 0.0]


def _design(dated: bool = True, seed: int = 3):
    models, benchmarks, scores = frontier_design(n_models=80, n_benchmarks=8, seed=seed,
                                                 start=START, end=END)
    if dated:
        benchmarks = with_release_dates(benchmarks, START, END, seed=seed)
    return models, benchmarks, scores


def test_design_exposure_is_open_public_and_dated_only():
    models, benchmarks, scores = _design()
    data = build_frontier_data(models, benchmarks, scores, SPEC)
    released = pd.to_datetime(benchmarks.set_index("benchmark_id")["release_date"])
    release = models.set_index("model_id")["release_date"]
    for i in range(0, len(data.y), 7):
        b = data.bench_ids[data.obs_bench[i]]
        m = data.model_ids[data.obs_model[i]]
        base = data.base_ids[data.obs_base[i]]
        years = (pd.Timestamp(release[base]) - released[b]) / pd.Timedelta(days=365.25)
        expected = (float(np.clip(years, 0.0, 1.0))
                    if data.base_open[data.obs_base[i]] and pd.notna(released[b]) else 0.0)
        assert data.obs_exposure[i] == approx(expected, abs=1e-9), (m, b)
    assert (data.obs_exposure > 0).any() and (data.obs_exposure < 1).any()


def test_term_exists_only_with_the_switch_and_an_exposed_score():
    models, benchmarks, scores = _design()
    dated = build_frontier_data(models, benchmarks, scores, SPEC)
    undated = build_frontier_data(models, benchmarks.drop(columns="release_date"),
                                  scores, SPEC)
    off = load_spec("default")                    # the switch is off in the default spec
    assert uses_contamination(dated, SPEC) and not uses_contamination(dated, off)
    assert not uses_contamination(undated, SPEC)
    assert "contamination" in build_frontier_model(dated, SPEC).named_vars
    assert "contamination" not in build_frontier_model(undated, SPEC).named_vars
    assert "contamination" not in bias_support(dated)["term"].tolist()
    support = bias_support(dated, contamination=True).set_index("term").loc["contamination"]
    assert support["n_scores"] == int((dated.obs_exposure > 0).sum())
    assert support["status"] == ESTIMATED
    undated_row = bias_support(undated, contamination=True).set_index("term").loc["contamination"]
    assert (undated_row["n_scores"], undated_row["status"]) == (0, PRIOR_ONLY)


def test_bundled_data_support():
    inp = load_fit_input()
    data = build_frontier_data(inp.models, inp.benchmarks, inp.scores, SPEC)
    row = bias_support(data, contamination=True).set_index("term").loc["contamination"]
    # 1,085 open-model scores on 19 dated public benchmarks after their release (909 fully
    # exposed); 74 open base models met a benchmark less than fully exposed
    assert (row["n_scores"], row["contrast_base_models_same_benchmark"]) == (1085, 74)
    assert row["status"] == ESTIMATED


def _fit(truth: float):
    """A world simulated with contamination ``truth`` (same design, same other draws), fitted."""
    models, benchmarks, scores = _design(seed=5)
    world = simulate_frontier_world(models, benchmarks, scores, SPEC,
                                    fixed={**CALM_WORLD, "contamination": truth}, seed=6)
    data = build_frontier_data(world.models, world.benchmarks, world.scores, SPEC)
    settings = SamplerSettings(chains=2, draws=400, tune=400, seed=7, progressbar=False)
    return data, PyMCBackend().sample(data, SPEC, settings)["posterior"].to_dataset()


@pytest.fixture(scope="module")
def recovered():
    """Two worlds that differ only in the true contamination (+0.8 and -0.8), fitted."""
    return {truth: _fit(truth) for truth in (0.8, -0.8)}


def test_contamination_follows_the_truth_and_is_converted_at_its_scores_dates(recovered):
    """The term is weakly identified (each benchmark's own shift absorbs a constant, only
    open models that met a benchmark before full exposure tell them apart), and shrunk
    towards 0: on a larger design (120 models, 12 benchmarks) a truth of 0.8 fell just above
    its 90% interval (upper bound 0.78). What must hold is that the posterior follows the
    truth: its median has the truth's sign and moves by at least half of the true change."""
    med = {}
    for truth, (data, post) in recovered.items():
        draws = post["contamination"].values.ravel()
        med[truth] = float(np.median(draws))
        assert np.sign(med[truth]) == np.sign(truth), (truth, med[truth])
        # months of closed-frontier progress at the exposed scores' own release times
        only_overall = xr.DataArray([0.0], dims="group", coords={"group": ["overall"]})
        months = bias_terms_months(post, data, only_overall)["bias_contamination_months"]
        times = np.unique(data.base_time[data.obs_base][data.obs_exposure > 0])
        rate = closed_growth_rate(post, data, times)
        expected = (draws[:, None] / rate * 12.0).mean(axis=1)
        assert months.values.ravel() == approx(expected, rel=1e-9)
    assert med[0.8] - med[-0.8] >= 0.5 * 1.6, med


def test_a_tidy_table_written_before_release_date_existed_still_reads(tmp_path):
    tidy = tmp_path / "tidy"
    shutil.copytree(paths.bundled_data_dir() / "tidy", tidy)
    frame = pd.read_csv(tidy / "benchmarks.csv", dtype=str, keep_default_na=False)
    frame.drop(columns="release_date").to_csv(tidy / "benchmarks.csv", index=False)
    old = load_tidy(tmp_path)
    assert old.benchmarks["release_date"].isna().all()
    assert load_tidy().benchmarks["release_date"].notna().sum() == 30   # data/benchmarks.toml
