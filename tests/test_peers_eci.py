"""The ECI-style gap on a hand-checked table: abilities, running bests, gaps, bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gapbayes.baseline.abilities import als_fit, item_table, sample_abilities
from gapbayes.baseline.crossings import DAYS_PER_MONTH
from gapbayes.baseline.eci import run_eci
from gapbayes.baseline.frontiers import (
    OPEN_AHEAD,
    backward_gap,
    interval,
    mean_horizontal_gap,
    running_best,
)

# model -> (release date, access, chinese, rank). Every benchmark orders the models by rank,
# and every model is scored on the same benchmarks, so the fitted abilities keep that order
# (ability = sum_b a_b (z_mb + a_b D_b) / (sum_b a_b^2 + ridge) with every slope a_b > 0).
# Running bests: closed c1 r2 (01-01), c2 r4 (03-01), c3 r6 (05-01), c4 r8 (07-01),
# c5 r10 (09-01); open o1 r3 (02-01), o2 r5 (06-01), o3 r7 (10-01), o4 r9 (2025-03-01).
MODELS = {
    "c1": ("2024-01-01", "closed", False, 2),
    "o1": ("2024-02-01", "open", True, 3),
    "c2": ("2024-03-01", "closed", False, 4),
    "c3": ("2024-05-01", "closed", False, 6),
    "o2": ("2024-06-01", "open", False, 5),
    "c4": ("2024-07-01", "closed", False, 8),
    "c5": ("2024-09-01", "closed", False, 10),
    "o3": ("2024-10-01", "open", True, 7),
    "o4": ("2025-03-01", "open", True, 9),
}
# benchmark -> score of rank r (all inside the [0.01, 0.99] clip, chance 0)
SCORE_OF_RANK = {
    "bench_x": lambda r: 0.02 + 0.05 * r,
    "bench_y": lambda r: 0.08 * r,
    "bench_z": lambda r: 0.09 * r - 0.05,
}
BENCHMARKS = pd.DataFrame({
    "benchmark_id": list(SCORE_OF_RANK),
    "name": ["X", "Y", "Z"],
    "scale": "proportion",
    "access_type": ["private", "public", "public"],
    "transform": "identity",
    "link": "sigmoid",
    "chance": 0.0,
    "published": True,
})


def days(a: str, b: str) -> float:
    """Months from date b to date a."""
    return (pd.Timestamp(a) - pd.Timestamp(b)).days / DAYS_PER_MONTH


def scores_frame(models: dict = MODELS) -> pd.DataFrame:
    rows = [
        {"benchmark_id": b, "model_id": m, "score": f(rank), "release_date": pd.Timestamp(date),
         "access": access, "chinese": chinese}
        for m, (date, access, chinese, rank) in models.items()
        for b, f in SCORE_OF_RANK.items()
    ]
    return pd.DataFrame(rows)


def test_abilities_keep_the_rank_order():
    sample = sample_abilities(scores_frame(), BENCHMARKS, n_boot=0)
    ranked = sample.models.sort_values("ability")["model_id"].tolist()
    assert ranked == sorted(MODELS, key=lambda m: MODELS[m][3])
    assert sample.fit.ability.mean() == pytest.approx(0.0, abs=1e-12)
    assert sample.fit.ability.std(ddof=0) == pytest.approx(1.0)


def test_als_recovers_a_noise_free_two_parameter_logistic():
    rng = np.random.default_rng(3)
    c = rng.normal(size=12)
    a = np.array([0.5, 1.0, 2.0, 1.5])
    d = np.array([-1.0, 0.0, 0.5, 1.0])
    mi, bi = np.meshgrid(np.arange(12), np.arange(4), indexing="ij")
    mi, bi = mi.ravel(), bi.ravel()
    z = a[bi] * (c[mi] - d[bi])
    ability, slope, difficulty, _ = als_fit(z, mi, bi, 12, 4, ridge=0.0, tol=1e-15)
    # Standardised truth: the scale is fixed by mean 0, sd 1.
    truth = (c - c.mean()) / c.std()
    assert np.allclose(ability, truth, atol=1e-5)
    assert np.allclose(slope[bi] * (ability[mi] - difficulty[bi]), z, atol=1e-5)


def test_item_table_normalises_and_skips():
    bench = pd.DataFrame({
        "benchmark_id": ["pct", "mcq", "minutes", "b3", "b4"],
        "transform": ["percent_to_proportion", "identity", "log", "identity", "identity"],
        "link": ["sigmoid", "sigmoid", "linear", "sigmoid", "sigmoid"],
        "chance": [0.0, 0.25, 0.0, 0.0, 0.0],
    })
    rows = []
    for i, m in enumerate(["m1", "m2", "m3"]):
        for b, s in [("pct", 50.0), ("mcq", 0.625 if i else 0.1), ("minutes", 30.0),
                     ("b3", 0.5), ("b4", 0.5)]:
            rows.append({"benchmark_id": b, "model_id": m, "score": s, "access": "open",
                         "release_date": pd.Timestamp("2024-01-01"), "chinese": False})
    t = item_table(pd.DataFrame(rows), bench)
    assert t.skipped == {"minutes": "linear link: no [0, 1] range for a logistic item"}
    z = t.rows.set_index(["benchmark_id", "model_id"])["z"]
    assert z["pct", "m1"] == pytest.approx(0.0)          # 50% -> 0.5 -> logit 0
    assert z["mcq", "m2"] == pytest.approx(0.0)          # (0.625 - 0.25) / 0.75 = 0.5
    assert z["mcq", "m1"] == pytest.approx(np.log(0.01 / 0.99))   # below chance: clipped
    assert t.models["n_benchmarks"].tolist() == [4, 4, 4]


def test_backward_gap_by_hand():
    d = np.array(["2024-01-01", "2024-03-01", "2024-05-01"], dtype="datetime64[D]")
    closed = running_best(d, np.array([2.0, 4.0, 6.0]))
    opened = running_best(np.array(["2024-02-01", "2024-06-01", "2024-08-01"],
                                   dtype="datetime64[D]"), np.array([3.0, 1.0, 7.0]))
    when = np.array(["2024-01-15", "2024-02-01", "2024-07-01", "2024-08-01"],
                    dtype="datetime64[D]")
    gap, oh, ch = backward_gap(when, opened, closed)
    assert np.isnan(gap[0])                              # no open model yet
    assert gap[1] == pytest.approx(days("2024-02-01", "2024-03-01"))   # closed got there later
    assert gap[2] == pytest.approx(days("2024-07-01", "2024-03-01"))   # o2 (1.0) is no record
    assert gap[3] == OPEN_AHEAD                          # 7.0 is above every closed model
    assert oh.tolist() == [-1, 0, 0, 2] and ch.tolist() == [-1, 1, 1, -1]


def test_mean_horizontal_gap_by_hand():
    opened = running_best(np.array(["2024-02-01", "2024-06-01", "2025-03-01"],
                                   dtype="datetime64[D]"), np.array([1.0, 3.0, 5.0]))
    closed = running_best(np.array(["2024-01-01", "2024-04-01", "2024-11-01"],
                                   dtype="datetime64[D]"), np.array([2.0, 4.0, 6.0]))
    # Levels (2, 5]: (2,3] open 06-01 vs closed 04-01 = 61 days; (3,4] 2025-03-01 vs 04-01 =
    # 334 days; (4,5] 2025-03-01 vs 11-01 = 120 days; each interval has width 1.
    got = mean_horizontal_gap(opened, closed, np.datetime64("2023-01-01"),
                              np.datetime64("2026-01-01"))
    assert got == pytest.approx((61 + 334 + 120) / 3 / DAYS_PER_MONTH)
    # Until 2024-12-31 the open curve tops at 3: only (2, 3] is shared.
    got = mean_horizontal_gap(opened, closed, np.datetime64("2023-01-01"),
                              np.datetime64("2024-12-31"))
    assert got == pytest.approx(61 / DAYS_PER_MONTH)


def test_eci_gap_on_the_table():
    r = run_eci(sample_abilities(scores_frame(), BENCHMARKS, n_boot=50, seed=1))
    c = r.curve.set_index("date")
    assert c.index[0] == pd.Timestamp("2024-03-01") and c.index[-1] == pd.Timestamp("2025-03-01")
    assert c.loc["2024-03-01", "gap"] == pytest.approx(0.0)                  # o1 vs c2
    assert c.loc["2024-07-01", "gap"] == pytest.approx(days("2024-07-01", "2024-05-01"))
    s = r.summary
    assert s["near_2025_01_20"]["gap"] == pytest.approx(days("2025-01-20", "2024-07-01"))
    assert (s["near_2025_01_20"]["open_model"], s["near_2025_01_20"]["closed_model"]) == (
        "o3", "c4")
    assert s["last"]["date"] == "2025-03-01"
    assert s["last"]["gap"] == pytest.approx(days("2025-03-01", "2024-09-01"))
    assert s["n_models"] == {"open": 4, "closed": 5, "fitted": 9}
    # Every replicate keeps the order (same benchmarks for every model): a degenerate interval.
    assert s["last"]["lo90"] == pytest.approx(s["last"]["gap"])
    assert s["last"]["hi90"] == pytest.approx(s["last"]["gap"])
    assert r.abilities.loc[r.abilities["closed_record"], "model_id"].tolist() == [
        "c1", "c2", "c3", "c4", "c5"]


def test_eci_chinese_only_drops_non_chinese_open_models():
    r = run_eci(sample_abilities(scores_frame(), BENCHMARKS, n_boot=0), chinese_only=True)
    c = r.curve.set_index("date")
    # Without o2 the open best in July is o1 (r3), first reached by c2 on 03-01.
    assert c.loc["2024-07-01", "gap"] == pytest.approx(days("2024-07-01", "2024-03-01"))
    assert r.summary["n_models"]["open"] == 3


def test_open_ahead_is_not_a_number():
    models = {**MODELS, "o5": ("2025-04-01", "open", True, 12)}
    s = run_eci(sample_abilities(scores_frame(models), BENCHMARKS, n_boot=20)).summary
    assert s["last"]["gap"] is None
    assert s["last"]["open_ahead"] == ["gap", "median", "lo90", "hi90"]
    assert s["last"]["open_ahead_share"] == 1.0


def test_bootstrap_interval_contains_the_point_estimate():
    # A fourth benchmark that swaps o2 and c3 makes the replicates disagree.
    scores = scores_frame()
    extra = scores[scores["benchmark_id"] == "bench_x"].assign(benchmark_id="bench_w")
    extra.loc[extra["model_id"] == "o2", "score"] = 0.60
    extra.loc[extra["model_id"] == "c3", "score"] = 0.15
    bench = pd.concat([BENCHMARKS, BENCHMARKS.iloc[[0]].assign(benchmark_id="bench_w")])
    r = run_eci(sample_abilities(pd.concat([scores, extra]), bench, n_boot=200, seed=0))
    c = r.curve.dropna(subset=["gap"])
    assert ((c["lo90"] <= c["gap"] + 1e-9) & (c["gap"] <= c["hi90"] + 1e-9)).all()
    assert ((c["lo90"] <= c["median"]) & (c["median"] <= c["hi90"])).all()
    assert (c["hi90"] - c["lo90"]).max() > 0      # the replicates did disagree somewhere


def test_interval_orders_infinite_replicates():
    # Finite neighbours interpolate as numpy does; next to an infinity the nearer one counts.
    assert interval(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 0.9) == pytest.approx([3.0, 1.2, 4.8])
    med, lo, hi = interval(np.array([OPEN_AHEAD, 1.0, 2.0, 3.0, np.nan]), 0.9)
    assert med == pytest.approx(1.5) and hi == pytest.approx(2.85)
    assert lo == -np.inf                  # position 0.15 of the way from -inf to 1
    med, lo, hi = interval(np.array([1.0, 2.0, np.inf]), 0.9)
    assert (med, lo, hi) == (2.0, pytest.approx(1.1), np.inf)
    assert np.isnan(interval(np.array([np.nan, np.nan]))).all()
