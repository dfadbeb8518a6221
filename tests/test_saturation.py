"""Per-benchmark gaps and whether a benchmark still discriminates where its gap is read."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
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
