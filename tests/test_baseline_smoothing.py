"""Kernel smoothing and bootstrap of the threshold-crossing baseline."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from gapbayes.baseline.smoothing import (
    bootstrap_estimates,
    grid_dates,
    kernel_weights,
    smooth_gaps,
)


def random_points(n: int = 40, seed: int = 1) -> tuple[pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.integers(0, 900, size=n))
    dates = pd.Series(pd.Timestamp("2023-01-01") + pd.to_timedelta(offsets, unit="D"))
    gaps = 6.0 + 3.0 * rng.standard_normal(n)
    return dates, gaps


def test_grid_is_weekly_and_spans_the_data():
    dates = pd.Series(pd.to_datetime(["2024-01-01", "2024-03-05", "2024-02-01"]))
    g = grid_dates(dates)
    assert g[0] == np.datetime64("2024-01-01")
    assert np.all(np.diff(g) == np.timedelta64(7, "D"))
    assert g[-1] <= np.datetime64("2024-03-05") < g[-1] + np.timedelta64(7, "D")


def test_constant_gaps_give_constant_curve_and_band():
    dates, _ = random_points()
    curve = smooth_gaps(dates, np.full(len(dates), 4.25), n_boot=300)
    ok = curve["gap"].notna()
    assert ok.sum() > 100
    assert np.allclose(curve.loc[ok, "gap"], 4.25)
    assert np.allclose(curve.loc[ok, "lo90"], 4.25)
    assert np.allclose(curve.loc[ok, "hi90"], 4.25)


def test_matches_direct_formula():
    dates, gaps = random_points(15)
    curve = smooth_gaps(dates, gaps, sigma_days=60, n_boot=0)
    x = dates.to_numpy("datetime64[D]").astype(float)
    for row in curve.iloc[::10].itertuples():
        t = np.datetime64(row.date, "D").astype(float)
        w = np.exp(-0.5 * ((t - x) / 60.0) ** 2)
        neff = w.sum() ** 2 / (w**2).sum()
        assert row.n_eff == pytest.approx(neff)
        if neff >= 2:
            assert row.gap == pytest.approx((w * gaps).sum() / w.sum())
        else:
            assert np.isnan(row.gap)


def test_low_effective_sample_size_is_nan():
    # Two points two years apart: near each one the kernel sees a single point (n_eff ~ 1).
    dates = pd.Series(pd.to_datetime(["2023-01-01", "2025-01-01"]))
    curve = smooth_gaps(dates, np.array([2.0, 9.0]), n_boot=200)
    first, last = curve.iloc[0], curve.iloc[-1]
    assert first["n_eff"] < 2 and np.isnan(first["gap"]) and np.isnan(first["lo90"])
    assert last["n_eff"] < 2 and np.isnan(last["gap"])
    # one datapoint: never two effective points
    one = smooth_gaps(pd.Series(pd.to_datetime(["2024-05-01"])), np.array([3.0]), n_boot=50)
    assert one["gap"].isna().all()


def test_bootstrap_interval_contains_estimate():
    dates, gaps = random_points(60)
    curve = smooth_gaps(dates, gaps, n_boot=2000).dropna(subset=["gap"])
    assert (curve["lo90"] < curve["hi90"]).all()
    assert ((curve["lo90"] <= curve["gap"]) & (curve["gap"] <= curve["hi90"])).all()


def test_seed_determinism():
    dates, gaps = random_points()
    a = smooth_gaps(dates, gaps, n_boot=500, rng=np.random.default_rng(0))
    b = smooth_gaps(dates, gaps, n_boot=500, rng=np.random.default_rng(0))
    c = smooth_gaps(dates, gaps, n_boot=500, rng=np.random.default_rng(1))
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["lo90"].dropna(), c["lo90"].dropna())


def test_vectorised_bootstrap_equals_explicit_resampling():
    # Sparse points, so that some resamples fall below n_eff 2 where the full data does not.
    dates, gaps = random_points(8)
    grid = grid_dates(dates)
    w = kernel_weights(grid, dates.to_numpy("datetime64[D]"))
    boot = bootstrap_estimates(w, gaps, 200, np.random.default_rng(7), min_neff=2.0)
    idx = np.random.default_rng(7).integers(0, len(gaps), size=(200, len(gaps)))
    for b in range(200):
        wb = w[:, idx[b]]  # the resampled rows, duplicates included
        explicit = (wb @ gaps[idx[b]]) / wb.sum(axis=1)
        neff = wb.sum(axis=1) ** 2 / (wb**2).sum(axis=1)
        explicit[neff < 2.0] = np.nan
        np.testing.assert_allclose(boot[b], explicit)
    assert 0 < np.isnan(boot).mean() < 1


def test_5000_bootstrap_is_fast():
    dates, gaps = random_points(150)
    t0 = time.perf_counter()
    curve = smooth_gaps(
        pd.concat([dates, dates + pd.Timedelta(days=900)]), np.r_[gaps, gaps], n_boot=5000
    )
    assert time.perf_counter() - t0 < 5.0
    assert len(curve) > 250
