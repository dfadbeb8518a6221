"""The frontier model's design builder: base models, effort classes, cells, time grid, window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapbayes.model.effort_classes import effort_class, effort_suffix
from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_grid import trend_prior, zero_sum_basis
from gapbayes.model.frontier_simulate import frontier_design
from gapbayes.model.label_errors import GENERIC
from gapbayes.model.spec import load_spec

SPEC = load_spec("default")


@pytest.mark.parametrize(("suffix", "expected"), [
    ("", "default"), ("unknown", "default"), ("none", "minimal"), ("minimal", "minimal"),
    ("low", "low"), ("1K", "low"), ("2K", "low"), ("8K", "medium"), ("12K", "medium"),
    ("16k", "high"), ("thinking", "high"), ("32K", "high"), ("59K", "xhigh"),
    ("max", "xhigh"), ("xhigh", "xhigh"), ("weird", "default"),
])
def test_effort_classes(suffix, expected):
    assert effort_class(suffix) == expected


def test_effort_suffix_strips_host_prefix_and_base():
    assert effort_suffix("gpt-5.1-2025-11-13_low", "gpt-5.1-2025-11-13") == "low"
    assert effort_suffix("chutes/gpt-oss-120b_high", "gpt-oss-120b") == "high"
    assert effort_suffix("chutes/DeepSeek-R1-0528", "DeepSeek-R1-0528") == ""
    assert effort_suffix("MiniCPM-V-2_6", "MiniCPM-V-2_6") == ""


@pytest.fixture(scope="module")
def design():
    models, benchmarks, scores = frontier_design(n_models=80, n_benchmarks=8, seed=3)
    scores = scores.copy()
    return models, benchmarks, scores, build_frontier_data(models, benchmarks, scores, SPEC)


def test_effort_variants_share_their_base_model(design):
    models, _, _, data = design
    ids = data.model_ids
    for i, m in enumerate(ids):
        if m.endswith("_high"):
            j = ids.index(m.removesuffix("_high"))
            assert data.model_base[i] == data.model_base[j]
            assert data.effort_names[data.model_effort[i]] == "high"
            assert data.model_effort[j] == 0
    fitted = models[models["model_id"].isin(ids)]
    assert len(data.base_ids) == fitted["base_model"].nunique() < len(ids)


def test_cells_and_their_flags(design):
    *_, data = design
    # every score belongs to the cell of its base model and its benchmark's category
    assert np.array_equal(data.cell_base[data.obs_cell], data.obs_base)
    assert np.array_equal(data.cell_category[data.obs_cell], data.bench_category[data.obs_bench])
    n_cat = np.bincount(data.cell_base, minlength=len(data.base_ids))
    assert np.array_equal(data.cell_multi, (n_cat[data.cell_base] > 1).astype(int))
    n_obs = np.bincount(data.obs_cell, minlength=len(data.cell_base))
    assert np.array_equal(data.cell_rich, (n_obs >= 3).astype(int))


def test_category_shift_basis_sums_to_zero_over_benchmarks(design):
    *_, data = design
    counts = np.bincount(data.bench_category, minlength=len(data.category_names))
    assert np.allclose(counts @ data.shift_category_basis, 0.0)


def test_window_runs_from_both_groups_to_last_open_release(design):
    models, *_, data = design
    first = models.groupby("access")["release_date"].min().max().to_period("M")
    last_open = models.loc[models["access"] == "open", "release_date"].max()
    assert data.report_dates[0] == str(first)
    assert data.report_dates[-1] == str(last_open.to_period("M"))
    lo, hi = data.window
    assert data.growth_knots[lo] <= data.base_time.min() <= data.growth_knots[lo + 1]
    assert data.growth_knots[hi - 1] <= data.base_time.max() <= data.growth_knots[hi]
    # the grid reaches back lead_months and ahead forecast_months
    assert data.grid_time[0] <= data.base_time.min() - SPEC.time["lead_months"] / 12 + 1 / 12
    assert data.grid_time[-1] >= data.base_time.max() + SPEC.time["forecast_months"] / 12 - 1 / 12


def test_trend_basis_is_orthonormal_and_zero_sum_under_its_weights():
    w = np.array([5.0, 0.0, 2.0, 1.0])
    q = zero_sum_basis(w)
    assert np.allclose(q.T @ q, np.eye(3))
    assert np.allclose(w @ q, 0.0)


def test_trend_prior_is_the_random_walk_prior_on_the_constrained_space():
    knots = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    bases = np.stack([zero_sum_basis(np.ones(3)) for _ in knots])
    L = trend_prior(knots, origin=2, bases=bases)
    rng = np.random.default_rng(0)
    eta = L @ rng.standard_normal((L.shape[0], 40000))
    # knot values h_j = Q eta_j; the walk is 0 at the origin, so h at +-1 year has variance
    # (C-1)/C per category (a unit random walk projected on the zero-sum plane) and
    # increments are independent
    h = np.stack([bases[j] @ eta[i * 2:(i + 1) * 2] for i, j in enumerate([0, 1, 3, 4])])
    var_one_year = h[2].var(axis=1)          # knot +1
    assert np.allclose(var_one_year, 2 / 3, rtol=0.05)
    inc = h[3] - h[2]
    assert abs(np.corrcoef(inc[0], h[2][0])[0, 1]) < 0.02


def test_ceiling_priors_from_label_error_facts():
    models, benchmarks, scores = frontier_design(n_models=60, n_benchmarks=4, seed=1)
    benchmarks = benchmarks.copy()
    benchmarks.loc[0, "benchmark_id"] = "mmlu"
    scores = scores.replace({"benchmark_id": {"b00": "mmlu"}})
    data = build_frontier_data(models, benchmarks, scores, SPEC)
    k = data.bench_ids.index("mmlu")
    assert data.ceiling_mu[k] == pytest.approx(np.log(0.065 / 0.935))
    assert "Gema et al. 2024" in data.ceiling_source[k]
    others = [i for i in range(len(data.bench_ids)) if i != k]
    assert all(data.ceiling_source[i] == GENERIC for i in others)
    assert np.all(data.ceiling_mu[others] == SPEC.prior("ceiling_logit")["mu"])


def test_needs_open_and_closed_models(design):
    models, benchmarks, scores, _ = design
    closed_only = models[models["access"] == "closed"]
    sc = scores[scores["model_id"].isin(closed_only["model_id"])]
    spec = SPEC.with_changes(data={"min_models_per_group": 0, "min_above_floor": 0})
    with pytest.raises(ValueError, match="needs open and closed models"):
        build_frontier_data(closed_only, benchmarks, sc, spec)


def test_models_without_base_model_column_are_their_own_base(design):
    models, benchmarks, scores, _ = design
    data = build_frontier_data(models.drop(columns="base_model"), benchmarks, scores, SPEC)
    assert len(data.base_ids) == len(data.model_ids)
    assert isinstance(data.origin, pd.Timestamp)
