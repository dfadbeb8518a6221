"""Per-benchmark gaps and whether a benchmark still discriminates where its gap is read."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from test_frontier_gaps import SPEC, closed_curve, data, posterior  # noqa: F401

from gapbayes.commands.summary_by import print_benchmarks
from gapbayes.errors import GapbayesError
from gapbayes.inference.fit_tables import benchmark_gaps
from gapbayes.model.frontier_gaps import gap_quantities
from gapbayes.model.saturation import identification_table

__all__ = ["SPEC", "data"]


def _with_links(post, data, difficulty: float, slope: float = 1.0):
    """Add the same difficulty and slope for every sigmoid benchmark to a fake posterior."""
    n = len(data.sig_benchmarks)
    draws = post.sizes["draw"]
    post["difficulty"] = (("chain", "draw", "sig_benchmark"), np.full((1, draws, n), difficulty))
    post["slope"] = (("chain", "draw", "sig_benchmark"), np.full((1, draws, n), slope))
    return post


def test_positions_follow_the_link_at_both_frontiers(data):  # noqa: F811
    # open frontier 1 capability unit below the closed one; difficulty 2 units above the
    # closed frontier at the last named time
    post = posterior(data, lambda t: closed_curve(t) - 1.0)
    t_last = data.report_time[-1]
    post = _with_links(post, data, difficulty=float(closed_curve(t_last)) + 2.0, slope=1.5)
    g = gap_quantities(post, data)
    pos = g["benchmark_position"].isel(date=-1)
    b = data.sig_benchmarks[0]
    logistic = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    closed, opened = (float(pos.sel(side=s).values[0, 0, b]) for s in ("closed", "open"))
    assert closed == pytest.approx(logistic(1.5 * -2.0), rel=1e-3)
    assert opened == pytest.approx(logistic(1.5 * -3.0), rel=1e-3)
    # the per-benchmark gap is the group gap when every shift is 0
    gb = g["gap_benchmark"].sel(direction="backward").isel(date=-1).values[0, 0]
    overall = g["gap_at_date"].sel(group="overall", direction="backward").isel(date=-1)
    assert np.allclose(gb, float(overall.values[0, 0]))


def test_saturated_and_floored_benchmarks_are_not_identified(data):  # noqa: F811
    post = posterior(data, lambda t: closed_curve(t) - 1.0)
    t_last = data.report_time[-1]
    table_for = {}
    for label, offset in (("saturated", -6.0), ("floor", 8.0), ("inside", 0.5)):
        p = _with_links(post.copy(), data, difficulty=float(closed_curve(t_last)) + offset)
        merged = p.merge(gap_quantities(p, data))
        table = benchmark_gaps(merged, data)
        last = table[table["date"].str.startswith("last")]
        table_for[label] = last.set_index(["benchmark", "direction"])
    b = data.bench_ids[data.sig_benchmarks[0]]
    assert table_for["saturated"].loc[(b, "backward"), "reason"] == "saturated"
    assert table_for["floor"].loc[(b, "backward"), "reason"] == "at the floor"
    assert bool(table_for["inside"].loc[(b, "backward"), "identified"])
    assert not bool(table_for["saturated"].loc[(b, "backward"), "identified"])


def test_linear_benchmarks_always_discriminate():
    positions = np.full((10, 1, 1, 2), np.nan)
    table = identification_table(positions, SimpleNamespace(bench_ids=["elo"]), ["last"])
    assert table["identified"].all() and (table["reason"] == "").all()


def _loaded(table: pd.DataFrame | None):
    tables = {} if table is None else {"benchmark_gaps": table}
    return SimpleNamespace(tables=tables, manifest={"name": "r"}, path=Path("results/r"))


def test_summary_by_benchmark_marks_saturation():
    row = {"benchmark": "mmlu", "name": "MMLU", "date": "last (2026-04)", "median": 4.0,
           "eti50_lo": 3.0, "eti50_hi": 5.0, "eti90_lo": 1.0, "eti90_hi": 9.0,
           "open_position": 0.995, "closed_position": 0.998, "identified": False,
           "reason": "saturated"}
    table = pd.DataFrame([{**row, "direction": "backward"}, {**row, "direction": "forward"}])
    out = io.StringIO()
    print_benchmarks(_loaded(table), "text", out)
    text = out.getvalue()
    assert "not identified (saturated: open frontier at 0.99 of the range)" in text
    assert "forecast" in text
    assert "1 of 1 benchmarks no longer discriminate" in text
    with pytest.raises(GapbayesError, match=r"results/r: no posterior.nc to compute the gap"):
        print_benchmarks(_loaded(None), "text", io.StringIO())


def test_gaps_outside_a_categorys_data_are_not_identified():
    """A category scored only from mid-2025: its trend before that is the walk's extrapolation.

    With a constant 6-month delay and every link inside its range, the rule is exact: a gap at
    t is identified when t and its matched date (t - 6 months backward, t + 6 months forward)
    lie within 3 months of the category's first and last scored release (forward: a matched
    date past the last one is a forecast instead).
    """
    from test_frontier_gaps import closed_curve, posterior

    from gapbayes.model.frontier_design import build_frontier_data
    from gapbayes.model.frontier_gaps import named_times
    from gapbayes.model.frontier_simulate import frontier_design
    from gapbayes.model.saturation import OUTSIDE_DATA, category_data_span

    models, benchmarks, scores = frontier_design(n_models=80, n_benchmarks=6, seed=5)
    late = set(models.loc[models["release_date"] >= "2025-06-01", "model_id"])
    maths = set(benchmarks.loc[benchmarks["category"] == "math", "benchmark_id"])
    keep = ~scores["benchmark_id"].isin(maths) | scores["model_id"].isin(late)
    data = build_frontier_data(models, benchmarks, scores[keep].assign(score=0.5), SPEC)
    post = posterior(data, lambda t: closed_curve(t - 0.5), benchmark_shift_sd=0.01)
    post["benchmark_shift"] = xr.zeros_like(post["open_shift"])
    t_last = data.report_time[-1]
    post = _with_links(post, data, difficulty=float(closed_curve(t_last)) + 0.5, slope=0.3)
    knots = np.zeros((1, post.sizes["draw"], len(data.trend_knots), len(data.category_names)))
    post["category_trend_knots"] = (("chain", "draw", "trend_knot", "category"), knots)
    merged = post.merge(gap_quantities(post, data))
    table = benchmark_gaps(merged, data).set_index(["benchmark", "date", "direction"])

    span = category_data_span(data)
    named = [str(d) for d in merged["date"].values]
    times = named_times(data)
    assert list(times) == named
    math_c = data.category_names.index("math")
    assert span[math_c, 0] >= 1.41                        # first maths score from 2025-06
    for b, bench in enumerate(data.bench_ids):
        lo, hi = span[data.bench_category[b]] + np.array([-0.25, 0.25])
        for date in named:
            t = times[date]
            for direction, other in (("backward", t - 0.5), ("forward", t + 0.5)):
                row = table.loc[(bench, date, direction)]
                # forward: a solution past the category's data is a forecast, not excluded
                inside = lo <= t <= hi and lo <= other and (other <= hi or direction == "forward")
                assert bool(row["identified"]) == inside, (bench, date, direction)
                assert row["reason"] == ("" if inside else OUTSIDE_DATA)
    # near 2025-01-20 the maths category has no identified benchmark and no new-benchmark gap
    at = merged["gap_identified_at_date"].sel(group="category:math", date=named[0])
    assert (at["n_identified_at_date"].values == 0).all()
    assert np.isnan(at.values).all()
    new = merged["gap_new_benchmark_at_date"].sel(group="category:math", date=named[0])
    assert np.isnan(new.values).all()
    assert np.isfinite(merged["gap_new_benchmark_at_date"].sel(
        group="category:reasoning", date=named[0]).values).all()


def test_forecast_horizon_ends_with_a_categorys_data():
    data = SimpleNamespace(
        bench_category=np.array([0, 1, 1]), category_names=["early", "late"],
        obs_bench=np.array([0, 0, 1, 2]), obs_base=np.array([0, 1, 2, 3]),
        base_time=np.array([0.0, 1.0, 0.5, 3.0]))
    from gapbayes.model.saturation import forecast_horizon

    # "early" has scores up to 1.0: forecasts start 3 months later; "late" runs past the
    # last open release, which then sets the horizon
    assert np.allclose(forecast_horizon(data, last_open=2.5), [1.25, 2.5, 2.5])
