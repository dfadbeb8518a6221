"""Gap-vector figures: display names on the axes, saturated benchmarks marked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_frontier_gaps import SPEC, closed_curve, data, posterior  # noqa: F401

from gapbayes.inference.fit_tables import gap_over_time
from gapbayes.model.frontier_gaps import gap_quantities
from gapbayes.reporting.plots_vector import (
    category_label,
    gap_by_category_figure,
    gap_vector_figure,
)

__all__ = ["SPEC", "data"]


@pytest.fixture(scope="module")
def post(data):  # noqa: F811
    """Fake posterior: the first sigmoid benchmark saturated at the last month."""
    draws, B = 60, len(data.bench_ids)
    rng = np.random.default_rng(2)
    p = posterior(data, lambda t: closed_curve(t) - 1.0, draws=draws, benchmark_shift_sd=0.3)
    term = rng.normal(0.0, 0.3, B) + rng.normal(0.0, 0.05, (draws, B))
    p["benchmark_shift"] = (("chain", "draw", "benchmark"), term[None])
    p["open_shift"] = (("chain", "draw", "benchmark"), term[None].copy())
    level = float(closed_curve(data.report_time[-1]))
    n = len(data.sig_benchmarks)
    difficulty = np.full(n, level)
    difficulty[0] = level - 8.0
    p["difficulty"] = (("chain", "draw", "sig_benchmark"), np.tile(difficulty, (1, draws, 1)))
    p["slope"] = (("chain", "draw", "sig_benchmark"), np.ones((1, draws, n)))
    return p.merge(gap_quantities(p, data))


def test_gap_vector_rows_are_display_names(post, data):  # noqa: F811
    fig = gap_vector_figure(post, data, "2026-03")
    ax = fig.axes[0]
    labels = [t.get_text().strip() for t in ax.get_yticklabels()]
    names = set(data.bench_names)
    assert names <= set(labels)                               # every benchmark, by name
    assert not set(data.bench_ids) & set(labels)              # never by id
    cats = [lab for lab in labels if "identified)" in lab]
    assert len(cats) == len(set(data.bench_category))
    assert all(lab.split(" (")[0] in {category_label(c) for c in data.category_names}
               for lab in cats)
    # the saturated benchmark is drawn hollow and labelled
    saturated = data.bench_names[data.sig_benchmarks[0]]
    notes = [t.get_text() for t in ax.texts]
    assert "not identified (saturated)" in notes
    hollow = [line for line in ax.get_lines() if line.get_marker() == "o"
              and line.get_markerfacecolor() == "white"]
    y_sat = len(labels) - 1 - labels.index(saturated)
    assert any(float(line.get_ydata()[0]) == y_sat for line in hollow)


def test_category_small_multiples_titled_by_name(post, data):  # noqa: F811
    table = gap_over_time(post, data)
    back = table[table["direction"] == "backward"].copy()
    back["date"] = pd.to_datetime(back["month"], format="%Y-%m")
    fig = gap_by_category_figure(back, data, None)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    used = {data.category_names[c] for c in set(data.bench_category)}
    assert len(titles) == len(used)
    assert {t.split(" (")[0] for t in titles} == {category_label(c) for c in used}
    assert all("identified at the end" in t for t in titles)
    # the new-benchmark interval is drawn in every panel
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "New benchmark: 90% ETI" in legend
