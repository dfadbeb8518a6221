"""Prior checks: hyperparameter quantiles, prior gap bands and prior predictive scores."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gapbayes.commands.summary import _ceiling_line
from gapbayes.model.prior_check import ceiling_quantiles, prior_quantiles
from gapbayes.model.prior_predictive import (
    prior_gap_table,
    prior_predictive_figure,
    prior_score_table,
)


def _draws(values: np.ndarray) -> xr.DataArray:
    return xr.DataArray(values.reshape(1, -1), dims=("chain", "draw"))


def test_prior_quantile_and_band_flag():
    prior = xr.Dataset({"s": _draws(np.arange(1000.0))})
    post = xr.Dataset({"s": _draws(np.full(10, 989.5)), "t": _draws(np.zeros(10))})
    table = prior_quantiles(post, prior, ("s", "t"))
    assert list(table["parameter"]) == ["s"]            # no prior draws of t: not checked
    assert table.loc[0, "prior_quantile"] == pytest.approx(0.99)
    assert bool(table.loc[0, "inside_1_99"])
    post["s"] = _draws(np.full(10, 995.0))
    assert not bool(prior_quantiles(post, prior, ("s",)).loc[0, "inside_1_99"])


def test_ceiling_quantile_is_the_prior_probability_of_a_lower_ceiling():
    # two benchmarks with the model's ceiling prior 1 - sigmoid(mu + sigma z), z ~ N(0, 1)
    mu, sigma = np.array([-2.67, -3.0]), np.array([0.3, 0.8])
    z_post = np.stack([np.full(40, 2.5), np.linspace(-0.5, 0.5, 40)], axis=-1)[None]
    coords = {"sig_benchmark": ["mmlu", "gpqa"]}
    post = xr.Dataset({
        "ceiling_z": (("chain", "draw", "sig_benchmark"), z_post),
        "ceiling": (("chain", "draw", "sig_benchmark"),
                    1.0 - 1.0 / (1.0 + np.exp(-(mu + sigma * z_post))))}, coords=coords)
    data = SimpleNamespace(bench_ids=["gpqa", "lin", "mmlu"],
                           ceiling_source=["generic", "none", "audit"])
    table = ceiling_quantiles(post, data).set_index("benchmark")
    # against prior draws of the ceiling itself
    z = np.random.default_rng(1).standard_normal(400_000)
    for k, bench in enumerate(["mmlu", "gpqa"]):
        prior_ceiling = 1.0 - 1.0 / (1.0 + np.exp(-(mu[k] + sigma[k] * z)))
        expected = np.mean(prior_ceiling < table.loc[bench, "ceiling_median"])
        assert table.loc[bench, "prior_quantile"] == pytest.approx(expected, abs=0.002)
    assert table.loc["mmlu", "prior_quantile"] == pytest.approx(0.00621, abs=1e-5)
    assert list(table["inside_1_99"]) == [False, True]
    assert list(table["prior_source"]) == ["audit", "generic"]
    assert ceiling_quantiles(post.drop_vars(["ceiling_z", "ceiling"]), data).empty


def test_ceiling_line_names_the_ceilings_outside_their_band():
    inside = {"ceiling_check": {"quantiles": {"mmlu": 0.5, "gpqa": 0.02}}}
    assert _ceiling_line(inside) == (
        "ceiling check: every benchmark ceiling's posterior median inside its label-error "
        "prior's 1-99% band (2 checked)")
    outside = {"ceiling_check": {"quantiles": {"mmlu": 0.0032, "gpqa": 0.5,
                                                "math_level_5": 0.9912}}}
    assert _ceiling_line(outside) == (
        "ceiling check: WARNING: ceiling median outside its label-error prior's 1-99% band: "
        "below the band for mmlu (quantile 0.003): the ceiling stands in for what the link "
        "cannot draw (a plateau: [switches] asymmetric_link_benchmarks; or a capability the "
        "benchmark's category does not hold); above the band for math_level_5 (quantile "
        "0.991): the best scores come closer to 1 than the prior's label-error rate allows")
    assert _ceiling_line({}) == ""


def test_prior_gap_table_quantiles_skip_empty_months():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 2.0, (1, 4000, 1, 2))
    x[..., 1] = np.nan                                   # a month with no finite draw
    gaps = xr.Dataset({"gap_backward": xr.DataArray(
        x, dims=("chain", "draw", "group", "month"),
        coords={"group": ["overall"], "month": ["2025-01", "2025-02"]})})
    table = prior_gap_table(gaps)
    assert list(table["month"]) == ["2025-01"]
    row = table.iloc[0]
    assert row["median"] == pytest.approx(5.0, abs=0.1)
    assert row["q95"] - row["q05"] == pytest.approx(2 * 1.645 * 2.0, rel=0.05)


def test_prior_score_table_compares_per_benchmark():
    data = SimpleNamespace(
        bench_ids=["a", "b"], obs_bench=np.array([0, 0, 1, 1, 1]),
        sig_idx=np.array([0, 1, 2, 3]), y=np.array([0.1, 0.3, 0.8, 0.9, 5.0]))
    draws = np.tile(np.array([[0.0, 1.0, 0.5, 0.5]]), (100, 1))
    table = prior_score_table(draws, data)
    assert list(table["benchmark"]) == ["a", "b"]
    assert list(table["n_scores"]) == [2, 2]             # the linear score (5.0) is not used
    a, b = table.iloc[0], table.iloc[1]
    assert a["prior_median"] == pytest.approx(0.5) and b["prior_median"] == pytest.approx(0.5)
    assert a["observed_median"] == pytest.approx(0.2) and b["observed_q95"] <= 0.9


def test_prior_predictive_figure_draws_both_panels():
    months = ["2025-01", "2025-02"]
    prior = pd.DataFrame({"group": "overall", "month": months, "q05": [-10, -9],
                          "median": [5, 5], "q95": [30, 31]})
    post = pd.DataFrame({"group": "overall", "month": months, "direction": "backward",
                         "eti90_lo": [2, 3], "eti90_hi": [8, 9]})
    scores = pd.DataFrame({"benchmark": ["a"], "prior_q05": [0.0], "prior_median": [0.5],
                           "prior_q95": [1.0], "observed_q05": [0.2],
                           "observed_median": [0.4], "observed_q95": [0.6]})
    fig = prior_predictive_figure(prior, post, scores)
    gap_ax, score_ax = fig.axes
    assert len(gap_ax.collections) == 1                  # the posterior band
    assert [t.get_text() for t in score_ax.get_yticklabels()] == ["a"]


def test_manifest_entries_of_the_prior_and_ceiling_checks():
    from gapbayes.inference.fit import _check_summary

    tables = {
        "prior_check": pd.DataFrame({"parameter": ["growth_rw_sd"], "posterior_median": [0.3],
                                     "prior_quantile": [0.41234], "inside_1_99": [True]}),
        "ceiling_check": pd.DataFrame({"benchmark": ["mmlu", "gpqa"],
                                       "ceiling_median": [0.86, 0.95],
                                       "prior_source": ["audit", "generic"],
                                       "prior_quantile": [0.99712, 0.5],
                                       "inside_1_99": [False, True]})}
    out = _check_summary(tables)
    assert out["prior_check"] == {"band": [0.01, 0.99], "all_inside": True,
                                  "quantiles": {"growth_rw_sd": 0.4123}}
    assert out["ceiling_check"] == {"band": [0.01, 0.99], "all_inside": False,
                                    "quantiles": {"mmlu": 0.9971, "gpqa": 0.5}}
    assert _ceiling_line(out).endswith("above the band for mmlu (quantile 0.997): the best "
                                       "scores come closer to 1 than the prior's label-error "
                                       "rate allows")
