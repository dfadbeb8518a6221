"""How finely a misspecified study resolves issue 15's |bias| < 0.3: hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gapbayes.studies.misspecified_report import (
    BIAS_TOLERANCE,
    rows_table,
    summary_table,
    tolerance_resolution,
)


def _results(errors: list[float]) -> list[dict]:
    """One world per error: the model's estimate at one date, truth 5 months."""
    return [{"ratio": 1.0, "host": False, "rep": i,
             "rows": [{"method": "model", "group": "overall", "date": "2024-01-01",
                       "truth": 5.0, "estimate": 5.0 + e, "lo90": 5.0 + e - 2.0,
                       "hi90": 5.0 + e + 2.0, "divergences": 0, "rhat": 1.001,
                       "fit_seconds": 1.0, "before_data_share": 0.0}]}
            for i, e in enumerate(errors)]


def test_resolution_of_a_per_world_sd_of_two_months_over_thirty_worlds():
    # per-world sd 2.0, 30 worlds: se 0.3651; P(|N(0, se)| < 0.3) = 2 Phi(0.8216) - 1 = 0.5887;
    # 0.9 needs (1.6449 x 2 / 0.3)^2 = 120.25 -> 121 worlds
    p, needed = tolerance_resolution(2.0 / math.sqrt(30), 30)
    assert p == pytest.approx(0.5887, abs=1e-4)
    assert needed == 121


def test_summary_table_states_the_resolution_of_its_own_worlds():
    # per-world errors -1, 1, -1, 1: bias 0, sd 1.1547, se 0.5774, P = 2 Phi(0.5196) - 1 = 0.3967,
    # worlds for 0.9: (1.6449 x 1.1547 / 0.3)^2 = 40.08 -> 41
    row = summary_table(rows_table(_results([-1.0, 1.0, -1.0, 1.0]))).iloc[0]
    assert row["bias"] == pytest.approx(0.0)
    assert row["bias_se"] == pytest.approx(1.1547 / 2, abs=1e-4)
    assert row["p_within_tolerance"] == pytest.approx(0.3967, abs=1e-4)
    assert row["worlds_for_tolerance"] == 41
    assert BIAS_TOLERANCE == 0.3


def test_one_world_has_no_resolution():
    row = summary_table(rows_table(_results([0.5]))).iloc[0]
    assert np.isnan(row["bias_se"])
    assert np.isnan(row["p_within_tolerance"]) and np.isnan(row["worlds_for_tolerance"])
