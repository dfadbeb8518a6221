"""The independent world generator reproduces its own truths and writes valid tidy tables.

Checked: no code shared with the fitted model; the true gap against hand-computed values;
evaluated closed:open counts near the target ratio; host cost, self-report inflation and
tuning boost as the known score differences (exactly on expected scores, within Monte Carlo
error on observed ones); saturating benchmarks; the tables pass gapbayes' own validation and
the fitted model's design reads the host and self-report flags.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gapbayes.data import load_tidy
from gapbayes.errors import GapbayesError
from gapbayes.worlds import WorldConfig, generate_world, validate_world, write_world
from gapbayes.worlds.benchmarks import saturates_in_window
from gapbayes.worlds.config import to_date, years
from gapbayes.worlds.curves import backward_gap

WORLDS = Path(__file__).resolve().parent.parent / "gapbayes" / "worlds"
ALLOWED = ("gapbayes.data", "gapbayes.errors", "gapbayes.worlds")


def test_worlds_share_no_code_with_the_model():
    imported = set()
    for path in WORLDS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
    ours = {m for m in imported if m.split(".")[0] == "gapbayes"}
    assert ours and all(m.startswith(ALLOWED) for m in ours), sorted(ours)
    assert {m.split(".")[0] for m in imported} <= {"gapbayes", "numpy", "pandas", "json",
                                                   "dataclasses", "pathlib", "typing",
                                                   "collections", "__future__"}


def test_backward_gap_by_hand_on_linear_curves():
    # F_closed = 1.5 t, F_open = 2 t - 1: F_closed(s) = F_open(t) at s = (2t - 1) / 1.5
    t = np.array([0.0, 0.5, 1.0])
    gap = backward_gap(t, lambda x: 1.5 * x, lambda x: 2.0 * x - 1.0)
    assert np.allclose(gap, 12 * (t - (2 * t - 1) / 1.5), atol=0.01)   # 8, 6, 4 months
    assert np.allclose(gap, [8.0, 6.0, 4.0], atol=0.01)


def test_linear_world_gap_is_the_open_lag_path():
    """One lab per group, no drift, linear trajectory: D(t) is the open lag path G(t)."""
    cfg = WorldConfig(trajectory="linear", n_closed_labs=1, n_open_labs=1, lab_drift_sd=0.0,
                      gap_path=(("2022-06-01", 10.0), ("2026-03-31", 4.0)))
    world = generate_world(cfg, seed=3)
    t0, t1 = years(pd.Timestamp("2022-06-01")), years(pd.Timestamp("2026-03-31"))
    t = years(pd.Timestamp("2024-01-01"))
    by_hand = 10.0 + (4.0 - 10.0) * (t - t0) / (t1 - t0)
    assert world.truth.gap_at(["2024-01-01"])[0] == pytest.approx(by_hand, abs=0.01)
    path = world.truth.gap
    expected = 10.0 + (4.0 - 10.0) * (path["t"] - t0) / (t1 - t0)
    assert np.allclose(path["gap_months"], expected, atol=0.01)


@pytest.mark.parametrize("ratio", [1.0, 5.0, 10.0])
def test_evaluated_counts_follow_the_ratio(ratio):
    """Pooled over three worlds of 200 releases, closed:open evaluated pairs are within 20%
    of the target (the open count at 10:1 is ~50 per world: Poisson sd ~8% pooled)."""
    cfg = WorldConfig(n_models=200, ratio=ratio)
    closed = opened = 0
    for seed in range(3):
        terms = generate_world(cfg, seed=seed).truth.terms
        assert terms["ratio_expected"] == pytest.approx(ratio, rel=1e-6)
        closed += terms["evaluated_pairs"]["closed"]
        opened += terms["evaluated_pairs"]["open"]
    assert closed / opened == pytest.approx(ratio, rel=0.2)


@pytest.fixture(scope="module")
def rich_world():
    """Many contrasts: every host-served pair has a first-party run, many self-reports."""
    cfg = WorldConfig(n_models=200, host_cost=6.0, host_pair_share=1.0,
                      self_report_share=0.3, self_pair_share=1.0, overdispersion=0.02)
    return generate_world(cfg, seed=5)


def _pairs(runs: pd.DataFrame, left: pd.Series, right: pd.Series) -> pd.DataFrame:
    keys = ["benchmark_id", "base_model"]
    return runs[left].merge(runs[right], on=keys, suffixes=("_a", "_b"))


def test_host_cost_is_the_score_difference_of_the_same_weights(rich_world):
    runs = rich_world.truth.runs
    independent = runs["source"] == "independent evaluator"
    pairs = _pairs(runs, independent & (runs["host"] != ""), independent & (runs["host"] == ""))
    assert len(pairs) >= 30
    costs = rich_world.truth.terms["host_costs_points"]
    known = pairs["host_a"].map(costs) / 100.0
    inside = (pairs["p_expected_a"] > 0) & (pairs["p_expected_b"] < 1)   # no clipping
    diff = pairs["p_expected_a"] - pairs["p_expected_b"]
    assert np.allclose(diff[inside], -known[inside])
    # observed scores: the mean paired difference is the mean known cost, within 3 se
    obs = pairs["observed_a"] - pairs["observed_b"]
    se = obs.std(ddof=1) / np.sqrt(len(obs))
    assert abs(obs.mean() + known.mean()) < 3 * se + 0.002
    assert rich_world.truth.terms["host_cost_points"] == 6.0
    # the tidy scores carry the flag and the host-prefixed id with its base model
    sc = rich_world.scores
    host_ids = set(sc.loc[sc["third_party_host"], "model_id"])
    models = rich_world.models.set_index("model_id")
    assert host_ids and all(models.at[m, "base_model"] == m.split("/", 1)[1] for m in host_ids)


def test_self_report_inflation_is_the_score_difference(rich_world):
    runs = rich_world.truth.runs
    first_party = runs["host"] == ""
    pairs = _pairs(runs, runs["self_reported"],
                   first_party & (runs["source"] == "independent evaluator"))
    assert len(pairs) >= 30
    inside = (pairs["p_expected_a"] < 1) & (pairs["p_expected_b"] > 0)
    diff = pairs["p_expected_a"] - pairs["p_expected_b"]
    assert np.allclose(diff[inside], rich_world.truth.terms["self_inflation_points"] / 100.0)


def test_tuning_boost_only_for_tuned_open_models_on_public_benchmarks(rich_world):
    runs = rich_world.truth.runs
    bases = rich_world.truth.bases.set_index("model_id")
    public = {b.benchmark_id for b in rich_world.truth.benchmarks if b.public}
    should = runs["base_model"].map(bases["tuned"]) & runs["benchmark_id"].isin(public)
    assert should.any() and (runs.loc[should, "tuning"] == 0.04).all()
    assert (runs.loc[~should, "tuning"] == 0.0).all()
    assert not bases.loc[bases["access"] == "closed", "tuned"].any()


def test_contamination_grows_with_exposure_for_open_models_on_public_benchmarks():
    """6 points at two years of exposure: half of it one year after the benchmark appeared,
    nothing for closed models, private benchmarks or runs made before the benchmark existed
    (retroactive runs); the benchmarks table dates each benchmark by its appearance."""
    world = generate_world(WorldConfig(n_models=150, contamination=6.0), seed=3)
    runs = world.truth.runs
    bases = world.truth.bases.set_index("model_id")
    benches = {b.benchmark_id: b for b in world.truth.benchmarks}
    intro = runs["benchmark_id"].map(lambda b: benches[b].intro)
    public = runs["benchmark_id"].map(lambda b: benches[b].public)
    is_open = runs["access"] == "open"
    age = runs["base_model"].map(bases["t"]) - intro
    expected = np.where(is_open & public, 0.06 * np.clip(age / 2.0, 0.0, 1.0), 0.0)
    assert np.allclose(runs["contamination"], expected)
    assert (runs["contamination"] == 0.06).any() and ((runs["contamination"] > 0)
                                                        & (runs["contamination"] < 0.06)).any()
    assert ((age < 0) & is_open & public).any()      # retroactive runs: not exposed
    assert world.truth.terms["contamination_points"] == 6.0
    dated = world.benchmarks.set_index("benchmark_id")["release_date"]
    for b, bench in benches.items():
        assert abs((dated[b] - to_date(bench.intro)).days) == 0
    assert generate_world(WorldConfig(n_models=150), seed=3).truth.runs["contamination"].eq(
        0.0).all()


def test_some_benchmarks_saturate_inside_the_window(rich_world):
    flags = [saturates_in_window(b, rich_world.config) for b in rich_world.truth.benchmarks]
    assert any(flags) and not all(flags)


def test_tables_pass_gapbayes_validation_and_reload(rich_world, tmp_path):
    validate_world(rich_world)
    write_world(rich_world, tmp_path)
    tidy = load_tidy(tmp_path)
    pd.testing.assert_frame_equal(tidy.scores, rich_world.scores)
    pd.testing.assert_frame_equal(tidy.models, rich_world.models)
    pd.testing.assert_frame_equal(tidy.benchmarks, rich_world.benchmarks)
    assert (tmp_path / "truth" / "gap.csv").is_file()


def test_the_model_design_reads_the_world_flags(rich_world):
    from gapbayes.model.frontier_design import build_frontier_data
    from gapbayes.model.spec import load_spec

    data = build_frontier_data(rich_world.models, rich_world.benchmarks, rich_world.scores,
                               load_spec("default"))
    kept = rich_world.scores["benchmark_id"].isin(data.bench_ids)
    sc = rich_world.scores[kept]
    assert data.obs_host.sum() == sc["third_party_host"].sum() > 0
    assert data.obs_self.sum() == sc["self_reported"].sum() > 0
    # host variants share their base model's ability: fewer base models than model ids
    assert len(data.base_ids) < len(data.model_ids)


def test_same_seed_same_world_and_bad_config_is_one_line():
    cfg = WorldConfig(n_models=60)
    a, b = generate_world(cfg, seed=2), generate_world(cfg, seed=2)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    assert not generate_world(cfg, seed=3).scores.equals(a.scores)
    with pytest.raises(GapbayesError, match="ratio must be > 0"):
        replace(cfg, ratio=0.0)
