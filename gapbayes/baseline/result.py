"""The baseline's result object, shared by the computation (run.py) and its figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class BaselineResult:
    """Everything the baseline computes.

    Attributes
    ----------
    datapoints
        One row per counted (benchmark, threshold) crossing pair, columns of
        :data:`gapbayes.baseline.crossings.DATAPOINT_COLUMNS`.
    curves
        Columns ``group, date, gap, lo90, hi90, n_eff``: kernel estimate on the full data and
        bootstrap 90% percentile interval per group on its weekly grid.
    summary
        JSON-ready dict: parameters, per-benchmark thresholds, per-group counts, medians and
        smoothed gaps at the last grid date and near 2025-01-20.
    crossings
        Audit table: every (benchmark, accepted threshold) with its first crossers and status
        (``datapoint``, ``duplicate_pair``, ``closed_only``, ``open_only``, ``uncrossed``).
    benchmarks
        The benchmarks analysed: ``benchmark_id, name, access_type, scale, rule,
        n_datapoints``.
    """

    datapoints: pd.DataFrame
    curves: pd.DataFrame
    summary: dict[str, Any]
    crossings: pd.DataFrame = field(repr=False)
    benchmarks: pd.DataFrame = field(repr=False)
