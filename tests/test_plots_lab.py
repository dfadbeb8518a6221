"""The lab-lag figure ``lab_lags.png``: panels, legend, labels and the known medians.

Drawn from a hand-made posterior whose medians are known (each draw is the lab's lag plus a
symmetric spread, so the median is the lag).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helpers_lab import NAMED

from gapbayes.reporting.plots_lab import MAX_LABS, TITLE, lab_lags_figure

MONTHS = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]
# lab: (closed models, open models, first month index with a model, lag at that month)
LABS = {"OpenAI": (3, 0, 0, 2.0), "Anthropic": (4, 0, 1, -1.0), "Meta": (0, 5, 2, 9.0),
        "Google": (3, 1, 0, 4.0)}
DRAWS = 21


def lab_posterior(labs: dict = LABS) -> xr.Dataset:
    """``lab_lag`` and ``lab_lag_at_date``: a lag growing one month a month, NaN before."""
    spread = np.linspace(-1.0, 1.0, DRAWS)                       # median 0
    lag = np.full((1, DRAWS, len(labs), len(MONTHS)), np.nan)
    for i, (_, _, first, start) in enumerate(labs.values()):
        months = np.arange(len(MONTHS) - first)
        lag[0, :, i, first:] = start + months[None, :] + spread[:, None]
    coords = {"lab": list(labs),
              "lab_closed_models": ("lab", [v[0] for v in labs.values()]),
              "lab_open_models": ("lab", [v[1] for v in labs.values()])}
    at_date = lag[..., -2:]
    return xr.Dataset({
        "lab_lag": (("chain", "draw", "lab", "month"), lag),
        "lab_lag_at_date": (("chain", "draw", "lab", "date"), at_date)},
        coords={**coords, "chain": [0], "draw": np.arange(DRAWS), "month": MONTHS,
                "date": NAMED})


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_one_panel_per_kind_of_lab_with_the_known_medians():
    fig = lab_lags_figure(lab_posterior())
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["Labs with only closed base models",
                                               "Labs with any open base model"]
    assert fig.get_suptitle() == TITLE
    assert "months behind the closed frontier (posterior median, 50% ETI)" in TITLE
    assert _legend(axes[0]) == ["Anthropic (4 closed)", "OpenAI (3 closed)",   # most first
                                "closed frontier (lag 0)", "50% ETI"]
    assert _legend(axes[1])[:2] == ["Meta (5 open)", "Google (3 closed, 1 open)"]
    assert all(ax.get_ylabel() == "Lag behind the closed frontier (months)" for ax in axes)
    assert axes[-1].get_xlabel() == "Date (month)"
    # Meta: no model before its third month, then 9, 10, 11, 12
    meta = next(line for line in axes[1].get_lines() if line.get_label().startswith("Meta"))
    np.testing.assert_allclose(meta.get_ydata(), [9.0, 10.0, 11.0, 12.0])
    assert pd.Timestamp(meta.get_xdata()[0]) == pd.Timestamp("2026-01-01")
    anthropic = next(line for line in axes[0].get_lines()
                     if line.get_label().startswith("Anthropic"))
    assert float(anthropic.get_ydata()[0]) == pytest.approx(-1.0)   # above the frontier
    # the zero line is the closed frontier, marked on the panel
    zero = [line for line in axes[0].get_lines() if list(line.get_ydata()) == [0.0, 0.0]]
    assert zero and "closed frontier" in [t.get_text() for t in axes[0].texts]


def test_many_labs_draw_the_biggest_and_say_so():
    labs = {f"Lab{i:02d}": (0, 20 - i, 0, float(i)) for i in range(MAX_LABS + 2)}
    fig = lab_lags_figure(lab_posterior(labs))
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 1 and axes[0].get_title().endswith("(2 smaller not drawn)")
    names = [t.split(" (")[0] for t in _legend(axes[0])[:-2]]
    assert names == [f"Lab{i:02d}" for i in range(MAX_LABS)]


def test_no_figure_without_lab_lags():
    assert lab_lags_figure(xr.Dataset()) is None


def test_lab_curve_figure_reads_the_curve_lags():
    """``lab_curves.png``: the same figure from ``lab_curve_lag`` (switch lab_curves)."""
    from gapbayes.reporting.plots_lab import KINDS

    post = lab_posterior()
    assert lab_lags_figure(post, "lab_curve_lag") is None          # no curves: no figure
    curves = post.rename({"lab_lag": "lab_curve_lag", "lab_lag_at_date": "lab_curve_lag_at_date"})
    curves["lab_curve_lag"] = curves["lab_curve_lag"] + 3.0
    fig = lab_lags_figure(curves, "lab_curve_lag")
    assert fig.get_suptitle() == KINDS["lab_curve_lag"][0]
    assert "typical model" in fig.get_suptitle()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    meta = next(line for line in axes[1].get_lines() if line.get_label().startswith("Meta"))
    np.testing.assert_allclose(meta.get_ydata(), [12.0, 13.0, 14.0, 15.0])
