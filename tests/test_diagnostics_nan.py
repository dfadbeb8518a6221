"""Diagnostics skip gap elements that are "not identified" (NaN in every draw), and only those."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gapbayes.inference.diagnostics import run_diagnostics


def _tree(gap: np.ndarray) -> xr.DataTree:
    rng = np.random.default_rng(0)
    post = xr.Dataset({
        "mu": (("chain", "draw"), rng.normal(size=(4, 500))),
        "gap_identified_backward": (("chain", "draw", "group"), gap),
    })
    stats = xr.Dataset({
        "diverging": (("chain", "draw"), np.zeros((4, 500), bool)),
        "energy": (("chain", "draw"), rng.normal(size=(4, 500))),
        "depth": (("chain", "draw"), np.full((4, 500), 3)),
        "step_size": (("chain", "draw"), np.full((4, 500), 0.3)),
    })
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})


def _check(diag, name):
    return next(c for c in diag.checks if c.name == name)


def test_group_gap_not_identified_at_a_date_does_not_fail_the_gate():
    gap = np.random.default_rng(1).normal(5, 1, size=(4, 500, 2))
    gap[:, :, 1] = np.nan                      # no benchmark of the group identified
    diag = run_diagnostics(_tree(gap), ["mu"])
    assert _check(diag, "rhat_max").passed and np.isfinite(_check(diag, "rhat_max").value)
    assert _check(diag, "ess_bulk_min_gap").passed and _check(diag, "ess_tail_min_gap").passed


def test_a_nan_in_some_draws_still_fails():
    gap = np.random.default_rng(1).normal(5, 1, size=(4, 500, 2))
    gap[0, 3, 1] = np.nan                      # a computation that failed in one draw
    diag = run_diagnostics(_tree(gap), ["mu"])
    assert not _check(diag, "rhat_max").passed
