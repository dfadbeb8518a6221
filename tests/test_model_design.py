import numpy as np
import pandas as pd
import pytest

from gapbayes.errors import SpecError
from gapbayes.inference.design_io import load_design, save_design
from gapbayes.model.design import (
    EmptySelection,
    build_model_data,
    interp_matrix,
    nonempty_selection,
    random_walk_matrix,
)
from gapbayes.model.simulate import synthetic_design
from gapbayes.model.spec import load_spec


def test_interp_matrix_interpolates_linearly_and_is_flat_outside():
    knots = np.array([0.0, 1.0, 3.0])
    f = np.array([1.0, 3.0, -1.0])
    x = np.array([-1.0, 0.0, 0.5, 2.0, 3.0, 9.0])
    np.testing.assert_allclose(interp_matrix(x, knots) @ f, [1.0, 1.0, 2.0, 1.0, -1.0, -1.0])


def test_random_walk_is_zero_at_reference_with_sqrt_time_steps():
    knots = np.array([-1.0, -0.5, 0.0, 0.25, 1.25])
    L = random_walk_matrix(knots, ref=2)
    z = np.array([1.0, 1.0, 1.0, 1.0])
    rw = L @ z
    assert rw[2] == 0.0
    np.testing.assert_allclose(rw, [-2 * np.sqrt(0.5), -np.sqrt(0.5), 0, 0.5, 1.5])
    # variance of the walk at a knot equals its distance in years from the reference
    np.testing.assert_allclose((L**2).sum(axis=1), np.abs(knots))


def test_mean_centred_random_walk_has_zero_mean_and_same_increments():
    knots = np.array([0.0, 0.25, 0.5, 1.0])
    L = random_walk_matrix(knots)
    z = np.array([0.3, -1.2, 2.0])
    rw = L @ z
    assert abs(rw.mean()) < 1e-12
    np.testing.assert_allclose(np.diff(rw), z * np.sqrt(np.diff(knots)))


def _tables():
    models, benchmarks, scores = synthetic_design(n_models=60, n_benchmarks=6, n_linear=1, seed=3)
    scores["score"] = 0.5
    scores.loc[scores["benchmark_id"] == "b00", "score"] = np.linspace(
        1, 100, (scores["benchmark_id"] == "b00").sum())
    return models, benchmarks, scores


def test_inclusion_rule_drops_benchmarks_without_enough_open_models():
    models, benchmarks, scores = _tables()
    open_ids = set(models.loc[models["access"] == "open", "model_id"])
    # b05 keeps only two open models
    b05_open = scores[(scores["benchmark_id"] == "b05") & scores["model_id"].isin(open_ids)]
    scores = scores.drop(b05_open.index[2:])
    data = build_model_data(models, benchmarks, scores, load_spec("timeshift-v1"))
    assert "b05" not in data.bench_ids
    row = data.inclusion.set_index("benchmark_id").loc["b05"]
    assert not row["included"] and row["open_models"] == 2
    assert "fewer than 3 open or closed models" in row["reason"]


def test_a_benchmark_whose_group_never_leaves_the_chance_floor_is_left_out():
    models, benchmarks, scores = _tables()
    benchmarks.loc[benchmarks["benchmark_id"] == "b03", ["link", "chance"]] = ["sigmoid", 0.25]
    closed_ids = set(models.loc[models["access"] == "closed", "model_id"])
    b03_closed = scores[(scores["benchmark_id"] == "b03") & scores["model_id"].isin(closed_ids)]
    # every closed model within 0.02 of the 4-choice floor
    scores.loc[b03_closed.index, "score"] = 0.26
    spec = load_spec("timeshift-v1")
    data = build_model_data(models, benchmarks, scores, spec)
    assert "b03" not in data.bench_ids
    row = data.inclusion.set_index("benchmark_id").loc["b03"]
    assert not row["included"] and row["closed_above_floor"] == 0
    assert row["closed_models"] == len(b03_closed)              # scored, but at the floor
    assert row["reason"] == ("fewer than 1 open or closed models scoring above the chance "
                             "floor + 0.02")
    # one closed model off the floor is enough at min_above_floor = 1, not at 2
    scores.loc[b03_closed.index[0], "score"] = 0.6
    assert "b03" in build_model_data(models, benchmarks, scores, spec).bench_ids
    stricter = spec.with_changes(data={"min_above_floor": 2})
    assert "b03" not in build_model_data(models, benchmarks, scores, stricter).bench_ids
    # with no margin a score of 0.26 is above the floor of 0.25: the benchmark is back
    scores.loc[b03_closed.index[0], "score"] = 0.26
    loose = build_model_data(models, benchmarks, scores,
                             spec.with_changes(data={"floor_margin": 0.0}))
    assert "b03" in loose.bench_ids
    # the linear benchmark has no floor: its scores always count
    scores.loc[scores["benchmark_id"] == "b00", "score"] = 0.001
    assert "b00" in build_model_data(models, benchmarks, scores, spec).bench_ids


def test_a_selection_left_empty_by_the_floor_names_that_rule():
    models, benchmarks, scores = _tables()
    benchmarks["link"], benchmarks["chance"] = "sigmoid", 0.25
    closed_ids = set(models.loc[models["access"] == "closed", "model_id"])
    scores.loc[scores["model_id"].isin(closed_ids), "score"] = 0.25
    with pytest.raises(EmptySelection, match=r"no benchmark has 1 open and 1 closed models "
                       r"scoring above its chance floor \+ 0\.02 \(best: b\d\d, \d+ open and "
                       r"0 closed\); lower \[data\] min_above_floor or floor_margin, or add "
                       r"scores$"):
        nonempty_selection(models, benchmarks, scores, load_spec("timeshift-v1"))


def test_floor_margin_outside_the_scale_is_refused():
    with pytest.raises(SpecError, match=r"\[data\] floor_margin must be a number from 0 to 1 "
                                        r"\(proportion of the scale\), got 1.5"):
        load_spec("default").with_changes(data={"floor_margin": 1.5})
    with pytest.raises(SpecError, match=r"\[data\] min_above_floor must be an integer >= 0, "
                                        r"got -1"):
        load_spec("default").with_changes(data={"min_above_floor": -1})


def test_models_before_start_date_and_unknown_access_are_left_out():
    models, benchmarks, scores = _tables()
    models.loc[0, "release_date"] = pd.Timestamp("2022-06-01")
    models.loc[1, "access"] = "unknown"
    data = build_model_data(models, benchmarks, scores, load_spec("timeshift-v1"))
    assert "m000" not in data.model_ids and "m001" not in data.model_ids


def test_linear_benchmarks_are_standardised_and_indices_consistent():
    models, benchmarks, scores = _tables()
    data = build_model_data(models, benchmarks, scores, load_spec("timeshift-v1"))
    lin = data.bench_ids.index("b00")
    rows = data.obs_bench == lin
    assert data.bench_linear[lin] == 1
    assert abs(data.y[rows].mean()) < 1e-12 and abs(data.y[rows].std() - 1) < 1e-12
    # every observation points at a model and benchmark that exist
    assert data.obs_model.max() < len(data.model_ids)
    assert set(data.sig_idx) | set(data.lin_idx) == set(range(len(data.y)))
    # the frontier grid contains the origin and reaches back four years before the first model
    assert data.grid_time[data.grid_origin] == 0.0
    assert data.grid_time[0] <= data.model_time.min() - 4.0 + 1 / 12


def test_percent_and_log_transforms():
    models, benchmarks, scores = _tables()
    benchmarks.loc[benchmarks["benchmark_id"] == "b01", "transform"] = "percent_to_proportion"
    benchmarks.loc[benchmarks["benchmark_id"] == "b00", "transform"] = "log"
    sel = scores["benchmark_id"] == "b01"
    scores.loc[sel, "score"] = 40.0
    scores.loc[sel, "stderr"] = 2.0
    scores.loc[scores["benchmark_id"] == "b00", "stderr"] = 3.0
    data = build_model_data(models, benchmarks, scores, load_spec("timeshift-v1"))
    b01 = data.obs_bench == data.bench_ids.index("b01")
    np.testing.assert_allclose(data.y[b01], 0.4)
    np.testing.assert_allclose(data.se[b01], 0.02)
    assert data.obs_binomial[b01].sum() == 0  # a file stderr replaces the binomial variance


def test_model_data_round_trips_through_npz(tmp_path):
    models, benchmarks, scores = _tables()
    data = build_model_data(models, benchmarks, scores, load_spec("timeshift-v1"))
    save_design(data, tmp_path / "design.npz")
    back = load_design(tmp_path / "design.npz")
    assert type(back) is type(data)
    assert back.model_ids == data.model_ids and back.report_dates == data.report_dates
    np.testing.assert_array_equal(back.gap_interp_model, data.gap_interp_model)
    pd.testing.assert_frame_equal(back.inclusion, data.inclusion, check_dtype=False)


def test_frontier_data_round_trips_through_npz(tmp_path):
    from gapbayes.model.frontier_design import build_frontier_data
    from gapbayes.model.frontier_simulate import frontier_design

    models, benchmarks, scores = frontier_design(n_models=50, n_benchmarks=5, seed=2)
    data = build_frontier_data(models, benchmarks, scores,
                               load_spec("default"))
    save_design(data, tmp_path / "design.npz")
    back = load_design(tmp_path / "design.npz")
    assert type(back) is type(data)
    assert back.window == data.window and isinstance(back.window, tuple)
    assert back.effort_names == data.effort_names and back.base_ids == data.base_ids
    np.testing.assert_array_equal(back.trend_chol, data.trend_chol)
    assert back.last_open_time == data.last_open_time


def test_no_scores_left_is_a_clear_error():
    models, benchmarks, scores = _tables()
    with pytest.raises(ValueError, match="no scores left after the spec's inclusion rule"):
        build_model_data(models, benchmarks, scores.iloc[:0], load_spec("timeshift-v1"))
