"""``gapbayes summary --by access|category``: the promised columns and rows, in every format."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_frontier_gaps import SPEC, closed_curve, data, posterior  # noqa: F401

from gapbayes.commands.summary_by import COLUMNS, print_groups
from gapbayes.errors import GapbayesError
from gapbayes.inference.fit_tables import benchmark_gaps, gap_at_dates
from gapbayes.model.frontier_gaps import gap_quantities

__all__ = ["SPEC", "data"]


@pytest.fixture(scope="module")
def loaded(data):  # noqa: F811
    """A result whose sigmoid benchmarks are all saturated at the last month but one."""
    draws, B = 200, len(data.bench_ids)
    rng = np.random.default_rng(1)
    post = posterior(data, lambda t: closed_curve(t) - 1.0, draws=draws,
                     benchmark_shift_sd=0.3)
    term = rng.normal(0.0, 0.3, B) + rng.normal(0.0, 0.05, (draws, B))
    post["benchmark_shift"] = (("chain", "draw", "benchmark"), term[None])
    post["open_shift"] = (("chain", "draw", "benchmark"), term[None].copy())
    level = float(closed_curve(data.report_time[-1]))
    n = len(data.sig_benchmarks)
    difficulty = np.full(n, level - 8.0)
    difficulty[-1] = level
    post["difficulty"] = (("chain", "draw", "sig_benchmark"), np.tile(difficulty, (1, draws, 1)))
    post["slope"] = (("chain", "draw", "sig_benchmark"), np.ones((1, draws, n)))
    post = post.merge(gap_quantities(post, data))
    tables = {"gap_at_dates": gap_at_dates(post, data),
              "benchmark_gaps": benchmark_gaps(post, data)}
    return SimpleNamespace(tables=tables, manifest={"name": "r"}, path=Path("results/r"))


def _run(loaded, by: str, fmt: str) -> str:
    out = io.StringIO()
    print_groups(loaded, by, fmt, out)
    return out.getvalue()


def test_category_csv_has_the_promised_columns_and_rows(loaded, data):  # noqa: F811
    table = pd.read_csv(io.StringIO(_run(loaded, "category", "csv")))
    assert list(table.columns) == COLUMNS
    cats = {f"category:{c}" for i, c in enumerate(data.category_names)
            if (data.bench_category == i).any()}
    assert set(table["group"]) == cats
    assert len(table) == 2 * len(cats)                       # backward and forward
    assert (table["date"].str.startswith("last")).all()
    assert (table["interval"] == "90% equal-tailed").all()
    assert (table["n_identified"] <= table["n_benchmarks"]).all()
    # a category with no identified benchmark has no number, but a new-benchmark interval
    empty = table[table["n_identified"] == 0]
    assert len(empty) and empty["median"].isna().all()
    assert empty["new_benchmark_eti90_lo"].notna().all()
    ok = table[table["n_identified"] > 0]
    assert ((ok["new_benchmark_eti90_hi"] - ok["new_benchmark_eti90_lo"])
            > (ok["eti90_hi"] - ok["eti90_lo"])).all()


def test_text_markdown_and_json_say_what_they_show(loaded, data):  # noqa: F811
    text = _run(loaded, "category", "text")
    assert "90% equal-tailed interval" in text and "equal weight over" in text
    assert "not identified" in text and "new benchmark" in text.lower()
    for c in data.category_names:
        if (data.bench_category == list(data.category_names).index(c)).any():
            assert c in text
    md = _run(loaded, "category", "markdown")
    assert "| identified benchmarks |" in md and "| new benchmark [90% ETI] |" in md
    got = json.loads(_run(loaded, "category", "json"))
    assert got["by"] == "category" and got["intervals"].endswith("(ETI)]")
    assert {r["group"] for r in got["rows"]} == {
        r for r in loaded.tables["gap_at_dates"]["group"] if r.startswith("category:")}
    assert all(set(COLUMNS) <= set(r) for r in got["rows"])


def test_access_rows_have_counts_and_no_new_benchmark(loaded, data):  # noqa: F811
    table = pd.read_csv(io.StringIO(_run(loaded, "access", "csv")))
    assert set(table["group"]) <= {"overall", "private", "public"}
    assert "overall" in set(table["group"])
    overall = table[(table["group"] == "overall") & (table["direction"] == "backward")].iloc[0]
    assert overall["n_benchmarks"] == len(data.bench_ids)
    # the linear benchmark and the one sigmoid benchmark still inside its range
    assert overall["n_identified"] == int(data.bench_linear.sum()) + 1
    assert table["new_benchmark_median"].isna().all()


def test_result_without_vector_columns_or_posterior_is_one_error(tmp_path):
    old = SimpleNamespace(tables={"gap_at_dates": pd.DataFrame({"group": ["overall"]})},
                          manifest={"name": "old"}, path=tmp_path)
    with pytest.raises(GapbayesError, match=r"no posterior.nc to compute the gap vector"):
        print_groups(old, "category", "text", io.StringIO())


def test_plain_summary_states_the_weighting_and_prints_not_identified(loaded):
    """The plain ``gapbayes summary`` table: weighting line, n/N, 'not identified'."""
    from gapbayes.commands.summary import WEIGHTING, print_summary

    man = {"name": "r", "spec": {"name": "default"}, "spec_id": "x",
           "data": {"label": "sim", "hash": "h"}, "backend": "pymc", "sampler":
           {"chains": 1, "draws": 200, "seed": 0, "sampler": "nutpie"},
           "diagnostics": {"checks": []}}
    result = SimpleNamespace(tables={**loaded.tables, "bias_terms": pd.DataFrame()},
                             manifest=man, path=loaded.path)
    out = io.StringIO()
    print_summary(result, "text", out)
    text = out.getvalue()
    assert WEIGHTING in text
    table = loaded.tables["gap_at_dates"]
    empty = table[table["median"].isna()]
    assert len(empty) and text.count("not identified") >= len(empty)
    row = table[table["median"].notna()].iloc[0]
    assert f" {int(row['n_identified'])}/{int(row['n_benchmarks'])}" in text


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_plain_summary_marks_gaps_read_before_the_closed_data(loaded, fmt):
    from gapbayes.commands.summary import BEFORE_NOTE, print_summary

    man = {"name": "r", "spec": {"name": "default"}, "spec_id": "x",
           "data": {"label": "sim", "hash": "h"}, "backend": "pymc", "sampler":
           {"chains": 1, "draws": 200, "seed": 0, "sampler": "nutpie"},
           "diagnostics": {"checks": []}}
    table = loaded.tables["gap_at_dates"].copy()
    texts = []
    for flag in (False, True):
        marked = table.copy()
        first = marked.index[(marked["direction"] == "backward") & marked["median"].notna()][0]
        marked["before_closed_data"] = False
        marked.loc[first, "before_closed_data"] = flag
        result = SimpleNamespace(tables={**loaded.tables, "gap_at_dates": marked,
                                         "bias_terms": pd.DataFrame()},
                                 manifest=man, path=loaded.path)
        out = io.StringIO()
        print_summary(result, fmt, out)
        texts.append(out.getvalue())
    assert BEFORE_NOTE not in texts[0] and " *" not in texts[0]
    assert texts[1].count(BEFORE_NOTE) == 1
    assert sum(" *" in line for line in texts[1].splitlines()) == 1
