"""Lab lags and frontier holders on a hand-checked table (gapbayes/model/lab_lags.py).

The closed frontier is F(t) = t (one capability unit per year), so a level x reached at
time t lags by (t - x) * 12 months. Two draws; the second differs only in the ability of the
one "other" model, which then no longer holds the open frontier.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from gapbayes.model.lab_lags import (
    country_lag_draws,
    frontier_holders,
    holder_probabilities,
    lab_lag_draws,
    lab_model_counts,
    reported_labs,
    running_best,
)

FAMILIES = ["LabA", "LabB", "LabC", "other"]
#            A    A    A    B    B    B    C    C    other
FAMILY = [0, 0, 0, 1, 1, 1, 2, 2, 3]
TIME = [1.0, 2.0, 3.0, 1.5, 2.5, 3.5, 1.0, 2.0, 2.0]
OPEN = [0, 0, 0, 1, 1, 1, 0, 0, 1]
ABILITY = np.array([[1.0, 1.5, 3.2, 0.5, 2.0, 2.0, 0.2, 0.3, 5.0],
                    [1.0, 1.5, 3.2, 0.5, 2.0, 2.0, 0.2, 0.3, 0.0]])
TIMES = np.array([1.0, 2.0, 3.0, 3.5])


@pytest.fixture
def data():
    grid = np.linspace(0.0, 4.0, 49)
    return SimpleNamespace(family_names=FAMILIES, base_family=np.array(FAMILY),
                           base_time=np.array(TIME), base_open=np.array(OPEN), grid_time=grid)


def test_labs_with_three_models_most_models_first(data):
    assert reported_labs(data) == ["LabA", "LabB"]          # LabC has 2, "other" is no lab
    assert lab_model_counts(data, ["LabA", "LabB"]) == {"LabA": (3, 0), "LabB": (0, 3)}


def test_running_best_and_its_holder():
    level, holder = running_best(ABILITY[:, :3], np.array(TIME[:3]), TIMES)
    assert level[0].tolist() == [1.0, 1.5, 3.2, 3.2]
    assert holder[0].tolist() == [0, 1, 2, 2]
    level, holder = running_best(ABILITY[:, :3], np.array(TIME[:3]), np.array([0.5]))
    assert level[0, 0] == -np.inf and holder[0, 0] == -1


def test_lags_in_months_known_numbers(data):
    closed = np.tile(data.grid_time, (2, 1))
    labs, lags = lab_lag_draws(ABILITY, closed, data, TIMES)
    assert labs == ["LabA", "LabB"]
    # LabA: best 1.0, 1.5, 3.2, 3.2 -> (t - best) * 12; 3.2 is above F(3) = 3: a lead
    np.testing.assert_allclose(lags[0, 0], [0.0, 6.0, -2.4, 3.6], atol=1e-6)
    # LabB: nothing released at t = 1 (NaN), then 0.5, 2.0, 2.0
    assert np.isnan(lags[0, 1, 0])
    np.testing.assert_allclose(lags[0, 1, 1:], [18.0, 12.0, 18.0], atol=1e-6)


def test_level_below_the_grid_is_censored_at_its_start(data):
    closed = np.tile(data.grid_time + 1.0, (2, 1))           # F(0) = 1: 0.5 is never reached
    _, lags = lab_lag_draws(ABILITY, closed, data, TIMES)
    assert lags[0, 1, 1] == pytest.approx(2.0 * 12)          # t - grid start, a lower bound


def test_frontier_holders_and_their_probabilities(data):
    codes = frontier_holders(ABILITY, data, TIMES)
    # closed group: LabA holds it throughout (LabC's 0.2 and 0.3 never lead)
    assert codes[:, 0].tolist() == [[0, 0, 0, 0], [0, 0, 0, 0]]
    # open group: nothing at t = 1; "other" (5.0 at t = 2) in draw 0, LabB in draw 1
    assert codes[0, 1].tolist() == [-1, 3, 3, 3]
    assert codes[1, 1].tolist() == [-1, 1, 1, 1]
    probs = holder_probabilities(codes, len(FAMILIES))        # (family, access, time)
    np.testing.assert_allclose(probs[:, 1, 2], [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_allclose(probs[:, 1, 0], [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(probs[:, 0].sum(axis=0), 1.0)


def test_frontier_holders_table_keeps_the_dates_in_order():
    """Named dates, then months, whichever lab is found first (lab A holds only at the end)."""
    import xarray as xr

    from gapbayes.inference.fit_tables import frontier_holders as holder_table

    def codes(values, dim, labels):
        # (chain, draw, access, dim): closed as given, open without a release (-1)
        arr = np.stack([np.array(values, float), np.full(len(values), -1.0)])
        return xr.DataArray(np.broadcast_to(arr, (1, 2, *arr.shape)).copy(),
                            dims=("chain", "draw", "access", dim),
                            coords={"access": ["closed", "open"], dim: labels},
                            attrs={"families": ["A", "B"]})

    post = xr.Dataset({
        "frontier_holder_at_date": codes([1, 0], "date", ["2025-01-20", "last (2026-04)"]),
        "frontier_holder": codes([1, 0], "month", ["2026-03", "2026-04"])})
    table = holder_table(post)
    assert table["date"].tolist() == ["2025-01-20", "last (2026-04)", "2026-03", "2026-04"]
    assert table["holder"].tolist() == ["B", "A", "B", "A"]
    assert set(table["access"]) == {"closed"} and (table["probability"] == 1.0).all()


def test_country_lags_known_numbers():
    """Best Chinese vs best other open model so far; F(t) = t as above."""
    chinese = [1, 1, 1, 0, 0, 0, 0]
    time = [1.0, 2.0, 3.0, 1.5, 2.5, 3.0, 0.5]
    is_open = [1, 1, 1, 1, 1, 1, 0]                   # the last one is closed: never counted
    ability = np.array([[1.0, 1.5, 2.5, 0.5, 2.4, 2.0, 9.0]])
    data = SimpleNamespace(base_open=np.array(is_open), base_chinese=np.array(chinese),
                           base_time=np.array(time), grid_time=np.linspace(0.0, 4.0, 49))
    closed = data.grid_time[None, :]
    lags = country_lag_draws(ability, closed, data, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(lags[0, 0], [0.0, 6.0, 6.0], atol=1e-6)          # chinese open
    assert np.isnan(lags[0, 1, 0]) and np.isnan(lags[0, 2, 0])                  # none yet
    np.testing.assert_allclose(lags[0, 1, 1:], [18.0, 7.2], atol=1e-6)          # other open
    np.testing.assert_allclose(lags[0, 2, 1:], [-12.0, -1.2], atol=1e-6)        # difference
    # two other open base models are too few for a lag
    data.base_open = np.array([1, 1, 1, 1, 1, 0, 0])
    assert country_lag_draws(ability, closed, data, np.array([3.0])) is None
