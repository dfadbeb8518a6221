"""Censored time-to-match: Kaplan-Meier by hand, levels on the hand-checked table, censoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_peers_eci import BENCHMARKS, MODELS, days, scores_frame

from gapbayes.baseline.abilities import sample_abilities
from gapbayes.baseline.censored import kaplan_meier, km_median, match_levels, run_censored


def test_kaplan_meier_by_hand():
    # times 1, 2, 2+, 3, 4+, 5: S(1) = 5/6, S(2) = 5/6 * 4/5 = 2/3 (the censored 2 still at
    # risk at 2), S(3) = 2/3 * 2/3 = 4/9, S(4) unchanged (censored), S(5) = 0.
    t = np.array([1.0, 2.0, 2.0, 3.0, 4.0, 5.0])
    e = np.array([True, True, False, True, False, True])
    km = kaplan_meier(t, e)
    assert km["months"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert km["at_risk"].tolist() == [6, 5, 3, 2, 1]
    assert km["matched"].tolist() == [1, 1, 1, 0, 1]
    assert km["censored"].tolist() == [0, 1, 0, 1, 0]
    assert km["survival"].to_numpy() == pytest.approx([5 / 6, 2 / 3, 4 / 9, 4 / 9, 0.0])
    assert km_median(t, e) == 3.0


def test_censored_levels_are_not_counted_as_matched():
    # Two matches (2, 3), three levels still unmatched after 4 months: S stays at 3/5, so the
    # median is not reached. Counting the three as matched at 4 would give a median of 4.
    t = np.array([2.0, 3.0, 4.0, 4.0, 4.0])
    assert km_median(t, np.array([True, True, False, False, False])) == np.inf
    assert km_median(t, np.ones(5, dtype=bool)) == 4.0
    assert np.isnan(km_median(np.array([]), np.array([], dtype=bool)))


def test_levels_on_the_table():
    sample = sample_abilities(scores_frame(), BENCHMARKS, n_boot=0)
    r = run_censored(sample)
    lv = r.levels.set_index("closed_model")
    assert lv.index.tolist() == ["c1", "c2", "c3", "c4", "c5"]
    assert lv["open_model"].iloc[:4].tolist() == ["o1", "o2", "o3", "o4"]
    assert pd.isna(lv["open_model"].iloc[4]) and pd.isna(lv["match_date"].iloc[4])
    expected = [days("2024-02-01", "2024-01-01"), days("2024-06-01", "2024-03-01"),
                days("2024-10-01", "2024-05-01"), days("2025-03-01", "2024-07-01"),
                days("2025-03-01", "2024-09-01")]          # c5: censored at the data's end
    assert lv["months"].to_numpy() == pytest.approx(expected)
    assert lv["matched"].tolist() == [True, True, True, True, False]
    med = r.summary["medians"]
    # Sorted: 1.0 (5 at risk), 3.0 (4), 5.0 (3) -> S = 0.8, 0.6, 0.4: median = c3's 153 days.
    assert med["all"]["median"] == pytest.approx(days("2024-10-01", "2024-05-01"))
    assert (med["all"]["n_levels"], med["all"]["n_censored"]) == (5, 1)
    assert med["before_2025"]["median"] == med["all"]["median"]
    assert med["from_2025"]["too_few_levels"] and med["from_2025"]["median"] is None
    # The year to 2025-03-01 holds c3, c4, c5 only (c2 was set on 2024-03-01 itself).
    assert med["last"]["n_levels"] == 3 and med["last"]["too_few_levels"]
    assert med["last"]["window"] == ["2024-03-01", "2025-03-01"]
    assert r.km["survival"].to_numpy() == pytest.approx([0.8, 0.6, 0.4, 0.4, 0.0])


def test_wider_window_and_bootstrap_interval():
    sample = sample_abilities(scores_frame(), BENCHMARKS, n_boot=200, seed=0)
    med = run_censored(sample, window_days=500).summary["medians"]
    last = med["last"]
    assert last["n_levels"] == 5 and last["median"] == pytest.approx(med["all"]["median"])
    for m in (med["all"], last):
        hi = np.inf if "hi90" in m["not_reached"] else m["hi90"]
        assert m["lo90"] <= m["median"] <= hi
        assert m["lo90"] < hi                 # level resampling moves the median
    # The default year holds 3 levels: too few for a median, so no interval either.
    short = run_censored(sample).summary["medians"]["last"]
    assert short["too_few_levels"] and short["lo90"] is None and short["hi90"] is None


def test_open_model_already_above_a_level_matches_at_zero():
    models = pd.DataFrame({
        "model_id": ["o0", "c1", "c2", "o1"],
        "release_date": pd.to_datetime(["2023-12-01", "2024-01-01", "2024-02-01",
                                        "2024-04-01"]),
    })
    ability = np.array([3.0, 2.0, 4.0, 5.0])
    masks = (np.array([True, False, False, True]), np.array([False, True, True, False]))
    lv = match_levels(models, ability, masks, np.datetime64("2024-06-01"))
    assert lv["closed_model"].tolist() == ["c1", "c2"]
    assert lv["open_model"].tolist() == ["o0", "o1"]
    assert lv["months"].to_numpy() == pytest.approx([0.0, days("2024-04-01", "2024-02-01")])


def test_chinese_only_drops_o2():
    sample = sample_abilities(scores_frame(), BENCHMARKS, n_boot=0)
    lv = run_censored(sample, chinese_only=True).levels
    # Without o2 (r5), c2's level r4 waits for o3 (r7) on 2024-10-01.
    assert lv["open_model"].iloc[:4].tolist() == ["o1", "o3", "o3", "o4"]
    assert lv["months"].iloc[1] == pytest.approx(days("2024-10-01", "2024-03-01"))
    assert MODELS["o2"][2] is False
