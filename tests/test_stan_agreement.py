"""The Stan twin agrees with the PyMC model: same density at a point, same posterior.

For every shipped spec, on small simulated worlds:

1. at the simulation's true parameter values, the pointwise log-likelihoods (and the
   deterministics) of the two backends agree to 1e-6, and the joint log densities (priors
   and Jacobians included) of two different points differ by the same amount;
2. fitted by both backends, posterior means of the gap quantities and of the main
   parameters differ by less than 4 combined Monte Carlo standard errors.

Needs CmdStan (``make cmdstan``); skipped without one. The program is compiled once, into
the hash-named cache (a cold cache adds 1-3 minutes).
"""

from __future__ import annotations

import logging
import tempfile
import warnings

import arviz as az
import numpy as np
import pymc as pm
import pytensor
import pytest
import xarray as xr

from gapbayes.model.backends import SamplerSettings
from gapbayes.model.derived import gap_quantities
from gapbayes.model.design import build_model_data
from gapbayes.model.diagnostics import run_diagnostics
from gapbayes.model.fit import MAIN_PARAMETERS
from gapbayes.model.pymc_model import OBSERVED, build_pymc_model
from gapbayes.model.simulate import simulate_world, synthetic_design
from gapbayes.model.spec import load_spec, shipped_spec_names
from gapbayes.model.stan_data import LOG_LIKELIHOOD, parameter_names, stan_data, stan_point
from gapbayes.stan_install import find_cmdstan

pytestmark = [
    pytest.mark.stan,
    pytest.mark.skipif(find_cmdstan() is None,
                       reason="no built CmdStan in $CMDSTAN or the gapbayes cache: "
                              "run `make cmdstan`"),
]



def _distinct_models(names: list[str]) -> list[str]:
    """Shipped specs that differ in the model itself (switches, priors, time knots).

    A spec that only changes the benchmark selection (``all-benchmarks``) runs the same
    program with the same data switches as another; on the simulated designs here it would
    repeat that spec's checks exactly.
    """
    seen, keep = set(), []
    for name in names:
        d = load_spec(name).as_dict()
        key = repr({k: d[k] for k in ("switches", "priors", "time")})
        if key not in seen:
            seen.add(key)
            keep.append(name)
    return keep


SPECS = _distinct_models(shipped_spec_names())
# Design of the density checks, and a denser one whose posterior both samplers explore in
# seconds (sparse designs make hierarchical funnels: deep trees, slow tests).
LL_DESIGN = {"n_models": 40, "n_benchmarks": 6, "n_linear": 1}
FIT_DESIGN = {"n_models": 60, "n_benchmarks": 5, "n_linear": 1, "eval_rate": 0.8}
FIXED = {"gap_mean": 6.0, "frontier_log_growth": 0.7, "public_offset": -1.0}
FIT = SamplerSettings(chains=2, draws=300, tune=300, seed=1, progressbar=False)
LL_TOL = 1e-6
Z_MAX = 4.0
DETERMINISTICS = ("frontier", "gap", "gap_offset", "shortfall", "difficulty", "slope",
                  "ceiling", "noise_sd", "linear_slope", "linear_intercept", "linear_noise_sd")
# Tiny graphs evaluated a few times: PyTensor's fast compilation wins by far.
FAST = {"mode": "FAST_COMPILE"}


def _world(name: str, design: dict, seed: int):
    spec = load_spec(name.removesuffix("+country"))
    if name.endswith("+country"):
        spec = spec.with_changes(switches={"country": True})
    models, benchmarks, scores = synthetic_design(seed=seed, **design)
    with warnings.catch_warnings(), pytensor.config.change_flags(**FAST):
        warnings.simplefilter("ignore")
        world = simulate_world(models, benchmarks, scores, spec, fixed=FIXED, seed=seed + 1)
    return spec, world, build_model_data(world.models, world.benchmarks, world.scores, spec)


@pytest.fixture(scope="module")
def stan_model():
    from gapbayes.model.backend_stan import compile_model

    return compile_model()


# ---- 1. the same density ---------------------------------------------------------------------


# No shipped spec has the country switch: the density check covers it as well.
@pytest.fixture(scope="module", params=[*SPECS, "default+country"])
def ll_case(request, stan_model):
    """(spec, data, PyMC model, true point, one-draw Stan fit at that point) of one spec."""
    from gapbayes.model.backend_stan import one_point_fit

    spec, world, data = _world(request.param, LL_DESIGN, seed=3)
    model = build_pymc_model(data, spec)
    free = [v.name for v in model.free_RVs]
    assert free == parameter_names(data, spec)
    point = {k: np.asarray(world.truth[k], float) for k in free}
    with tempfile.TemporaryDirectory() as out:
        fit = one_point_fit(stan_model, stan_data(data, spec), point, out)
        fit.draws()  # read the CSV before its folder goes
    return spec, data, model, point, fit


def test_pointwise_log_likelihood_agrees(ll_case):
    spec, _, model, point, fit = ll_case
    post = xr.Dataset({k: (("chain", "draw", *[f"{k}_dim_{i}" for i in range(v.ndim)]),
                           v[None, None]) for k, v in point.items()})
    dt = xr.DataTree.from_dict({"posterior": post})
    names = [n for n in DETERMINISTICS if n in model.named_vars]
    with pytensor.config.change_flags(**FAST):
        pm.compute_log_likelihood(dt, model=model, progressbar=False)
        values = model.compile_fn([model[n] for n in names], inputs=model.free_RVs,
                                  on_unused_input="ignore")(point)
    for name in [v for v in OBSERVED if v in model.named_vars]:
        ref = dt["log_likelihood"][name].values[0, 0]
        got = fit.stan_variable(LOG_LIKELIHOOD[name])[0]
        assert ref.shape == got.shape and ref.size > 0, name
        diff = np.max(np.abs(ref - got))
        print(f"{spec.name}: {name} ({ref.size} values) max |log-lik diff| = {diff:.1e}")
        assert diff < LL_TOL, f"{spec.name}: {name} log-likelihood differs by {diff:.2e}"
    for name, ref in zip(names, values, strict=True):
        np.testing.assert_allclose(fit.stan_variable(name)[0], ref, rtol=1e-9, atol=1e-9,
                                   err_msg=name)


def _pymc_values(model: pm.Model, point: dict) -> dict:
    """Constrained values by RV name -> PyMC's (transformed) value variables."""
    values = {}
    for rv in model.free_RVs:
        x = point[rv.name]
        transform = model.rvs_to_transforms.get(rv)
        if transform is not None:
            x = transform.forward(x, *rv.owner.inputs).eval()
        values[model.rvs_to_values[rv].name] = x
    return values


def test_joint_log_density_agrees(ll_case, stan_model):
    """Differences of the joint density between two points: priors and Jacobians included.

    Stan drops the constants of ``~`` statements, so only differences are comparable.
    """
    spec, data, model, a, _ = ll_case
    rng = np.random.default_rng(0)
    # a second point: the truth moved, positive parameters kept positive
    b = {k: v * np.exp(0.2 * rng.standard_normal(v.shape)) if np.all(v > 0)
         else v + 0.2 * rng.standard_normal(v.shape) for k, v in a.items()}
    sd = stan_data(data, spec)
    stan_lp = [float(stan_model.log_prob(stan_point(p), sd, jacobian=True, sig_figs=18)
                     ["lp__"].iloc[0]) for p in (a, b)]
    with pytensor.config.change_flags(**FAST):
        # one output per term, summed here: Python-mode Elemwise takes at most 32 operands
        terms = model.compile_fn([t.sum() for t in model.logp(jacobian=True, sum=False)])
        pymc_lp = [float(np.sum(terms(_pymc_values(model, p)))) for p in (a, b)]
    delta_stan, delta_pymc = stan_lp[0] - stan_lp[1], pymc_lp[0] - pymc_lp[1]
    print(f"{spec.name}: joint log density difference {delta_pymc:.6f}, "
          f"backends differ by {abs(delta_stan - delta_pymc):.1e}")
    assert abs(delta_stan - delta_pymc) < LL_TOL + 1e-10 * abs(delta_pymc), (
        f"{spec.name}: log density difference {delta_stan:.9f} (Stan) vs {delta_pymc:.9f}")


# ---- 2. the same posterior -------------------------------------------------------------------


@pytest.fixture(scope="module", params=SPECS)
def fitted_pair(request, stan_model):
    """(spec, data, PyMC posterior DataTree, Stan DataTree) on the denser design."""
    from gapbayes.model.backend_stan import StanBackend

    spec, _, data = _world(request.param, FIT_DESIGN, seed=5)
    stan_dt = StanBackend().sample(data, spec, FIT)
    # nutpie on the PyMC model, posterior only (the log-likelihood and predictive draws of
    # PyMCBackend.sample would cost two more compilations per spec)
    pymc_logger = logging.getLogger("pymc")
    level = pymc_logger.level
    pymc_logger.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pymc_dt = pm.sample(
            draws=FIT.draws, tune=FIT.tune, chains=FIT.chains, cores=FIT.cores,
            random_seed=FIT.seed, nuts_sampler="nutpie", target_accept=FIT.target_accept,
            model=build_pymc_model(data, spec), progressbar=False,
            compute_convergence_checks=False)
    pymc_logger.setLevel(level)
    return spec, data, pymc_dt, stan_dt


def _mcse(dt: xr.DataTree, names: list[str]) -> xr.Dataset:
    out = az.mcse(dt, var_names=names)
    return out.to_dataset() if isinstance(out, xr.DataTree) else out


def test_posterior_means_agree(fitted_pair):
    spec, _, pymc_dt, stan_dt = fitted_pair
    names = ["gap", "gap_offset", *[v for v in MAIN_PARAMETERS if v in pymc_dt["posterior"]]]
    assert all(v in stan_dt["posterior"] for v in names)
    se_p, se_s = _mcse(pymc_dt, names), _mcse(stan_dt, names)
    worst = {}
    for v in names:
        a = pymc_dt["posterior"][v].mean(("chain", "draw"))
        b = stan_dt["posterior"][v].mean(("chain", "draw"))
        worst[v] = float((np.abs(a - b) / np.sqrt(se_p[v] ** 2 + se_s[v] ** 2)).max())
    print(f"{spec.name}: max |mean diff| / combined MCSE = {max(worst.values()):.2f} "
          f"({max(worst, key=worst.get)})")
    bad = {k: round(v, 2) for k, v in worst.items() if v >= Z_MAX}
    assert not bad, f"{spec.name}: |mean difference| / combined MCSE >= {Z_MAX}: {bad}"


def test_datatree_layout_matches_pymc(fitted_pair):
    spec, data, pymc_dt, stan_dt = fitted_pair
    ref, got = pymc_dt["posterior"].to_dataset(), stan_dt["posterior"].to_dataset()
    assert set(ref.data_vars) == set(got.data_vars)
    for v in ref.data_vars:
        assert ref[v].dims == got[v].dims, v
        for d in ref[v].dims[2:]:
            assert list(ref[d].values) == list(got[d].values), d
    assert {"diverging", "depth", "step_size", "energy"} <= set(stan_dt["sample_stats"])
    observed = set(stan_dt["observed_data"].data_vars)
    assert observed == {v for v in OBSERVED if v in pymc_dt["observed_data"]}
    for group in ("log_likelihood", "posterior_predictive"):
        assert set(stan_dt[group].data_vars) == observed, group
        for v in observed:
            assert stan_dt[group][v].dims[2:] == stan_dt["observed_data"][v].dims, (group, v)
    # what run_fit does next: derived gap quantities, then the diagnostics
    post = stan_dt["posterior"].to_dataset()
    with_gaps = stan_dt.copy()
    with_gaps["posterior"] = xr.DataTree(xr.merge([post, gap_quantities(post, data)]))
    diag = run_diagnostics(with_gaps, parameter_names(data, spec), FIT.max_treedepth)
    assert {c.name for c in diag.checks} >= {"rhat_max", "divergences", "bfmi_min"}


def test_compile_error_names_the_file_and_stanc_message(tmp_path, stan_model):
    from gapbayes.model.backend_stan import StanCompileError, compile_model

    bad = tmp_path / "broken.stan"
    bad.write_text("parameters { real x }\nmodel { x ~ std_normal(); }\n")
    with pytest.raises(StanCompileError, match=r"broken\.stan does not compile; stanc says"):
        compile_model(bad)


def test_stan_chains_start_at_jittered_pymc_initial_points(ll_case, stan_model):
    """Stan's inits are PyMC's: the initial point plus U(-1, 1) on the unconstrained scale."""
    from gapbayes.model.backend_stan import start_points

    spec, data, model, _, _ = ll_case
    points = start_points(data, spec, chains=3, seed=7)
    assert points == start_points(data, spec, chains=3, seed=7)
    assert points != start_points(data, spec, chains=3, seed=8)
    assert points[0] != points[1]
    centre = model.initial_point()
    sd = stan_data(data, spec)
    for p in points:
        assert np.isfinite(float(stan_model.log_prob(p, sd, jacobian=True)["lp__"].iloc[0]))
        shaped = {k: np.reshape(v, np.shape(centre[model.rvs_to_values[model[k]].name]))
                  for k, v in p.items()}
        for name, value in _pymc_values(model, shaped).items():
            assert np.all(np.abs(np.asarray(value) - centre[name]) <= 1 + 1e-9), name
