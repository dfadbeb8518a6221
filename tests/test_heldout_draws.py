"""A training fit's draws reach the full model by label; missing deviations come from the prior.

The default family gives a (base model, category) cell a deviation only where it has scores,
so a training fit that leaves models out has fewer deviations than the model that scores the
held-out rows. Before ``align_draws`` the full model read them by position, past the end of
the array (PyMC evaluates with ``trust_input``): held-out densities changed from call to call.
No sampling here: prior draws of the training model stand in for its posterior.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
import xarray as xr

from gapbayes.comparison.crossval import training_design
from gapbayes.comparison.heldout_draws import align_draws
from gapbayes.errors import RunFailure
from gapbayes.model.families import family
from gapbayes.model.frontier_design import build_frontier_data, has_deviation
from gapbayes.model.frontier_simulate import frontier_design, simulate_frontier_world
from gapbayes.model.spec import load_spec

SPEC = load_spec("default")


@pytest.fixture(scope="module")
def fold():
    models, benchmarks, scores = frontier_design(n_models=60, n_benchmarks=6, seed=4)
    w = simulate_frontier_world(models, benchmarks, scores, SPEC, seed=5)
    data = build_frontier_data(w.models, w.benchmarks, w.scores, SPEC)
    # leave out every score of the base models that own the first few deviation cells
    cells = np.flatnonzero(has_deviation(data))
    held = np.unique(data.cell_base[cells[:12]])
    test = np.flatnonzero(np.isin(data.obs_base, held))
    train = np.setdiff1d(np.arange(len(data.y)), test)
    scaled, sub = training_design(data, train)
    fam = family(SPEC)
    full, trained = fam.build_pymc(scaled, SPEC), fam.build_pymc(sub, SPEC)
    draws = pm.sample_prior_predictive(draws=400, model=trained, random_seed=6)["prior"]
    return data, test, full, trained, draws.to_dataset()


def test_the_fold_lacks_deviations_that_the_full_model_has(fold):
    _, _, full, trained, _ = fold
    for dim in ("rich_cell", "poor_cell"):
        assert set(trained.coords.get(dim, ())) < set(full.coords.get(dim, ())), dim


def test_draws_are_matched_by_label_and_missing_deviations_drawn_from_their_prior(fold):
    _, _, full, trained, post = fold
    aligned = align_draws(post, full, "default-lomo-fold0", seed=0)
    assert set(aligned.data_vars) == {rv.name for rv in full.free_RVs}
    for rv in full.free_RVs:
        dims = full.named_vars_to_dims.get(rv.name) or ()
        assert aligned[rv.name].shape[2:] == tuple(len(full.coords[d]) for d in dims), rv.name
    kept = [str(c) for c in trained.coords["rich_cell"]]
    np.testing.assert_array_equal(aligned["category_dev"].sel(rich_cell=kept).values,
                                  post["category_dev"].values)
    new = sorted(set(full.coords["rich_cell"]) - set(kept))
    z = aligned["category_dev"].sel(rich_cell=new) / post["category_dev_sd"]
    assert abs(float(z.std()) - 1.0) < 0.05 and abs(float(z.mean())) < 0.05
    poor_new = sorted(set(full.coords["poor_cell"]) - {str(c) for c in trained.coords["poor_cell"]})
    assert abs(float(aligned["category_dev_z"].sel(poor_cell=poor_new).std()) - 1.0) < 0.05


def test_held_out_densities_are_finite_and_the_same_on_every_evaluation(fold):
    data, test, full, _, post = fold
    aligned = align_draws(post, full, "default-lomo-fold0", seed=0)
    tree = xr.DataTree.from_dict({"posterior": aligned})
    runs = [pm.compute_log_likelihood(tree, model=full, progressbar=False,
                                      extend_inferencedata=False)["y_sig"].values
            for _ in range(2)]
    held = np.isin(data.sig_idx, test)
    assert held.any() and np.isfinite(runs[0][..., held]).all()
    np.testing.assert_array_equal(runs[0], runs[1])
    # and the fill is reproducible from the fold's seed
    again = align_draws(post, full, "default-lomo-fold0", seed=0)
    assert aligned.equals(again)


def test_any_other_disagreement_stops_the_fold_with_the_variables_name(fold):
    _, _, full, _, post = fold
    short = post.isel(base=slice(1, None))
    n = len(full.coords["base"])
    with pytest.raises(RunFailure, match=(
            rf"^default-lomo-fold0: the training fit's 'ability' has {n - 1} entries along "
            rf"'base' and the full model {n} \(1 missing, 0 unknown\): its held-out "
            r"entries cannot be drawn$")):
        align_draws(short, full, "default-lomo-fold0", seed=0)
    with pytest.raises(RunFailure, match=r"^default-lomo-fold0: the training fit has no draws "
                       r"of 'effort'"):
        align_draws(post.drop_vars("effort"), full, "default-lomo-fold0", seed=0)


class _PriorAsPosterior:
    """A backend whose 'posterior' is given draws: run_fold without sampling."""

    def __init__(self, post: xr.Dataset):
        self.post = post

    def sample(self, data, spec, settings) -> xr.DataTree:
        stats = xr.Dataset({"diverging": xr.zeros_like(self.post["closed_level"], dtype=bool)})
        return xr.DataTree.from_dict({"posterior": self.post, "sample_stats": stats})


def test_run_fold_scores_held_out_models_without_the_training_cells_deviations(fold,
                                                                               monkeypatch):
    # The held-out models' cells are not among the training fit's deviations; scored by
    # label, their densities cannot depend on the training cells' values. Read by position
    # (the bug), the first held-out cells read the training cells' values.
    from gapbayes.comparison import crossval
    from gapbayes.inference import backends
    from gapbayes.inference.backend_base import SamplerSettings

    data, test, _, _, post = fold
    # 40 prior draws as 2 chains of 20 (R-hat needs two chains)
    post = xr.Dataset({k: (("chain", "draw", *v.dims[2:]),
                           v.values[:, :40].reshape((2, 20, *v.shape[2:])))
                       for k, v in post.data_vars.items()},
                      coords={c: post.coords[c] for c in post.coords if c not in ("chain", "draw")})
    task = crossval.FoldTask(crossval.Fold("lomo", 0, np.setdiff1d(np.arange(len(data.y)), test),
                                           test), data, SPEC, SamplerSettings(seed=3))
    lpd = {}
    for value in (0.0, 3.0):
        shifted = post.assign(category_dev=post["category_dev"] * 0 + value,
                              category_dev_z=post["category_dev_z"] * 0 + value)
        monkeypatch.setattr(backends, "get_backend", lambda name, p=shifted: _PriorAsPosterior(p))
        lpd[value] = np.asarray(crossval.run_fold(task)["lpd"])
    assert np.isfinite(lpd[0.0]).all() and len(lpd[0.0]) == len(test)
    np.testing.assert_array_equal(lpd[0.0], lpd[3.0])
