"""Gaps derived from frontier curves, checked on curves whose gap is known exactly."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_gaps import gap_quantities, named_times
from gapbayes.model.frontier_simulate import frontier_design
from gapbayes.model.spec import load_spec

SPEC = load_spec("default")


@pytest.fixture(scope="module")
def data():
    models, benchmarks, scores = frontier_design(n_models=80, n_benchmarks=6, seed=5)
    return build_frontier_data(models, benchmarks, scores, SPEC)


def closed_curve(t: np.ndarray) -> np.ndarray:
    return 2.0 * t + 0.1 * t**2 + 10.0  # increasing on the whole grid (minimum at t = -10)


def posterior(data, open_curve, shifts=None, draws: int = 3, **scalars) -> xr.Dataset:
    """A fake posterior: the same curves in every draw (no category trends)."""
    grid = data.grid_time
    F = np.stack([closed_curve(grid), open_curve(grid)])
    B = len(data.bench_ids)
    shift = np.zeros(B) if shifts is None else shifts
    post = {"frontier": (("chain", "draw", "access", "grid"),
                         np.broadcast_to(F, (1, draws, *F.shape)).copy()),
            "open_shift": (("chain", "draw", "benchmark"),
                           np.broadcast_to(shift, (1, draws, B)).copy())}
    for name, value in scalars.items():
        post[name] = (("chain", "draw"), np.full((1, draws), value))
    return xr.Dataset(post, coords={"chain": [0], "draw": np.arange(draws)})


def test_constant_delay_gives_that_gap_both_ways(data):
    g = gap_quantities(posterior(data, lambda t: closed_curve(t - 0.5)), data)
    back = g["gap_backward"].sel(group="overall").values
    fwd = g["gap_forward"].sel(group="overall").values
    assert np.allclose(back, 6.0, atol=0.02)
    assert np.allclose(fwd, 6.0, atol=0.02)
    assert np.allclose(g["gap_change"].values, 0.0, atol=0.02)


def test_a_growing_gap_is_larger_forward_than_backward(data):
    # open frontier delayed by 8 months growing by 3 months per year: D(t) = 8 + 3 t > 0
    def delayed(t):
        return closed_curve(t - (8 + 3 * t) / 12.0)

    g = gap_quantities(posterior(data, delayed), data)
    times = data.report_time
    back = g["gap_backward"].sel(group="overall").values[0, 0]
    assert np.allclose(back, 8 + 3 * times, atol=0.05)
    fwd = g["gap_forward"].sel(group="overall").values[0, 0]
    assert np.all(fwd > back)
    six = g["gap_change"].sel(group="overall", span="last 6 months").values
    assert np.allclose(six, 3 * (times[-1] - times[-7]), atol=0.05)


def test_benchmark_shift_moves_only_its_groups(data):
    shifts = np.zeros(len(data.bench_ids))
    public = np.flatnonzero(data.bench_public == 1)
    # open models one month's closed progress better on public benchmarks: at slope ~2/yr
    # a shift of 2/12 is one month
    shifts[public] = 2.0 * 1 / 12
    post = posterior(data, lambda t: closed_curve(t - 0.5), shifts)
    g = gap_quantities(post, data)
    at = g["gap_at_date"].isel(date=-1).sel(direction="backward").values[0, 0]
    groups = list(g["group"].values)
    if 0 < len(public) < len(data.bench_ids):
        pub, priv = at[groups.index("public")], at[groups.index("private")]
        assert priv == pytest.approx(6.0, abs=0.02)
        assert 4.5 < pub < 5.5
        assert g["bias_public_vs_private_months"].values[0, 0] == pytest.approx(pub - priv)


def test_forward_gap_past_the_last_open_release_is_flagged(data):
    g = gap_quantities(posterior(data, lambda t: closed_curve(t - 0.5)), data)
    beyond = g["gap_forward_beyond"].sel(group="overall").values[0, 0]
    assert beyond[-1] == 1.0          # the last month: open reaches it only after the data
    assert beyond[0] == 0.0


def test_provider_penalty_in_months_uses_growth_where_it_acts(data):
    if not data.obs_host.any():
        pytest.skip("design without host-served scores")
    post = posterior(data, lambda t: closed_curve(t - 0.5), provider_penalty=0.5)
    months = float(gap_quantities(post, data)["bias_provider_penalty_months"].values[0, 0])
    t = np.unique(data.base_time[data.obs_base][data.obs_host == 1])
    expected = np.mean(0.5 / (2.0 + 0.2 * t) * 12.0)
    assert months == pytest.approx(expected, rel=0.01)


def test_named_dates_only_inside_the_window(data):
    named = named_times(data)
    lo, hi = data.report_time[0], data.last_open_time
    assert all(lo <= t <= hi for k, t in named.items() if not k.startswith("last"))
    assert list(named)[-1] == f"last ({data.report_dates[-1]})"


def test_backward_gap_reading_before_the_closed_data_is_flagged(data):
    # a constant 6-month delay: the reading point t - 0.5 precedes the first closed release
    # exactly in the report months less than half a year after it
    g = gap_quantities(posterior(data, lambda t: closed_curve(t - 0.5)), data)
    before = g["gap_backward_before_data"].sel(group="overall").values[0, 0]
    first_closed = data.base_time[data.base_open == 0].min()
    expected = (data.report_time - 0.5 < first_closed).astype(float)
    assert expected.any() and not expected.all()
    # months within a day of the boundary may fall either way (the gap is 6.0 +- 0.02 months)
    clear = np.abs(data.report_time - 0.5 - first_closed) > 0.01
    assert np.array_equal(before[clear], expected[clear])
    at = g["gap_backward_before_data_at_date"].sel(group="overall").values[0, 0]
    assert at[-1] == 0.0               # the last month reads well inside the data


def test_gap_tables_mark_backward_gaps_read_before_the_closed_data(data):
    from gapbayes.inference.fit_tables import gap_at_dates, gap_over_time

    post = posterior(data, lambda t: closed_curve(t - 0.5))
    post = post.merge(gap_quantities(post, data))
    table = gap_over_time(post, data)
    back = table[(table["direction"] == "backward") & (table["group"] == "overall")]
    first_closed = data.base_time[data.base_open == 0].min()
    flagged = back.set_index("month")["before_closed_data"]
    expected = dict(zip(data.report_dates, data.report_time - 0.5 < first_closed - 0.01,
                        strict=True))
    assert all(flagged[m] for m, e in expected.items() if e)
    assert not flagged.iloc[-1]
    fwd = table[table["direction"] == "forward"]
    assert not fwd["before_closed_data"].any() and fwd["before_data_share"].isna().all()
    dates = gap_at_dates(post, data)
    assert not dates["before_closed_data"].any()    # named dates and the last month
