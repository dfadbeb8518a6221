"""The tree-depth check counts trajectories the depth limit cut off, not draws at the limit.

nutpie's ``extra_doublings`` keep doubling a trajectory after it turned, so with them a draw
can sit at the maximum depth without having been cut off; the check must read the sampler's
own flag there, and the depth where the sampler has none (Stan).
"""

from __future__ import annotations

import numpy as np
import nutpie
import pymc as pm
import pytest
import xarray as xr

from gapbayes.inference.diagnostics import DEPTH_SATURATION_MAX, run_diagnostics, truncated_share


@pytest.fixture(scope="module")
def correlated_normal():
    """A posterior a diagonal mass matrix cannot fix: trajectories need depth 4-6."""
    with pm.Model() as model:
        pm.MvNormal("x", np.zeros(2), np.array([[1.0, 0.995], [0.995, 1.0]]))
    return nutpie.compile_pymc_model(model)


def _stats(compiled, maxdepth: int, extra: int) -> xr.Dataset:
    trace = nutpie.sample(compiled, draws=300, tune=300, chains=2, seed=1, maxdepth=maxdepth,
                          extra_doublings=extra, progress_bar=False)
    return trace["sample_stats"].to_dataset()


def test_without_extra_doublings_the_flag_and_the_depth_agree(correlated_normal):
    stats = _stats(correlated_normal, maxdepth=5, extra=0)
    at_limit = float(np.mean(stats["depth"].values >= 5))
    assert at_limit > DEPTH_SATURATION_MAX                 # the limit really binds here
    assert truncated_share(stats, 5) == pytest.approx(at_limit)
    assert truncated_share(stats.drop_vars("maxdepth_reached"), 5) == pytest.approx(at_limit)


def test_extra_doublings_reach_the_limit_without_being_cut_off(correlated_normal):
    stats = _stats(correlated_normal, maxdepth=6, extra=1)
    assert np.mean(stats["depth"].values >= 6) > DEPTH_SATURATION_MAX
    assert truncated_share(stats, 6) < np.mean(stats["depth"].values >= 6)
    assert truncated_share(stats, 6) == pytest.approx(np.mean(stats["maxdepth_reached"].values))


def _tree(depth: np.ndarray, flag: np.ndarray | None) -> xr.DataTree:
    rng = np.random.default_rng(0)
    stats = xr.Dataset({
        "diverging": (("chain", "draw"), np.zeros(depth.shape, bool)),
        "energy": (("chain", "draw"), rng.normal(size=depth.shape)),
        "depth": (("chain", "draw"), depth),
    })
    if flag is not None:
        stats["maxdepth_reached"] = (("chain", "draw"), flag)
    post = xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=depth.shape)),
                       "gap_backward": (("chain", "draw"), rng.normal(5, 1, size=depth.shape))})
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})


def _depth_check(tree: xr.DataTree):
    return next(c for c in run_diagnostics(tree, ["mu"]).checks
                if c.name == "treedepth_saturation")


def test_the_gate_passes_doubled_trajectories_and_fails_cut_off_ones():
    depth = np.full((4, 500), 8)
    depth[:, :10] = 10                                     # 2% of draws at depth 10
    doubled = _depth_check(_tree(depth, np.zeros(depth.shape, bool)))
    assert doubled.passed and doubled.value == 0.0
    cut = _depth_check(_tree(depth, depth >= 10))
    assert not cut.passed and cut.value == pytest.approx(0.02)
    stan = _depth_check(_tree(depth, None))                # no flag: the depth decides
    assert not stan.passed and stan.value == pytest.approx(0.02)
    assert stan.detail == "(share of trajectories stopped at max depth 10 before they turned)"
