"""The Stan twins agree with the PyMC models: the same density at a point.

For every shipped spec that differs in the model (both families, frontier and timeshift-v1)
and the switch combinations no shipped spec has (``DENSITY_CASES``), on small simulated
worlds: at the simulation's true parameter values, the pointwise log-likelihoods (and the
deterministics) of the two backends agree to 1e-6, and the joint log densities (priors and
Jacobians included) of two different points differ by the same amount; Stan's gradient
matches finite differences; both backends' chains start at the same points. The posteriors
are compared in ``test_stan_fit_agreement.py``.

Needs CmdStan (``make cmdstan``); skipped without one. Each family's program is compiled
once, into the hash-named cache (a cold cache adds about 8 minutes of one core for
frontier.stan and 2 for timeshift_v1.stan).
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytest
import xarray as xr
from helpers_stan import FAST, SPECS, STAN_MARKS, case_world, program_cache
from pymc.distributions.distribution import support_point
from pymc.distributions.transforms import ZeroSumTransform

from gapbayes.model.families import family
from gapbayes.model.spec import Spec

pytestmark = STAN_MARKS

# the lab curves are the shipped spec lab-curves (in SPECS); "+labs" stays for combinations
DENSITY_CASES = [*SPECS, "timeshift-v1+country", "default+asymmetric",
                 "default+hosts", "default+subset", "default+dated", "default+selection",
                 "default+monotone", "by-country+labs+selection", "default+selection+gamma",
                 "default+onesig", "default+linear", "default+nodev",
                 "default+selection+nodev", "default+alldev", "default+lone"]
# "by-country+labs+selection": the unscored frame models' prior carries their lab's term,
# the lab's walk and the Chinese offset, as the scored models' does (selection.py)
LL_TOL = 1e-6
# Joint density differences: 1e-6 relative. PyMC's SkewNormal.logp divides by pt.sqrt(2),
# a float32 constant (1.41421358...), so its ability term is off by ~1e-8 relative to the
# exact density Stan computes: ~1e-9 of a typical difference here, far below any modelling
# mismatch (a missing Jacobian or prior term moves it by O(1)).
JOINT_RTOL = 1e-6


@pytest.fixture(scope="module")
def stan_program():
    """spec -> its family's compiled Stan program (compiled once per program)."""
    return program_cache()


_TO_VALUES: dict[int, tuple[pm.Model, object]] = {}


def _pymc_values(model: pm.Model, point: dict) -> dict:
    """Constrained values by RV name -> PyMC's (transformed) value variables.

    The transforms are compiled once per model (one function for every free RV): evaluating
    each transform's graph on its own compiled a function per RV and per point.
    """
    if id(model) not in _TO_VALUES:
        outs = []
        for rv in model.free_RVs:
            transform = model.rvs_to_transforms.get(rv)
            outs.append(rv if transform is None else transform.forward(rv, *rv.owner.inputs))
        with pytensor.config.change_flags(**FAST):
            fn = model.compile_fn(outs, inputs=model.free_RVs, on_unused_input="ignore")
        _TO_VALUES[id(model)] = (model, fn)      # the model is kept, so its id is not reused
    values = _TO_VALUES[id(model)][1]({rv.name: point[rv.name] for rv in model.free_RVs})
    return {model.rvs_to_values[rv].name: np.asarray(v)
            for rv, v in zip(model.free_RVs, values, strict=True)}


# ---- 1. the same density ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=DENSITY_CASES)
def ll_case(request, stan_program):
    """(spec, data, PyMC model, true point, one-draw Stan fit at that point) of one case."""
    from gapbayes.inference.backend_stan import one_point_fit

    spec, truth, data = case_world(request.param, "density", seed=3)
    fam = family(spec)
    side = fam.stan()
    model = fam.build_pymc(data, spec)
    free = [v.name for v in model.free_RVs]
    assert free == side.parameter_names(data, spec)
    point = {k: np.asarray(truth[k], float) for k in free}
    with tempfile.TemporaryDirectory() as out:
        fit = one_point_fit(stan_program(spec), side.stan_data(data, spec),
                            side.stan_point(point), out)
        fit.draws()  # read the CSV before its folder goes
    return spec, data, model, point, fit


def test_pointwise_log_likelihood_agrees(ll_case):
    spec, _, model, point, fit = ll_case
    side = family(spec).stan()
    post = xr.Dataset({k: (("chain", "draw", *[f"{k}_dim_{i}" for i in range(v.ndim)]),
                           v[None, None]) for k, v in point.items()})
    dt = xr.DataTree.from_dict({"posterior": post})
    # every deterministic, and the free RVs Stan computes from other coordinates (zero-sum)
    names = [v.name for v in model.deterministics]
    with pytensor.config.change_flags(**FAST):
        pm.compute_log_likelihood(dt, model=model, progressbar=False)
        values = model.compile_fn([model[n] for n in names], inputs=model.free_RVs,
                                  on_unused_input="ignore")(point)
    observed = [v.name for v in model.observed_RVs]
    assert observed
    for name in observed:
        ref = dt["log_likelihood"][name].values[0, 0]
        got = fit.stan_variable(side.log_likelihood[name])[0]
        assert ref.shape == got.shape and ref.size > 0, name
        diff = np.max(np.abs(ref - got))
        print(f"{spec.name}: {name} ({ref.size} values) max |log-lik diff| = {diff:.1e}")
        assert diff < LL_TOL, f"{spec.name}: {name} log-likelihood differs by {diff:.2e}"
    stan_vars = set(fit.stan_variables())
    for name, ref in [*zip(names, values, strict=True), *point.items()]:
        assert name in stan_vars, f"{spec.name}: Stan has no output '{name}'"
        got = fit.stan_variable(name)[0]
        np.testing.assert_allclose(np.reshape(got, np.shape(ref)), ref, rtol=1e-9, atol=1e-9,
                                   err_msg=name)


def _moved(model: pm.Model, point: dict, seed: int = 0) -> dict:
    """A second point: the truth moved, positive parameters kept positive, sums kept zero."""
    rng = np.random.default_rng(seed)
    out = {}
    for rv in model.free_RVs:
        v = point[rv.name]
        if np.all(v > 0):
            out[rv.name] = v * np.exp(0.2 * rng.standard_normal(v.shape))
        else:
            out[rv.name] = v + 0.2 * rng.standard_normal(v.shape)
        if isinstance(model.rvs_to_transforms.get(rv), ZeroSumTransform):
            out[rv.name] = out[rv.name] - out[rv.name].mean()
    return out


def test_joint_log_density_agrees(ll_case, stan_program):
    """Differences of the joint density between two points: priors and Jacobians included.

    Stan drops the constants of ``~`` statements, so only differences are comparable.
    """
    spec, data, model, a, _ = ll_case
    side = family(spec).stan()
    with pytensor.config.change_flags(**FAST):
        # one output per term, summed here: Python-mode Elemwise takes at most 32 operands
        terms = model.compile_fn([t.sum() for t in model.logp(jacobian=True, sum=False)])
        # the first moved point of finite density: a random move can carry an ability far
        # above its frontier, where the skew-normal's log-cdf term underflows (in both)
        b = next(p for p in (_moved(model, a, seed) for seed in range(10))
                 if np.isfinite(np.sum(terms(_pymc_values(model, p)))))
        pymc_lp = [float(np.sum(terms(_pymc_values(model, p)))) for p in (a, b)]
    sd = side.stan_data(data, spec)
    stan_lp = [float(stan_program(spec).log_prob(side.stan_point(p), sd, jacobian=True,
                                                 sig_figs=18)["lp__"].iloc[0]) for p in (a, b)]
    delta_stan, delta_pymc = stan_lp[0] - stan_lp[1], pymc_lp[0] - pymc_lp[1]
    gap = abs(delta_stan - delta_pymc)
    print(f"{spec.name}: joint log density difference {delta_pymc:.6f}, backends differ by "
          f"{gap:.1e} ({gap / abs(delta_pymc):.1e} relative)")
    assert gap < LL_TOL + JOINT_RTOL * abs(delta_pymc), (
        f"{spec.name}: log density difference {delta_stan:.9f} (Stan) vs {delta_pymc:.9f}")


def test_stan_gradient_matches_finite_differences(ll_case, stan_program):
    """Stan's autodiff gradient against central differences of its own log density.

    The density checks above compare values only; a wrong gradient (measured once:
    rep_matrix of a parameter row vector gave 1.9 where the difference quotient gave 50.2)
    leaves values right and stalls the sampler at tiny step sizes. One element per parameter,
    taken where the parameter is unconstrained (a bounded one is moved on its own scale).
    """
    spec, data, model, point, _ = ll_case
    side = family(spec).stan()
    sd = side.stan_data(data, spec)
    prog = stan_program(spec)
    base = side.stan_point(point)
    # bounded in Stan = a constraining transform in PyMC (zero-sum ones are Stan's free coords)
    bounded = {rv.name for rv in model.free_RVs
               if model.rvs_to_transforms.get(rv) is not None
               and not isinstance(model.rvs_to_transforms[rv], ZeroSumTransform)}

    def lp(p: dict) -> pd.Series:
        return prog.log_prob(p, sd, jacobian=True, sig_figs=18).iloc[0]

    at = lp(base)
    h = 1e-5
    checked = 0
    for name, value in base.items():
        arr = np.asarray(value, float)
        if arr.size == 0 or name in bounded:          # its gradient is on another scale
            continue
        idx = tuple(np.argwhere(np.ones(arr.shape, bool))[arr.size // 2]) if arr.ndim else ()
        column = "g_" + name + "".join(f".{i + 1}" for i in idx)
        moved = []
        for step in (h, -h):
            shifted = arr.copy()
            shifted[idx] += step
            moved.append(float(lp({**base, name: shifted.tolist() if arr.ndim else
                                   float(shifted)})["lp__"]))
        fd = (moved[0] - moved[1]) / (2 * h)
        assert abs(fd - at[column]) < 1e-4 * (1 + abs(fd)), (
            f"{spec.name}: d lp / d {column[2:]} = {at[column]:.6f} (autodiff) vs {fd:.6f}")
        checked += 1
    assert checked >= 10, checked


def test_stan_chains_start_where_pymc_chains_start(ll_case, stan_program):
    """Stan's inits are the PyMC backend's start points, mapped by the family's stan_point.

    Every parameter starts at its prior's support point (given its parents' start values)
    plus U(-1, 1) on the unconstrained scale, but the frontier model's data-started
    abilities and difficulties, which lie within the jitter of the additive start.
    """
    from gapbayes.inference.backend_stan import start_points

    spec, data, model, _, _ = ll_case
    side = family(spec).stan()
    points = start_points(data, spec, chains=3, seed=7)
    assert points == start_points(data, spec, chains=3, seed=7)
    assert points != start_points(data, spec, chains=3, seed=8)
    assert points[0] != points[1]
    shapes = model.eval_rv_shapes()
    sd = side.stan_data(data, spec)
    with pytensor.config.change_flags(**FAST):
        support = model.compile_fn([support_point(rv) for rv in model.free_RVs],
                                   inputs=model.free_RVs, on_unused_input="ignore")
    data_started: dict[str, tuple[np.ndarray, float]] = {}
    if spec.model == "frontier":
        from gapbayes.model.frontier_init import JITTER, additive_start

        ability, difficulty = additive_start(data)
        # difficulties are re-centred after the jitter: within twice the jitter
        data_started = {"ability": (ability, JITTER), "difficulty": (difficulty, 2 * JITTER)}
    for p in points:
        assert np.isfinite(float(stan_program(spec).log_prob(p, sd, jacobian=True)
                                 ["lp__"].iloc[0]))
        constrained = _from_stan(spec, p)
        shaped = {k: np.reshape(v, shapes[k]) for k, v in constrained.items()}
        assert set(shaped) == {rv.name for rv in model.free_RVs}
        centre = _pymc_values(model, dict(zip(shaped, support(shaped), strict=True)))
        moved = _pymc_values(model, shaped)
        for rv in model.free_RVs:
            value_name = model.rvs_to_values[rv].name
            if rv.name in data_started:
                start, jitter = data_started[rv.name]
                assert np.all(np.abs(shaped[rv.name] - start) <= jitter + 1e-9), rv.name
            else:
                value = moved[value_name]
                assert np.all(np.abs(value - centre[value_name]) <= 1 + 1e-9), rv.name


def _from_stan(spec: Spec, inits: dict) -> dict:
    """Stan inits -> constrained values by PyMC RV name (the family's stan_point inverted)."""
    if spec.model == "frontier":
        from gapbayes.model.frontier_stan import from_stan_point

        return from_stan_point(inits)
    return {k: np.asarray(v, float) for k, v in inits.items()}


def test_compile_error_names_the_file_and_stanc_message(tmp_path):
    from gapbayes.inference.backend_stan import StanCompileError, compile_model

    bad = tmp_path / "broken.stan"
    bad.write_text("parameters { real x }\nmodel { x ~ std_normal(); }\n")
    with pytest.raises(StanCompileError, match=r"broken\.stan does not compile; stanc says"):
        compile_model(bad)
