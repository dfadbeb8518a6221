"""Support of the bias terms: score counts, same-weights contrasts and the status lines."""

import io
from types import SimpleNamespace

import numpy as np
import pandas as pd

from gapbayes.commands.summary import _bias_value
from gapbayes.model.bias_support import (
    ESTIMATED,
    NOT_IDENTIFIED,
    PRIOR_ONLY,
    bias_support,
    with_support,
)


def _design(host, self_reported, base, bench, public=(1, 0), category=(0, 1)):
    return SimpleNamespace(
        obs_base=np.array(base), obs_model=np.array(base), obs_bench=np.array(bench),
        obs_host=np.array(host), obs_self=np.array(self_reported),
        bench_category=np.array(category), bench_public=np.array(public),
        base_open=np.array([1, 1, 0]))


def test_provider_contrast_makes_the_penalty_estimable():
    # base 0 has a host-served and a first-party score on benchmark 0: a same-weights contrast
    data = _design(host=[1, 0, 1, 0], self_reported=[0, 0, 0, 0], base=[0, 0, 1, 2],
                   bench=[0, 0, 0, 1])
    table = bias_support(data).set_index("term")
    row = table.loc["provider_penalty"]
    assert row["n_scores"] == 2
    assert row["contrast_base_models_same_benchmark"] == 1
    assert row["status"] == ESTIMATED
    assert table.loc["self_report_offset", "status"] == PRIOR_ONLY


def test_host_scores_without_contrast_are_not_identified():
    # every score of base 1 is host-served: nothing separates the penalty from its benchmark
    data = _design(host=[0, 1, 1, 0], self_reported=[1, 0, 0, 0], base=[0, 1, 1, 2],
                   bench=[0, 0, 1, 1])
    table = bias_support(data).set_index("term")
    assert table.loc["provider_penalty", "n_scores"] == 2
    assert table.loc["provider_penalty", "status"] == NOT_IDENTIFIED
    assert table.loc["self_report_offset", "status"] == NOT_IDENTIFIED


def test_public_term_needs_open_scores_on_both_kinds():
    both = _design(host=[0, 0, 0], self_reported=[0, 0, 0], base=[0, 1, 2], bench=[0, 1, 1])
    assert bias_support(both).set_index("term").loc["public_vs_private", "status"] == ESTIMATED
    only_private = _design(host=[0, 0, 0], self_reported=[0, 0, 0], base=[0, 1, 2],
                           bench=[1, 1, 0])        # the public benchmark has a closed model only
    row = bias_support(only_private).set_index("term").loc["public_vs_private"]
    assert row["status"] == PRIOR_ONLY and row["n_scores"] == 0


def test_summary_prints_status_instead_of_a_number():
    data = _design(host=[0, 0, 0], self_reported=[0, 0, 0], base=[0, 1, 2], bench=[0, 1, 1])
    terms = pd.DataFrame([{"term": "public_vs_private", "median": -1.5, "eti50_lo": -2.0,
                           "eti50_hi": -1.0, "eti90_lo": -3.0, "eti90_hi": -0.2}])
    table = with_support(terms, bias_support(data)).set_index("term")
    assert _bias_value(table.loc["self_report_offset"]) == "not estimable (prior only) (0 scores)"
    text = _bias_value(table.loc["public_vs_private"])
    assert text.strip().startswith("-1.5 [ -2.0,  -1.0]") and text.endswith("(1 score)")
    out = io.StringIO()
    table.reset_index().to_csv(out)
    assert "not estimable (prior only)" in out.getvalue()
