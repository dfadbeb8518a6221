"""Leave-future-out and leave-one-model-out comparison (exact refits), on a world with a known gap.

The world is test_compare's: a gap shrinking from ~29 to ~3 months, simulated from
``timeshift-v1``, fitted by the true spec and by ``constant-gap``. A constant gap predicts the
newest open models far too weak, so leaving the future out (or whole models out) must prefer
the true spec by more than twice the standard error of the difference. The refits use the
fits' short chains; the folds are shared by both specs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_compare import fits, shrinking_world  # noqa: F401  (module-scoped fixture)

from gapbayes.comparison.compare import compare_fits
from gapbayes.comparison.crossval import training_design
from gapbayes.comparison.crossval_compare import score_keys, shared_folds
from gapbayes.errors import GapbayesError

QUIET = {"log": lambda *a: None}


@pytest.fixture(scope="module")
def lfo(fits, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("cv")
    return compare_fits([fits["constant-gap"], fits["timeshift-v1"]], cv="lfo",
                        models=shrinking_world().models, kfold_dir=out, **QUIET)


def test_lfo_prefers_the_true_spec_by_more_than_two_standard_errors(lfo):
    row = lfo.table.set_index("spec")
    assert list(lfo.table["spec"]) == ["timeshift-v1", "constant-gap"], lfo.format("text")
    assert row.loc["constant-gap", "elpd_diff"] < -2 * row.loc["constant-gap", "dse"]
    assert (lfo.table["criterion"] == "lfo").all()
    # the comparison is on the scores both specs predicted, paired
    assert lfo.pointwise.shape[1] == 2 and lfo.pointwise.index.name == "score"
    np.testing.assert_allclose(lfo.pointwise.sum().loc[list(lfo.table["spec"])],
                               lfo.table["elpd"])
    assert any(n.startswith("LFO: fit on base models released before") for n in lfo.notes)


def test_lomo_prefers_the_true_spec_by_more_than_two_standard_errors(fits, tmp_path):  # noqa: F811
    res = compare_fits([fits["constant-gap"], fits["timeshift-v1"]], cv="lomo", cv_folds=3,
                       models=shrinking_world().models, kfold_dir=tmp_path, **QUIET)
    row = res.table.set_index("spec")
    assert list(res.table["spec"]) == ["timeshift-v1", "constant-gap"], res.format("text")
    assert row.loc["constant-gap", "elpd_diff"] < -2 * row.loc["constant-gap", "dse"]
    # every score is predicted once: the folds partition the models
    assert len(res.pointwise) == fits["timeshift-v1"].manifest["data"]["n_scores"]


def test_folds_keep_variants_of_a_base_model_together_and_agree_across_designs(fits):  # noqa: F811
    data = fits["timeshift-v1"].data
    models = shrinking_world().models.copy()
    # make pairs of models variants of one base model
    models["base_model"] = models["model_id"].where(np.arange(len(models)) % 2 == 0,
                                                    models["model_id"].shift(1))
    (a,), _ = shared_folds([data], models, "lomo", k=4, seed=2)
    base = dict(zip(models["model_id"], models["base_model"], strict=True))
    row_base = np.array([base[data.model_ids[m]] for m in data.obs_model])
    fold_of_row = np.empty(len(data.y), int)
    for f in a:
        fold_of_row[f.test] = f.index
    for b in np.unique(row_base):
        assert len(set(fold_of_row[row_base == b])) == 1
    # the same folds for the same models in a second (here: identical) design
    (again,), _ = shared_folds([data], models, "lomo", k=4, seed=2)
    assert all(np.array_equal(x.test, y.test) for x, y in zip(a, again, strict=True))


def test_training_design_standardises_linear_scores_on_training_rows_only(fits):  # noqa: F811
    data = fits["timeshift-v1"].data
    lin = np.flatnonzero(data.bench_linear[data.obs_bench] == 1)
    train = np.setdiff1d(np.arange(len(data.y)), lin[: len(lin) // 2])
    scaled, sub = training_design(data, train)
    b = int(data.bench_linear.argmax())
    native = data.y * data.lin_scale[data.obs_bench] + data.lin_center[data.obs_bench]
    kept = native[np.intersect1d(train, lin)]
    assert scaled.lin_center[b] == pytest.approx(kept.mean())
    assert len(sub.y) == len(train) and np.array_equal(sub.obs_model, data.obs_model[train])


def test_score_keys_are_unique_and_name_model_and_benchmark(fits):  # noqa: F811
    data = fits["timeshift-v1"].data
    keys = score_keys(data)
    assert len(set(keys)) == len(keys)
    assert keys[0].startswith(f"{data.model_ids[data.obs_model[0]]}|"
                              f"{data.bench_ids[data.obs_bench[0]]}|")


def test_unknown_cv_and_missing_models_table_are_refused(fits):  # noqa: F811
    pair = [fits["constant-gap"], fits["timeshift-v1"]]
    with pytest.raises(GapbayesError, match=r"^unknown --cv 'loso': use loo, lomo, lfo$"):
        compare_fits(pair, cv="loso", **QUIET)
    with pytest.raises(GapbayesError, match=r"^--cv lfo needs the data's models table$"):
        compare_fits(pair, cv="lfo", **QUIET)
    with pytest.raises(GapbayesError, match=r"^--cv-cutoff 2035-01-01: leaves no model"):
        shared_folds([fits["timeshift-v1"].data], pd.DataFrame(shrinking_world().models),
                     "lfo", cutoff="2035-01-01")


def test_refits_take_the_fits_settings_not_what_its_pilot_learned():
    # a pilot fit's manifest also records the pilot's rank, eigenvalues and dense block
    # (inference/fit.py); refits must rebuild the settings alone (this was a TypeError)
    import xarray as xr

    from gapbayes.comparison.crossval_compare import refit_settings
    from gapbayes.inference.backend_base import SamplerSettings
    from gapbayes.inference.fit import _pilot_summary

    settings = SamplerSettings(adaptation="pilot", extra_doublings=1, target_accept=0.95, seed=3)
    post = xr.Dataset(attrs={"pilot_rank": "54", "pilot_eigenvalues": "[9.1, 4.2]",
                             "pilot_block": "208", "pilot_block_shrinkage": "0.12"})
    learned = _pilot_summary(xr.DataTree.from_dict({"posterior": post}))
    assert learned["pilot_rank"] == 54                 # the manifest does carry them
    manifest = {"sampler": {**settings.as_dict("pymc"), **learned}}
    refit = refit_settings(manifest)
    assert refit.as_dict("pymc") == settings.as_dict("pymc")
    assert refit.progressbar is False


def test_a_fold_with_non_finite_held_out_densities_fails_and_names_the_broken_draws():
    # raised inside the fold, so the fold is not stored and a re-run retries it
    from types import SimpleNamespace

    import xarray as xr

    from gapbayes.comparison.crossval import check_heldout_densities
    from gapbayes.errors import RunFailure

    data = SimpleNamespace(lin_idx=np.array([7]))
    post = xr.Dataset({"mu": (("chain", "draw"), [[0.0, np.nan]]),
                       "sd": (("chain", "draw"), [[1.0, 2.0]])})
    rows, lpd = np.array([3, 5, 7]), np.array([-1.2, -np.inf, np.nan])
    with pytest.raises(RunFailure, match=r"^default-lomo-fold4: 2 of 3 held-out log densities "
                       r"are not finite \(1 sigmoid, 1 linear scores\); posterior variables "
                       r"with non-finite draws: mu$"):
        check_heldout_densities(lpd, rows, data, post, "default-lomo-fold4")
    check_heldout_densities(lpd[:1], rows[:1], data, post, "default-lomo-fold4")
