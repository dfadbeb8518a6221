"""The gap as a vector: group gaps over identified benchmarks, and a new benchmark's gap."""

from __future__ import annotations

import numpy as np
import pytest
from test_frontier_gaps import SPEC, closed_curve, data, posterior  # noqa: F401

from gapbayes.inference.fit_tables import gap_at_dates, gap_over_time
from gapbayes.model.frontier_gaps import gap_quantities

__all__ = ["SPEC", "data"]


def _links(post, data, difficulty: np.ndarray):
    """Give each sigmoid benchmark its own difficulty (slope 1) in a fake posterior."""
    draws = post.sizes["draw"]
    n = len(data.sig_benchmarks)
    post["difficulty"] = (("chain", "draw", "sig_benchmark"),
                          np.broadcast_to(difficulty, (1, draws, n)).copy())
    post["slope"] = (("chain", "draw", "sig_benchmark"), np.ones((1, draws, n)))
    return post


def _last_backward(g, name: str):
    return g[name].sel(direction="backward").isel(date=-1)


def test_group_gap_is_the_mean_over_identified_benchmarks(data):  # noqa: F811
    # different shifts give each benchmark its own gap; the first sigmoid benchmark is far
    # below both frontiers at the last date (saturated), the others discriminate
    shifts = np.array([0.0, 0.3, -0.2, 0.5, -0.4, 0.1])
    post = posterior(data, lambda t: closed_curve(t) - 1.0, shifts=shifts)
    level = float(closed_curve(data.report_time[-1]))
    sat = data.sig_benchmarks[0]
    difficulty = np.full(len(data.sig_benchmarks), level)
    difficulty[0] = level - 8.0
    g = gap_quantities(_links(post, data, difficulty), data)
    per_bench = _last_backward(g, "gap_benchmark").values[0, 0]           # (B,)
    at = _last_backward(g, "gap_identified_at_date")
    keep = np.ones(len(data.bench_ids), bool)
    keep[sat] = False
    overall = float(at.sel(group="overall").values[0, 0])
    assert overall == pytest.approx(per_bench[keep].mean(), abs=1e-9)
    assert overall != pytest.approx(per_bench.mean(), abs=1e-3)
    assert int(at["n_identified_at_date"].sel(group="overall")) == len(data.bench_ids) - 1
    # the all-benchmark mean stays available under its own name
    every = float(_last_backward(g, "gap_at_date").sel(group="overall").values[0, 0])
    assert every == pytest.approx(per_bench.mean(), abs=1e-9)
    # the saturated benchmark's category: mean over its other members, or NaN when none
    cat = f"category:{data.category_names[data.bench_category[sat]]}"
    members = np.flatnonzero(data.bench_category == data.bench_category[sat])
    rest = [b for b in members if b != sat]
    value = float(at.sel(group=cat).values[0, 0])
    if rest:
        assert value == pytest.approx(per_bench[rest].mean(), abs=1e-9)
    else:
        assert np.isnan(value)


def test_group_with_no_identified_benchmark_is_not_a_number(data):  # noqa: F811
    post = posterior(data, lambda t: closed_curve(t) - 1.0)
    level = float(closed_curve(data.report_time[-1]))
    g = gap_quantities(_links(post, data, np.full(len(data.sig_benchmarks), level - 8.0)),
                       data)
    post = post.merge(g)
    table = gap_at_dates(post, data)
    last = table[table["date"].str.startswith("last") & (table["direction"] == "backward")]
    by_group = last.set_index("group")
    sig_only = [f"category:{c}" for i, c in enumerate(data.category_names)
                if (data.bench_category == i).any()
                and not data.bench_linear[data.bench_category == i].any()]
    assert sig_only, "the test design needs a category without linear benchmarks"
    for group in sig_only:
        assert np.isnan(by_group.loc[group, "median"])
        assert by_group.loc[group, "n_identified"] == 0
        assert by_group.loc[group, "weighting"].startswith("not identified")
        assert np.isfinite(by_group.loc[group, "all_benchmarks_median"])
    # the linear benchmark always discriminates: the overall gap rests on it alone
    assert by_group.loc["overall", "n_identified"] == int(data.bench_linear.sum())
    assert by_group.loc["overall", "weighting"] == (
        "equal weight over the 1 identified benchmark of the group")


def test_new_benchmark_interval_is_wider_than_the_category_mean(data):  # noqa: F811
    rng = np.random.default_rng(3)
    draws, B = 400, len(data.bench_ids)
    post = posterior(data, lambda t: closed_curve(t) - 1.0, draws=draws,
                     benchmark_shift_sd=0.4)
    # fitted benchmark terms known to +-0.05; their sd across benchmarks is 0.4
    centre = rng.normal(0.0, 0.4, B)
    term = centre + rng.normal(0.0, 0.05, (draws, B))
    post["benchmark_shift"] = (("chain", "draw", "benchmark"), term[None])
    post["open_shift"] = (("chain", "draw", "benchmark"), term[None].copy())
    # the curves themselves are uncertain too: the closed level moves per draw
    lift = rng.normal(0.0, 0.1, draws)
    post["frontier"].values[0, :, 0, :] += lift[:, None]
    table = gap_over_time(post.merge(gap_quantities(post, data)), data)
    last = table[(table["month"] == data.report_dates[-1]) & (table["direction"] == "backward")]
    cats = last[last["group"].str.startswith("category:")]
    assert len(cats) >= 2
    for row in cats.itertuples():
        mean_width = row.eti90_hi - row.eti90_lo
        new_width = row.new_benchmark_eti90_hi - row.new_benchmark_eti90_lo
        assert new_width > mean_width, row.group
    # access groups have no new-benchmark interval
    assert last[~last["group"].str.startswith("category:")]["new_benchmark_median"].isna().all()

