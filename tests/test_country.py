"""Chinese vs other open models: the offset curve's switch, its gaps, and ``summary --by country``.

Known numbers: with a linear closed frontier 2 t + 10 (capability units, t in years), other open
models 6 months behind it (2 (t - 0.5) + 10) and a constant offset c of the Chinese open
models, the Chinese open frontier is 6 - 6 c months behind (c = 0.5: 3 months), the open group's
frontier is the better of the two, and "chinese minus other open" is -6 c months.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from test_frontier_gaps import data  # noqa: F401

from gapbayes.commands.summary_country import print_country
from gapbayes.errors import GapbayesError
from gapbayes.inference.fit_tables import country_gaps, gap_at_dates
from gapbayes.model.country import COUNTRY_ROWS, chinese_open, uses_country
from gapbayes.model.frontier_gaps import gap_quantities
from gapbayes.model.frontier_pymc import build_frontier_model
from gapbayes.model.spec import load_spec

__all__ = ["data"]
SPEC = load_spec("by-country")


def linear_posterior(data, offset: float, draws: int = 2) -> xr.Dataset:  # noqa: F811
    """Closed 2 t + 10, other open 6 months behind, Chinese open offset ``offset``."""
    grid = data.grid_time
    F = np.stack([2.0 * grid + 10.0, 2.0 * (grid - 0.5) + 10.0])
    B, K = len(data.bench_ids), len(data.trend_knots)
    return xr.Dataset(
        {"frontier": (("chain", "draw", "access", "grid"), np.broadcast_to(F, (1, draws, 2,
                                                                               len(grid))).copy()),
         "open_shift": (("chain", "draw", "benchmark"), np.zeros((1, draws, B))),
         "china_offset_knots": (("chain", "draw", "trend_knot"), np.full((1, draws, K), offset))},
        coords={"chain": [0], "draw": np.arange(draws)})


@pytest.mark.parametrize("offset", [0.5, -0.5])
def test_country_gaps_and_the_open_envelope_have_the_known_values(data, offset):  # noqa: F811
    g = gap_quantities(linear_posterior(data, offset), data)
    country = g["gap_country"].isel(chain=0, draw=0)
    assert list(country["country"].values) == list(COUNTRY_ROWS)
    # inside the window (away from the grid's censored ends)
    assert np.allclose(country.sel(country="chinese open"), 6.0 - 6.0 * offset, atol=0.02)
    assert np.allclose(country.sel(country="other open"), 6.0, atol=0.02)
    assert np.allclose(country.sel(country="chinese minus other open"), -6.0 * offset, atol=0.02)
    # the open group's frontier is the better subgroup's: 3 months when the Chinese lead,
    # the other open models' 6 months when they trail
    overall = g["gap_backward"].sel(group="overall").isel(chain=0, draw=0)
    assert np.allclose(overall, min(6.0, 6.0 - 6.0 * offset), atol=0.02)


def test_the_switch_and_too_few_models_leave_the_term_out(data):  # noqa: F811
    cn = chinese_open(data)
    assert cn.sum() >= 3 and ((data.base_open == 1) & (cn == 0)).sum() >= 3
    assert uses_country(data, SPEC)
    assert "china_offset_knots" in build_frontier_model(data, SPEC).named_vars
    off = load_spec("default")                 # the default spec leaves the term out
    assert not uses_country(data, off)
    assert "china_offset" not in build_frontier_model(data, off).named_vars


@pytest.fixture(scope="module")
def loaded(data):  # noqa: F811
    post = linear_posterior(data, 0.5)
    post = post.merge(gap_quantities(post, data))
    # a reference copy leaves gap_over_time.csv out: the named dates come from gap_at_dates
    tables = {"country_gaps": country_gaps(post), "gap_at_dates": gap_at_dates(post, data)}
    return SimpleNamespace(tables=tables, manifest={"name": "r"}, path=Path("results/r"))


def _run(loaded, fmt: str) -> str:
    out = io.StringIO()
    print_country(loaded, fmt, out)
    return out.getvalue()


def test_summary_by_country_prints_the_named_dates_in_every_format(loaded, data):  # noqa: F811
    table = pd.read_csv(io.StringIO(_run(loaded, "csv")))
    last = f"last ({data.report_dates[-1]})"
    assert set(table["date"]) <= {"2025-01-20", last} and last in set(table["date"])
    assert set(table["country"]) == set(COUNTRY_ROWS)
    row = table[(table["country"] == "chinese minus other open") & (table["date"] == last)]
    assert row["median"].item() == pytest.approx(-3.0, abs=0.05)
    text = _run(loaded, "text")
    assert "50% and 90% equal-tailed" in text and "equal weight over all fitted benchmarks" in text
    assert "chinese minus other open" in text
    assert "| measure | open models | date | months |" in _run(loaded, "markdown")
    assert set(table["measure"]) == {"frontier (country term)"}
    assert json.loads(_run(loaded, "json"))["by"] == "country"


def test_result_without_the_country_term_is_one_error():
    bare = SimpleNamespace(tables={}, manifest={"name": "r"}, path=Path("results/r"))
    with pytest.raises(GapbayesError, match=r"^results/r: no country gaps or lags in this "
                       r"result \(fewer than 3 Chinese or 3 other open base models"):
        print_country(bare, "text", io.StringIO())
