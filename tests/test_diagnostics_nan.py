"""Diagnostics skip elements that are "not identified" (NaN in every draw) or fixed by the
model (the same in every draw), and only those."""

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


def test_a_failed_rhat_names_its_worst_values_by_coordinate():
    rng = np.random.default_rng(2)
    theta = rng.normal(size=(4, 500, 3))
    theta[0, :, 1] += 3.0                      # one chain apart on the second benchmark
    tree = _tree(rng.normal(5, 1, size=(4, 500, 2)))
    post = tree["posterior"].to_dataset().assign(
        difficulty=(("chain", "draw", "sig_benchmark"), theta)).assign_coords(
        sig_benchmark=["gpqa", "arc_agi", "hle"])
    tree = xr.DataTree.from_dict({"posterior": post,
                                  "sample_stats": tree["sample_stats"].to_dataset()})
    check = _check(run_diagnostics(tree, ["mu", "difficulty"]), "rhat_max")
    assert not check.passed
    assert check.detail.startswith("(1 of 6 values over 1.01; largest: difficulty[arc_agi] ")
    assert _check(run_diagnostics(_tree(rng.normal(size=(4, 500, 2))), ["mu"]),
                  "rhat_max").detail == ""


def _with(tree: xr.DataTree, name: str, values: np.ndarray) -> xr.DataTree:
    post = tree["posterior"].to_dataset().assign({name: (("chain", "draw", "benchmark"), values)})
    return xr.DataTree.from_dict({"posterior": post,
                                  "sample_stats": tree["sample_stats"].to_dataset()})


def test_an_element_fixed_by_the_model_does_not_fail_rhat():
    # one benchmark: its zero-sum shift is 0 in every draw, so R-hat is NaN there
    rng = np.random.default_rng(3)
    tree = _tree(rng.normal(5, 1, size=(4, 500, 2)))
    shift = np.zeros((4, 500, 1))
    check = _check(run_diagnostics(_with(tree, "benchmark_shift_z", shift),
                                   ["mu", "benchmark_shift_z"]), "rhat_max")
    assert check.passed and np.isfinite(check.value)


def test_a_chain_stuck_at_one_value_still_fails_rhat():
    rng = np.random.default_rng(4)
    tree = _tree(rng.normal(5, 1, size=(4, 500, 2)))
    stuck = rng.normal(size=(4, 500, 1))
    stuck[0] = 2.5                             # one chain never moves, the others do
    check = _check(run_diagnostics(_with(tree, "benchmark_shift_z", stuck),
                                   ["mu", "benchmark_shift_z"]), "rhat_max")
    assert not check.passed
