"""The pilot-learned preconditioner: what it learns, and that it leaves the posterior alone."""

from __future__ import annotations

import numpy as np
import pytest

from gapbayes.inference import pilot_metric
from gapbayes.inference.pilot_metric import (
    Block,
    PilotDirections,
    Stretch,
    learn_directions,
    spike,
    whitening_block,
)
from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_pymc import build_frontier_model
from gapbayes.model.frontier_simulate import frontier_design
from gapbayes.model.spec import load_spec


@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.93])
@pytest.mark.parametrize("population", [2.5, 5.0, 50.0])
def test_spike_inverts_the_sample_eigenvalue_shift(ratio, population):
    if population <= 1 + np.sqrt(ratio):
        pytest.skip("below the detection threshold: no sample spike to invert")
    sample = population + ratio * population / (population - 1)
    assert spike(np.array([sample]), ratio)[0] == pytest.approx(population, rel=1e-12)


def _planted(d: int, n: int, population: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draws (2 chains) whose correlation has one direction of eigenvalue ``population``."""
    rng = np.random.default_rng(seed)
    v = np.ones(d) / np.sqrt(d)
    z = rng.standard_normal((n, d)) + np.sqrt(population - 1) * rng.standard_normal((n, 1)) * v
    scales = np.exp(rng.uniform(-3, 3, d))
    return (5.0 + scales * z).reshape(2, n // 2, d), v


def test_a_planted_direction_is_found_with_its_size():
    draws, v = _planted(d=80, n=2000, population=20.0, seed=0)
    found = learn_directions(draws)
    assert found.stretch.eigenvalues.size >= 1
    assert abs(found.stretch.vectors[:, 0] @ v) > 0.99
    # the correlation's eigenvalue of the plant: 20 over the variance of each coordinate
    # (1 + 19 / 80), as the draws are standardised per coordinate
    expected = 20.0 / (1 + 19.0 / 80)
    assert found.stretch.eigenvalues[0] == pytest.approx(expected, rel=0.15)


def _implied_variance(found: PilotDirections, direction: np.ndarray) -> float:
    """Variance along ``direction`` (standardised coordinates) that the transform assumes."""
    d = direction.size
    m = np.stack([found.to_theta(e) - found.mean for e in np.eye(d)], axis=1) / found.sd[:, None]
    return float(direction @ m @ m.T @ direction)


def test_a_strongly_correlated_block_gets_its_variance():
    # 3 coordinates correlated at 0.8 (variance 2.6 along their sum) among 400, 4,000 draws
    rng = np.random.default_rng(6)
    n, d, block = 4000, 400, [10, 200, 399]
    z = rng.standard_normal((n, d))
    z[:, block] = np.sqrt(0.2) * rng.standard_normal((n, 3)) + \
        np.sqrt(0.8) * rng.standard_normal((n, 1))
    found = learn_directions(z.reshape(2, n // 2, d))
    u = np.zeros(d)
    u[block] = 1 / np.sqrt(3)
    assert _implied_variance(found, u) == pytest.approx(2.6, rel=0.15)


def test_noise_alone_leaves_the_metric_near_the_identity():
    rng = np.random.default_rng(1)
    draws = rng.standard_normal((4, 500, 100)) * np.exp(rng.uniform(-2, 2, 100))
    found = learn_directions(draws)
    ratio = 100 / 2000
    # a direction kept by chance sits at the noise edge, which implies a spike of
    # about 1 + sqrt(ratio): a stretch too small to matter
    assert np.all(found.stretch.eigenvalues < 1 + 3 * np.sqrt(ratio))


def test_a_three_coordinate_ridge_in_the_block_is_whitened():
    # a link's three coordinates correlated at 0.45 (one benchmark's ridge: variance 1.9 along
    # their sum), among 40 link coordinates of 1,100, from 1,200 pilot draws (the bundled
    # data's sizes): below the global step's detection limit 1 + sqrt(d / n) = 1.96
    rng = np.random.default_rng(7)
    n, d, ridge = 1200, 1100, [1001, 1010, 1020]
    z = rng.standard_normal((n, d))
    z[:, ridge] = np.sqrt(0.55) * rng.standard_normal((n, 3)) + \
        np.sqrt(0.45) * rng.standard_normal((n, 1))
    alone = learn_directions(z.reshape(4, n // 4, d))
    # the block's coordinates need not be contiguous: 20 at the start, 21 holding the ridge
    block = np.r_[0:20, 1000:1021]
    found = learn_directions(z.reshape(4, n // 4, d), block=block)
    u = np.zeros(d)
    u[ridge] = 1 / np.sqrt(3)
    assert _implied_variance(alone, u) < 1.3          # the global step alone misses it
    assert _implied_variance(found, u) == pytest.approx(1.9, rel=0.15)
    across = np.zeros(d)
    across[ridge[:2]] = [1 / np.sqrt(2), -1 / np.sqrt(2)]   # variance 0.55 across the ridge
    assert _implied_variance(found, across) == pytest.approx(0.55, rel=0.2)


def test_the_block_leaves_noise_at_the_identity():
    rng = np.random.default_rng(8)
    z = rng.standard_normal((1200, 40))
    block = whitening_block(np.arange(5, 45), (z - z.mean(axis=0)) / z.std(axis=0))
    assert block.shrinkage == 0.0
    assert np.abs(block.chol @ block.chol.T - np.eye(40)).max() < 1e-12


def test_the_block_holds_the_link_parameters_and_curves_and_nothing_else():
    spec = load_spec("default")
    models, benchmarks, scores = frontier_design(n_models=40, n_benchmarks=5, n_linear=1,
                                                 seed=0)
    model = build_frontier_model(build_frontier_data(models, benchmarks, scores, spec), spec)
    index = set(pilot_metric.block_index(model).tolist())
    offset, inside = 0, set()
    for rv, (_, shape) in zip(model.free_RVs, pilot_metric.value_layout(model), strict=True):
        size = int(np.prod(shape, dtype=int))
        covered = index & set(range(offset, offset + size))
        assert len(covered) in (0, size), rv.name      # a variable is in whole or not at all
        if covered:
            inside.add(rv.name)
        offset += size
    assert inside == {"difficulty", "log_slope_sd", "log_slope", "ceiling_z", "noise_z",
                      "linear_slope_z", "linear_intercept_z", "linear_noise_z",
                      "growth_rw_sd", "log_growth_partial", "closed_level", "open_level",
                      "category_trend_sd", "category_trend_z"}


def test_too_few_pilot_draws_is_an_error():
    with pytest.raises(ValueError, match="pilot has 6 draws: need at least 10"):
        learn_directions(np.zeros((2, 3, 5)))


def _some_directions(d: int, rank: int, seed: int, block: np.ndarray) -> PilotDirections:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, rank)))
    stretch = Stretch.from_eigen(q, np.exp(rng.uniform(0.5, 4, rank)), pilot_metric.MAX_RANK)
    m = block.size
    chol = np.tril(rng.normal(0, 0.3, (m, m)), -1) + np.diag(np.exp(rng.normal(0, 0.3, m)))
    return PilotDirections(rng.normal(size=d), np.exp(rng.normal(size=d)), stretch,
                           Block(block, chol))


def test_the_change_of_variables_inverts():
    directions = _some_directions(d=30, rank=4, seed=2, block=np.r_[2:5, 10:18])
    theta = np.random.default_rng(3).normal(size=30)
    assert np.allclose(directions.to_theta(directions.to_phi(theta)), theta, atol=1e-10)


def test_a_chain_start_depends_on_its_seed_and_not_on_the_call_order():
    """nutpie's chain threads call the start function in any order: same seed, same start."""
    rng = np.random.default_rng(8)
    draws = rng.normal(size=(4, 40, 6))
    directions = _some_directions(d=6, rank=2, seed=9, block=np.arange(3))
    seeds = [11, 12, 13, 14]
    in_order = [pilot_metric.last_points(draws, directions)(s) for s in seeds]
    start = pilot_metric.last_points(draws, directions)
    reversed_order = {s: start(s) for s in reversed(seeds)}
    for s, point in zip(seeds, in_order, strict=True):
        assert np.array_equal(point, reversed_order[s])
    # each start is a draw from the last half of some pilot chain, given in phi
    late = draws[:, 20:].reshape(-1, 6)
    for point in in_order:
        theta = directions.to_theta(point)
        assert np.min(np.abs(late - theta).max(axis=1)) < 1e-10
    assert len({p.tobytes() for p in in_order}) == len(seeds)   # these seeds start apart


def test_the_preconditioned_model_has_the_same_density_and_quantities():
    spec = load_spec("default")
    models, benchmarks, scores = frontier_design(n_models=40, n_benchmarks=5, seed=0)
    data = build_frontier_data(models, benchmarks, scores, spec)
    model = build_frontier_model(data, spec)
    pre = pilot_metric.preconditioned_model(model)
    d = sum(int(np.prod(s, dtype=int)) for _, s in pilot_metric.value_layout(model))
    index = pilot_metric.block_index(model)
    assert index.size > 0 and np.any(np.diff(index) > 1)    # in two pieces here
    directions = _some_directions(d=d, rank=3, seed=4, block=index)
    import pymc as pm

    with pre:
        pm.set_data(pilot_metric.shared_values(directions))
    logp_pre = pre.compile_logp()
    logp = model.compile_logp()
    names = ["frontier", "ceiling", "frontier_noise_sd", "ability"]
    quantities_pre = pre.compile_fn(pre.replace_rvs_by_values([pre[n] for n in names]),
                                    inputs=pre.value_vars, on_unused_input="ignore")
    quantities = model.compile_fn(model.replace_rvs_by_values([model[n] for n in names]),
                                  inputs=model.value_vars, on_unused_input="ignore")
    start = model.initial_point()
    rng = np.random.default_rng(5)
    for _ in range(3):
        theta = np.concatenate([np.ravel(start[v.name]) for v, _ in
                                pilot_metric.value_layout(model)]) + rng.normal(0, 0.1, d)
        point, offset = {}, 0
        for value, shape in pilot_metric.value_layout(model):
            size = int(np.prod(shape, dtype=int))
            point[value.name] = theta[offset:offset + size].reshape(shape)
            offset += size
        phi = {pilot_metric.FLAT_NAME: directions.to_phi(theta)}
        # a linear change of variables: the density differs by a constant Jacobian only,
        # which the preconditioned model leaves out, so the two agree exactly
        assert logp_pre(phi) == pytest.approx(logp(point), rel=1e-10)
        for a, b in zip(quantities_pre(phi), quantities(point), strict=True):
            assert np.allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_pilot_fit_samples_the_posterior_of_a_diagonal_fit(small_world):
    """The whole path (pilot, directions, restart in phi, names) against a plain fit."""
    import arviz as az
    from scipy.stats import norm

    from gapbayes.inference.backends import PyMCBackend, SamplerSettings

    spec = load_spec("default")
    data = build_frontier_data(small_world.models, small_world.benchmarks,
                               small_world.scores, spec)
    backend = PyMCBackend()
    common = {"chains": 4, "draws": 300, "tune": pilot_metric.MIN_TUNE, "seed": 3,
              "progressbar": False}
    fits = {a: backend.sample(data, spec, SamplerSettings(adaptation=a, **common))
            for a in ("pilot", "diag")}
    attrs = fits["pilot"]["posterior"].attrs
    assert "pilot_rank" in attrs and "pilot_rank" not in fits["diag"]["posterior"].attrs
    assert int(attrs["pilot_block"]) > 0   # the small world has link parameters and curves
    post = {a: dt["posterior"].to_dataset() for a, dt in fits.items()}
    assert set(post["pilot"].data_vars) == set(post["diag"].data_vars)
    assert pilot_metric.FLAT_NAME not in post["pilot"]
    assert post["pilot"].sizes["draw"] == 300
    names = backend.free_parameters(data, spec)
    mcse = {a: az.mcse(dt["posterior"].to_dataset()[names]) for a, dt in fits.items()}
    for name in names:
        diff = np.abs(post["pilot"][name].mean(("chain", "draw"))
                      - post["diag"][name].mean(("chain", "draw")))
        z = np.asarray(diff / np.sqrt(mcse["pilot"][name] ** 2 + mcse["diag"][name] ** 2))
        # 4 combined MCSE for one number; a vector is judged on its largest element with
        # the Bonferroni limit that keeps the false-alarm rate of a single comparison
        limit = norm.isf(norm.sf(4.0) / z.size)
        assert z.max() < limit, f"{name}: {z.max():.2f} combined MCSE (limit {limit:.2f})"
