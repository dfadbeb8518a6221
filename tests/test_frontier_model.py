"""The frontier model's structure: parameters per switch, zero-sum terms, start points, prior."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

from gapbayes.errors import SpecError
from gapbayes.model.frontier_design import (
    build_frontier_data,
    has_deviation,
    own_shift_benchmarks,
)
from gapbayes.model.frontier_init import additive_start, chain_seeds, start_point_fn
from gapbayes.model.frontier_pymc import build_frontier_model, category_deviations
from gapbayes.model.frontier_simulate import frontier_design
from gapbayes.model.spec import load_spec

SPEC = load_spec("default")
# every multi-category cell has a deviation (the default deviates only where a cell is scored
# on two or more of its category's benchmarks)
ALL_DEV = SPEC.with_changes(switches={"category_deviations": "all"})


def _data(spec=SPEC, **design):
    models, benchmarks, scores = frontier_design(**{"n_models": 60, "n_benchmarks": 6,
                                                    "seed": 4, **design})
    return build_frontier_data(models, benchmarks, scores, spec)


def _free(data, spec=SPEC) -> set[str]:
    return {v.name for v in build_frontier_model(data, spec).free_RVs}


def test_switches_and_designs_remove_their_parameters():
    data = _data()
    full = _free(data)
    assert {"log_growth_partial", "category_trend_z", "ability", "effort", "effort_category_z",
            "benchmark_shift_z", "difficulty", "log_slope"} <= full
    nob = _free(data, load_spec("no-bias-terms"))
    assert full - nob == {"provider_penalty", "self_report_offset"} & full
    no_effort = _free(_data(effort_share=0.0))
    assert not {"effort", "effort_category_sd", "effort_category_z"} & no_effort
    flat = SPEC.with_changes(switches={"category_trends": False})
    assert not {"category_trend_z", "category_trend_sd"} & _free(data, flat)
    assert {"category_dev", "category_dev_z", "category_dev_sd"} <= _free(_data(ALL_DEV), ALL_DEV)
    nodev = SPEC.with_changes(switches={"category_deviations": "none"})
    assert not {"category_dev", "category_dev_z", "category_dev_sd"} & _free(_data(nodev), nodev)


def test_category_deviations_exist_only_for_multi_category_models():
    data = _data(ALL_DEV, n_models=80, n_benchmarks=8)
    assert data.cell_multi.any() and not data.cell_multi.all()
    with pm.Model(coords=data.coords()):
        w = category_deviations(data, pm.HalfNormal("sd", 1.0))
    dev = pm.draw(w, random_seed=0)                              # a prior draw of every term
    assert np.all(dev[data.cell_multi == 0] == 0.0)
    assert np.all(dev[data.cell_multi == 1] != 0.0)


def test_start_points_are_finite_data_driven_and_differ_by_chain():
    data = _data()
    model = build_frontier_model(data, SPEC)
    logp = model.compile_logp()
    start = start_point_fn(model, data, transformed=True)
    seeds = chain_seeds(0, 4)
    points = [start(s) for s in seeds]
    assert all(np.isfinite(logp(p)) for p in points)
    assert not np.allclose(points[0]["ability"], points[1]["ability"])
    # abilities start within the jitter of the additive fit, not at the frontier
    ability, _ = additive_start(data)
    assert np.max(np.abs(points[0]["ability"] - ability)) <= 0.5 + 1e-12
    again = start_point_fn(model, data, transformed=True)(seeds[0])
    assert all(np.array_equal(again[k], points[0][k]) for k in again)   # seed -> same start
    constrained = start_point_fn(model, data, transformed=False)(seeds[0])
    assert constrained["difficulty"].sum() == pytest.approx(0.0, abs=1e-9)


def test_start_points_compile_once_per_model_and_follow_new_scores(monkeypatch):
    """SBC asks one model for start points of every simulated dataset: no recompiling, and
    each dataset's points are the ones a freshly built model would give."""
    from gapbayes.sbc.backends import with_scores

    design = _data()
    rng = np.random.default_rng(0)
    data, shifted = (with_scores(design, {"y_sig_data": rng.uniform(0.2, 0.9, len(design.sig_idx))})
                     for _ in range(2))
    model = build_frontier_model(data, SPEC)
    first = start_point_fn(model, data, transformed=True)(7)
    compiled = []
    original = pm.initial_point.make_initial_point_fn
    monkeypatch.setattr(pm.initial_point, "make_initial_point_fn",
                        lambda **kw: compiled.append(1) or original(**kw))
    again = start_point_fn(model, data, transformed=True)(7)
    assert compiled == [] and all(np.array_equal(again[k], first[k]) for k in first)
    reused = start_point_fn(model, shifted, transformed=True)(7)
    fresh = start_point_fn(build_frontier_model(shifted, SPEC), shifted, transformed=True)(7)
    assert compiled == [1]                       # only the new model compiled
    assert not np.allclose(reused["ability"], first["ability"])
    assert all(np.array_equal(reused[k], fresh[k]) for k in fresh)


def test_the_prior_is_generative():
    data = _data()
    model = build_frontier_model(data, SPEC)
    draws = pm.sample_prior_predictive(draws=50, model=model, random_seed=1,
                                      compile_kwargs={"mode": "FAST_COMPILE"})
    y = draws["prior_predictive"]["y_sig"].values
    assert np.isfinite(y).all()
    F = draws["prior"]["frontier"].values                          # (1, 50, 2, G)
    assert np.all(np.diff(F, axis=-1) > 0)                          # monotone frontiers
    assert np.allclose(draws["prior"]["open_shift"].values.sum(axis=-1), 0.0, atol=1e-9)


def test_simulated_world_carries_its_scores():
    """The world's design arrays hold the simulated scores (a fit of world.data fits them)."""
    from gapbayes.model.frontier_simulate import CALM_WORLD, simulate_frontier_world

    spec = load_spec("default")
    models, benchmarks, scores = frontier_design(n_models=30, n_benchmarks=4, seed=2)
    world = simulate_frontier_world(models, benchmarks, scores, spec, fixed=CALM_WORLD, seed=3)
    data = world.data
    native = data.y * data.lin_scale[data.obs_bench] + data.lin_center[data.obs_bench]
    np.testing.assert_allclose(native, world.scores["score"].to_numpy())
    assert not np.allclose(data.y, build_frontier_data(models, benchmarks, scores, spec).y)


def test_identified_deviations_need_two_benchmarks_in_their_cell():
    spec = SPEC.with_changes(switches={"category_deviations": "identified"})
    data = _data(spec, n_models=80, n_benchmarks=8)
    # benchmarks per cell, counted from the scores directly
    seen: dict[int, set[int]] = {}
    for cell, bench in zip(data.obs_cell.tolist(), data.obs_bench.tolist(), strict=True):
        seen.setdefault(cell, set()).add(bench)
    n_bench = np.array([len(seen.get(c, ())) for c in range(len(data.cell_base))])
    dev = has_deviation(data)
    assert dev.any() and ((data.cell_multi == 1) & (n_bench == 1)).any()
    assert np.array_equal(dev, (data.cell_multi == 1) & (n_bench >= 2))
    assert SPEC.switches["category_deviations"] == "identified"    # the default
    assert has_deviation(_data(ALL_DEV, n_models=80, n_benchmarks=8)).sum() > dev.sum()
    assert "category_dev_sd" in _free(data, spec)


def test_the_deviation_switch_names_its_values():
    with pytest.raises(SpecError, match=r"\[switches\] category_deviations must be 'all', "
                                        r"'identified' or 'none'"):
        SPEC.with_changes(switches={"category_deviations": "some"})


def _categories(categories: list[str], spec=SPEC):
    models, benchmarks, scores = frontier_design(n_models=60, n_benchmarks=len(categories),
                                                 seed=4)
    benchmarks = benchmarks.assign(category=categories)
    return build_frontier_data(models, benchmarks, scores, spec)


def test_a_benchmark_alone_in_its_category_has_no_shift_term_of_its_own():
    # b00 is the only maths benchmark: its category shift is all the data can tell apart
    data = _categories(["math", "reasoning", "reasoning", "coding_agentic", "coding_agentic",
                        "reasoning"])
    assert own_shift_benchmarks(data).tolist() == [1, 2, 3, 4, 5]
    model = build_frontier_model(data, SPEC)
    assert model.named_vars_to_dims["benchmark_shift_z"] == ("shift_benchmark",)
    assert list(model.coords["shift_benchmark"]) == [data.bench_ids[b] for b in range(1, 6)]
    draws = pm.draw([model["benchmark_shift"], model["open_shift"]], draws=200, random_seed=1)
    term, shift = draws
    assert np.all(term[:, 0] == 0.0) and np.all(np.abs(term[:, 1:]) > 0)
    np.testing.assert_allclose(term.sum(axis=1), 0.0, atol=1e-9)   # still a zero sum
    np.testing.assert_allclose(shift.mean(axis=1), 0.0, atol=1e-9)  # the mean stays 0
    # one category: every benchmark has its own term; all alone: no term and no sd
    assert own_shift_benchmarks(_categories(["math"] * 3)).tolist() == [0, 1, 2]
    lone = _categories(["math", "reasoning", "coding_agentic"])
    assert own_shift_benchmarks(lone).size == 0
    assert not {"benchmark_shift_sd", "benchmark_shift_z"} & _free(lone)
