"""Hand-checked datapoints of the threshold-crossing baseline on a tiny synthetic table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapbayes.baseline.crossings import DAYS_PER_MONTH, prepare_scores
from gapbayes.baseline.run import run_baseline
from gapbayes.baseline.thresholds import accepted_thresholds, threshold_grid

# Release dates: closed c1 < o1 < c2-* < c3 < o2 < o3 (o0 long before everyone).
MODELS = {
    "c1": ("2024-01-01", "closed", False),
    "c2-medium": ("2024-04-01", "closed", False),
    "c2-xhigh": ("2024-04-01", "closed", False),  # same day as c2-medium, stronger
    "c3": ("2024-07-01", "closed", False),
    "o0": ("2023-06-01", "open", True),
    "o1": ("2024-03-01", "open", True),
    "o2": ("2024-09-01", "open", False),
    "o3": ("2025-01-01", "open", True),
    "mystery": ("2023-01-01", "unknown", False),  # no access label: dropped
    "undated": ("", "closed", False),  # no release date: dropped
}

# (benchmark, model, score); bench_a has no review list (10th-percentile rule),
# gpqa_diamond has the published list 35-90 %, metr_time_horizons 2-50 minutes.
SCORES = [
    ("bench_a", "c1", 0.52),
    ("bench_a", "c2-medium", 0.60),
    ("bench_a", "c2-xhigh", 0.72),
    ("bench_a", "c3", 0.80),
    ("bench_a", "o1", 0.10),
    ("bench_a", "o2", 0.55),
    ("bench_a", "o3", 0.70),  # two rows for o3: the baseline keeps the max (0.78)
    ("bench_a", "o3", 0.78),
    ("bench_a", "mystery", 0.99),
    ("bench_a", "undated", 0.99),
    ("gpqa_diamond", "c1", 0.30),
    ("gpqa_diamond", "c2-xhigh", 0.45),
    ("gpqa_diamond", "c3", 0.60),
    ("gpqa_diamond", "o0", 0.05),
    ("gpqa_diamond", "o1", 0.40),
    ("gpqa_diamond", "o2", 0.50),  # exactly on a threshold: counts as crossing it
    ("gpqa_diamond", "o3", 0.66),
    ("metr_time_horizons", "c1", 3.0),
    ("metr_time_horizons", "c2-xhigh", 12.0),
    ("metr_time_horizons", "c3", 60.0),
    ("metr_time_horizons", "o1", 1.0),
    ("metr_time_horizons", "o2", 6.0),
    ("metr_time_horizons", "o3", 25.0),
    ("not_published", "c1", 0.1),
    ("not_published", "o3", 0.9),
]

BENCHMARKS = pd.DataFrame(
    {
        "benchmark_id": ["bench_a", "gpqa_diamond", "metr_time_horizons", "not_published"],
        "name": ["Bench A", "GPQA Diamond", "METR Time Horizons", "Not published"],
        "scale": ["proportion", "proportion", "minutes", "proportion"],
        "access_type": ["private", "public", "private", "public"],
        "published": [True, True, True, False],
    }
)


def scores_frame() -> pd.DataFrame:
    rows = []
    for bench, model, score in SCORES:
        date, access, chinese = MODELS[model]
        rows.append(
            {
                "benchmark_id": bench,
                "model_id": model,
                "score": score,
                "release_date": pd.to_datetime(date) if date else pd.NaT,
                "access": access,
                "chinese": chinese,
            }
        )
    return pd.DataFrame(rows)


def days(a: str, b: str) -> float:
    return (pd.Timestamp(b) - pd.Timestamp(a)).days / DAYS_PER_MONTH


# Worked by hand (see the comments in test_exact_datapoints).
EXPECTED = {
    ("bench_a", 0.50, "c1", "o2"): days("2024-01-01", "2024-09-01"),
    ("bench_a", 0.55, "c2-xhigh", "o2"): days("2024-04-01", "2024-09-01"),
    ("bench_a", 0.70, "c2-xhigh", "o3"): days("2024-04-01", "2025-01-01"),
    ("bench_a", 0.75, "c3", "o3"): days("2024-07-01", "2025-01-01"),
    ("gpqa_diamond", 0.40, "c2-xhigh", "o1"): days("2024-04-01", "2024-03-01"),
    ("gpqa_diamond", 0.45, "c2-xhigh", "o2"): days("2024-04-01", "2024-09-01"),
    ("gpqa_diamond", 0.50, "c3", "o2"): days("2024-07-01", "2024-09-01"),
    ("gpqa_diamond", 0.60, "c3", "o3"): days("2024-07-01", "2025-01-01"),
    ("metr_time_horizons", 2.0, "c1", "o2"): days("2024-01-01", "2024-09-01"),
    ("metr_time_horizons", 5.0, "c2-xhigh", "o2"): days("2024-04-01", "2024-09-01"),
    ("metr_time_horizons", 10.0, "c2-xhigh", "o3"): days("2024-04-01", "2025-01-01"),
    ("metr_time_horizons", 20.0, "c3", "o3"): days("2024-07-01", "2025-01-01"),
}


def as_dict(dp: pd.DataFrame) -> dict[tuple, float]:
    return {
        (r.benchmark_id, round(r.threshold, 6), r.closed_model, r.open_model): r.gap_months
        for r in dp.itertuples()
    }


def test_exact_datapoints():
    res = run_baseline(scores_frame(), BENCHMARKS, n_bootstrap=0)
    got = as_dict(res.datapoints)
    # bench_a: (c1, o2) spans 0.35-0.50 and is counted once at 0.50; (c2-xhigh, o3) spans
    # 0.60-0.70 -> 0.70; 0.80 is crossed by c3 only (left out). gpqa: o1 (March) crosses
    # 0.35-0.40 before the first closed crosser c2-xhigh (April): a negative gap, kept.
    # 0.65 is crossed by o3 only (left out). METR: thresholds in minutes, 50 closed-only.
    assert set(got) == set(EXPECTED)
    for key, gap in EXPECTED.items():
        assert got[key] == pytest.approx(gap, abs=1e-12)
    assert got[("gpqa_diamond", 0.40, "c2-xhigh", "o1")] == pytest.approx(-31 / 30.4375)
    assert list(res.datapoints.columns) == [
        "benchmark_id",
        "access_type",
        "threshold",
        "closed_model",
        "closed_date",
        "open_model",
        "open_date",
        "gap_months",
    ]
    # dated at the open model's release, sorted in time
    assert res.datapoints["open_date"].is_monotonic_increasing
    assert res.summary["groups"]["private"]["n_datapoints"] == 8
    assert res.summary["groups"]["public"]["n_datapoints"] == 4
    assert res.summary["groups"]["all"]["n_datapoints"] == 12


def test_crossing_statuses():
    res = run_baseline(scores_frame(), BENCHMARKS, n_bootstrap=0)
    cr = res.crossings.set_index(["benchmark_id", "threshold"])["status"]
    status = {(b, round(t, 6)): s for (b, t), s in cr.items()}
    for t in (0.40, 0.45, 0.60, 0.65):
        assert status[("bench_a", t)] == "duplicate_pair"
    assert ("bench_a", 0.35) not in status  # below the 10th percentile (0.352)
    assert status[("bench_a", 0.80)] == "closed_only"
    assert status[("bench_a", 0.85)] == "uncrossed"
    assert status[("gpqa_diamond", 0.35)] == "duplicate_pair"
    assert status[("gpqa_diamond", 0.55)] == "duplicate_pair"
    assert status[("gpqa_diamond", 0.65)] == "open_only"
    assert status[("metr_time_horizons", 50.0)] == "closed_only"
    assert "not_published" not in {b for b, _ in status}


def test_threshold_rules():
    res = run_baseline(scores_frame(), BENCHMARKS, n_bootstrap=0)
    info = {b["benchmark_id"]: b for b in res.summary["benchmarks"]}
    # bench_a: per-model scores (known access and date, max per model, "mystery" and
    # "undated" dropped) are 0.10 0.52 0.55 0.60 0.72 0.78 0.80 -> 10th percentile
    # 0.10 + 0.6 * (0.52 - 0.10) = 0.352, so 0.40 ... 1.00 count.
    assert np.percentile([0.10, 0.52, 0.55, 0.60, 0.72, 0.78, 0.80], 10) == pytest.approx(0.352)
    assert info["bench_a"]["rule"] == "percentile"
    assert info["bench_a"]["thresholds"] == pytest.approx(np.arange(8, 21) * 0.05)
    assert info["gpqa_diamond"]["rule"] == "review"
    assert info["gpqa_diamond"]["thresholds"] == pytest.approx(np.arange(7, 19) * 0.05)
    assert info["metr_time_horizons"]["thresholds"] == [2.0, 5.0, 10.0, 20.0, 50.0]


def test_review_list_vs_percentile_rule():
    # Without review lists gpqa uses the 10th-percentile rule: its cut (0.05 ... -> 0.20)
    # admits 0.25 and 0.30, where (c1, o1) is a new pair; the published list (35-90) does not.
    res = run_baseline(scores_frame(), BENCHMARKS, n_bootstrap=0, accepted_lists={})
    got = as_dict(res.datapoints)
    key = ("gpqa_diamond", 0.30, "c1", "o1")
    assert got[key] == pytest.approx(days("2024-01-01", "2024-03-01"))
    assert key not in as_dict(run_baseline(scores_frame(), BENCHMARKS, n_bootstrap=0).datapoints)
    # METR without its list: 100-500 minutes are candidates (only c3 reaches 60: none crossed)
    assert set(threshold_grid("minutes", [])) == {2, 5, 10, 20, 50, 100, 200, 500}


def test_percentile_rule_strictly_above():
    thr, rule = accepted_thresholds("whatever", "percent", [10.0, 20.0, 30.0, 40.0, 50.0])
    # 10th percentile = 14: 15, 20, ..., 100 count, 10 does not
    assert rule == "percentile"
    assert thr[0] == 15.0 and thr[-1] == 100.0 and len(thr) == 18
    thr, _ = accepted_thresholds("whatever", "percent", [15.0, 15.0, 15.0])
    assert thr[0] == 20.0


def test_same_day_tie_picks_stronger_model():
    # c2-medium sorts first by name but c2-xhigh (same date) scores higher: it must be the
    # first crosser at 0.55-0.60, otherwise an extra (c2-medium, o3) pair would appear.
    res = run_baseline(scores_frame(), BENCHMARKS, n_bootstrap=0)
    assert "c2-medium" not in set(res.datapoints["closed_model"])
    assert "c2-medium" not in set(res.crossings["closed_model"].dropna())


def test_max_score_per_model_and_dropped_models():
    prep = prepare_scores(scores_frame())
    a = prep[prep["benchmark_id"] == "bench_a"].set_index("model_id")["score"]
    assert a["o3"] == 0.78
    assert "mystery" not in a.index and "undated" not in a.index


def test_chinese_only():
    res = run_baseline(scores_frame(), BENCHMARKS, n_bootstrap=0, chinese_only=True)
    got = as_dict(res.datapoints)
    # o2 (not Chinese) is removed; bench_a thresholds are unchanged (benchmark property),
    # so o3 is the first open crosser from 0.35 up.
    a = {k: v for k, v in got.items() if k[0] == "bench_a"}
    assert set(a) == {
        ("bench_a", 0.50, "c1", "o3"),
        ("bench_a", 0.70, "c2-xhigh", "o3"),
        ("bench_a", 0.75, "c3", "o3"),
    }
    assert "o2" not in set(res.datapoints["open_model"])
    assert res.summary["parameters"]["chinese_only"] is True


def test_unknown_benchmarks_run_without_published_flag():
    # Simulated tables: unknown ids, no "published" column -> scale grid + percentile rule.
    bench = BENCHMARKS.drop(columns="published").replace(
        {"gpqa_diamond": "sim_1", "GPQA Diamond": "Sim 1"}
    )
    df = scores_frame().replace({"gpqa_diamond": "sim_1"})
    res = run_baseline(df, bench, n_bootstrap=0)
    info = {b["benchmark_id"]: b for b in res.summary["benchmarks"]}
    assert info["sim_1"]["rule"] == "percentile"
    assert "not_published" in info
