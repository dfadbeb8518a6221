"""Fits of tables with one sigmoid benchmark or none finish and report what they can.

Real tables a user brings may hold a single benchmark, or only benchmarks on a linear scale
(time horizons, Elo ratings). With one sigmoid benchmark the latent location and scale are
fixed by it (difficulty 0, slope 1); with none there is no score threshold to read. Both used
to stop with a KeyError after sampling; the chains are short here, so the diagnostics fail,
and the test checks the pipeline and the structural facts, not the numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import gapbayes as gb
from gapbayes.errors import GapbayesError

SHORT = {"chains": 2, "draws": 30, "tune": 30, "seed": 0, "progress": False}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return tmp_path_factory.mktemp("small-tables")


def test_one_sigmoid_benchmark_fits_with_its_link_fixed(results) -> None:
    fit = gb.fit(benchmarks="gpqa_diamond", max_models=120, out=results, plots=False, **SHORT)
    post = fit.posterior()["posterior"]
    assert post["difficulty"].sizes["sig_benchmark"] == 1
    assert float(np.abs(post["difficulty"]).max()) == 0.0
    assert float(np.abs(post["slope"] - 1.0).max()) == 0.0
    assert not fit.table("threshold_gaps").empty
    # the single benchmark's zero-sum shift is fixed at 0: its R-hat is undefined, not failed
    rhat = fit.diagnostics().set_index("name").loc["rhat_max", "value"]
    assert np.isfinite(rhat)
    fit.close()


def test_linear_benchmarks_only_fit_without_threshold_gaps(results) -> None:
    fit = gb.fit(benchmarks="metr_time_horizons,geobench,webdev_arena", max_models=200,
                 out=results, plots=False, **SHORT)
    assert "difficulty" not in fit.posterior()["posterior"]
    with pytest.raises(GapbayesError, match="no table 'threshold_gaps'"):
        fit.table("threshold_gaps")
    assert not fit.gap_over_time().empty
    fit.close()
