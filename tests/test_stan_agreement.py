"""The Stan twins agree with the PyMC models: same density at a point, same posterior.

For every shipped spec that differs in the model (both families, frontier and timeshift-v1),
on small simulated worlds:

1. at the simulation's true parameter values, the pointwise log-likelihoods (and the
   deterministics) of the two backends agree to 1e-6, and the joint log densities (priors
   and Jacobians included) of two different points differ by the same amount;
2. fitted by both backends, posterior means of the gap quantities and of the main
   parameters differ by less than 4 combined Monte Carlo standard errors (for a vector
   quantity, its largest element by the Bonferroni equivalent, see ``z_limit``; 2 chains x 300
   draws; a case that fails this is refitted at 4 x 600 with another seed and judged on that
   fit alone, because two short chains estimate the MCSE itself loosely). `make test` fits
   the default and timeshift-v1; `make test-slow` fits every shipped spec.

Needs CmdStan (``make cmdstan``); skipped without one. Each family's program is compiled
once, into the hash-named cache (a cold cache adds 1-3 minutes per program).
"""

from __future__ import annotations

import logging
import tempfile
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytest
import xarray as xr
from helpers_model import slow
from pymc.distributions.distribution import support_point
from pymc.distributions.transforms import ZeroSumTransform
from scipy.stats import norm

from gapbayes.inference.backends import SamplerSettings, get_backend
from gapbayes.inference.diagnostics import GAP_VARS, run_diagnostics
from gapbayes.inference.stan_install import find_cmdstan
from gapbayes.model.families import family
from gapbayes.model.frontier_simulate import (
    CALM_WORLD,
    frontier_design,
    simulate_frontier_world,
    with_release_dates,
)
from gapbayes.model.simulate import simulate_world, synthetic_design
from gapbayes.model.spec import Spec, load_spec, shipped_spec_names

pytestmark = [
    pytest.mark.stan,
    pytest.mark.skipif(find_cmdstan() is None,
                       reason="no built CmdStan in $CMDSTAN or the gapbayes cache: "
                              "run `make cmdstan`"),
]


def _distinct_models(names: list[str]) -> list[str]:
    """Shipped specs that differ in the model itself (family, switches, priors, time knots).

    A spec that only changes the benchmark selection (``published``) runs the same program
    with the same data switches as another; on the simulated designs here it would repeat
    that spec's checks exactly.
    """
    seen, keep = set(), []
    for name in names:
        d = load_spec(name).as_dict()
        key = repr({k: d[k] for k in ("model", "switches", "priors", "time")})
        if key not in seen:
            seen.add(key)
            keep.append(name)
    return keep


SPECS = _distinct_models(shipped_spec_names())
# No shipped spec has timeshift-v1's country switch, the frontier model's asymmetric link
# (an opt-in switch, docs/model.md "Link") or its lab curves: the density checks cover them.
SWITCHED = {"+country": "country", "+asymmetric": "asymmetric_link", "+labs": "lab_curves",
            "+hosts": "host_effects", "+selection": "selection"}
# The default spec shapes FrontierMath's link only, which the simulated designs do not have:
# "+subset" shapes two of their sigmoid benchmarks (b00 is linear, so it is ignored).
SUBSET = {"asymmetric_link_benchmarks": ["b00", "b02", "b04"]}
# The contamination term (an opt-in switch) needs benchmark release dates, which the simulated
# designs lack: "+dated" gives their public benchmarks release dates and turns the switch on.
DATED = "+dated"
# "+monotone": category trends on growth rates (switch monotone_categories on).
MONOTONE = "+monotone"
# "+gamma": the normal-gamma(2) composed error (switch shortfall = "gamma", the shipped spec
# gamma-shortfall) with the selection term, whose unscored frame models take the same prior.
GAMMA = "+gamma"
DENSITY_CASES = [*SPECS, "timeshift-v1+country", "default+asymmetric", "default+labs",
                 "default+hosts", "default+subset", "default+dated", "default+selection",
                 "default+monotone", "by-country+labs+selection", "default+selection+gamma"]
# "by-country+labs+selection": the unscored frame models' prior carries their lab's term,
# the lab's walk and the Chinese offset, as the scored models' does (selection.py)
# Designs of the density checks ("density") and of the fits ("fit"). The fit designs are
# denser and shorter than the real data, so both samplers explore the posterior in seconds:
# sparse designs make hierarchical funnels (deep trees, slow tests, divergences).
# The frontier fit world has two categories (trends, category shifts and deviations exist)
# and a category-deviation sd of 0.3: drawn from its prior it can land near 0, where the
# centred deviations of rich cells make a funnel that 300 warm-up steps do not adapt to.
DESIGNS = {
    "timeshift-v1": {
        "density": {"n_models": 40, "n_benchmarks": 6, "n_linear": 1},
        "fit": {"n_models": 60, "n_benchmarks": 5, "n_linear": 1, "eval_rate": 0.8},
    },
    "frontier": {
        "density": {"n_models": 60, "n_benchmarks": 6},
        "fit": {"n_models": 80, "n_benchmarks": 8, "eval_rate": 1.0, "start": "2023-01-01",
                "end": "2025-12-31"},
    },
}
FIT_CATEGORIES = ("math", "reasoning")
V1_FIXED = {"gap_mean": 6.0, "frontier_log_growth": 0.7, "public_offset": -1.0}
FRONTIER_FIXED = {"density": CALM_WORLD, "fit": {**CALM_WORLD, "category_dev_sd": 0.3}}
FIT = SamplerSettings(chains=2, draws=300, tune=300, seed=1, progressbar=False)
# Refit of a case whose short fits disagree (test_posterior_means_agree says why).
CONFIRM = SamplerSettings(chains=4, draws=600, tune=600, seed=2, progressbar=False)
LL_TOL = 1e-6
# Joint density differences: 1e-6 relative. PyMC's SkewNormal.logp divides by pt.sqrt(2),
# a float32 constant (1.41421358...), so its ability term is off by ~1e-8 relative to the
# exact density Stan computes: ~1e-9 of a typical difference here, far below any modelling
# mismatch (a missing Jacobian or prior term moves it by O(1)).
JOINT_RTOL = 1e-6
Z_MAX = 4.0
# Quantities compared besides the gap quantities and the family's main parameters.
EXTRA_COMPARED = {"timeshift-v1": ("gap", "gap_offset"), "frontier": ("open_shift",)}
# Tiny graphs evaluated a few times: PyTensor's fast compilation wins by far.
FAST = {"mode": "FAST_COMPILE"}


def _spec(name: str) -> Spec:
    if name.endswith(GAMMA):
        return _spec(name.removesuffix(GAMMA)).with_changes(switches={"shortfall": "gamma"})
    if name.endswith(DATED):
        return _spec(name.removesuffix(DATED)).with_changes(switches={"contamination": True})
    if name.endswith(MONOTONE):
        return load_spec(name.removesuffix(MONOTONE)).with_changes(
            switches={"monotone_categories": True})
    if name.endswith("+subset"):
        return load_spec(name.removesuffix("+subset")).with_changes(switches=SUBSET)
    for suffix, switch in SWITCHED.items():
        if name.endswith(suffix):
            return _spec(name.removesuffix(suffix)).with_changes(switches={switch: True})
    return load_spec(name)


def _world(name: str, purpose: str, seed: int) -> tuple[Spec, dict, object]:
    """(spec, true values, design data) of a world simulated from the spec's PyMC model."""
    spec = _spec(name)
    design = DESIGNS[spec.model][purpose]
    with warnings.catch_warnings(), pytensor.config.change_flags(**FAST):
        warnings.simplefilter("ignore")
        if spec.model == "frontier":
            models, benchmarks, scores = frontier_design(seed=seed, **design)
            if name.endswith(DATED):
                benchmarks = with_release_dates(benchmarks, design.get("start", "2022-06-01"),
                                                design.get("end", "2026-03-31"), seed=seed)
            if purpose == "fit":
                benchmarks = benchmarks.assign(category=[
                    FIT_CATEGORIES[i % len(FIT_CATEGORIES)] for i in range(len(benchmarks))])
            world = simulate_frontier_world(models, benchmarks, scores, spec,
                                            fixed=FRONTIER_FIXED[purpose], seed=seed + 1)
        else:
            world = simulate_world(*synthetic_design(seed=seed, **design), spec,
                                   fixed=V1_FIXED, seed=seed + 1)
    data = family(spec).build_data(world.models, world.benchmarks, world.scores, spec)
    truth = world.truth
    if name.endswith("+hosts"):
        # the scores were drawn without named hosts: the point gets host values of its own
        data = _with_named_hosts(data)
        truth = {**truth, "host_sd": np.array(0.4), "host_z": np.array([0.8, -1.1])}
    return spec, truth, data


def _with_named_hosts(data):
    """Serve every third open-model score through one of two named hosts, the rest first-party.

    The simulated designs have no host prefixes; this gives the host effects scores to act on.
    """
    from dataclasses import replace

    open_rows = np.flatnonzero(data.base_open[data.obs_base] == 1)
    served = open_rows[::3]
    host = np.zeros(len(data.y), int)
    host[served] = 1 + (np.arange(len(served)) % 2)
    return replace(data, obs_host=(host > 0).astype(int), host_names=["Host A", "Host B"],
                   obs_host_id=host)


@pytest.fixture(scope="module")
def stan_program():
    """spec -> its family's compiled Stan program (compiled once per program)."""
    from gapbayes.inference.backend_stan import compile_model

    programs = {}

    def get(spec: Spec):
        path = family(spec).stan().stan_file
        if path not in programs:
            programs[path] = compile_model(path)
        return programs[path]

    return get


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

    spec, truth, data = _world(request.param, "density", seed=3)
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
    spec, data, _, point, _ = ll_case
    side = family(spec).stan()
    sd = side.stan_data(data, spec)
    prog = stan_program(spec)
    base = side.stan_point(point)

    def lp(p: dict) -> pd.Series:
        return prog.log_prob(p, sd, jacobian=True, sig_figs=18).iloc[0]

    at = lp(base)
    h = 1e-5
    checked = 0
    for name, value in base.items():
        arr = np.asarray(value, float)
        if arr.size == 0 or np.all(arr > 0):          # bounded: its gradient is on log scale
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


# ---- 2. the same posterior -------------------------------------------------------------------


# The default spec shapes FrontierMath's link, which the fit design lacks: its fit case
# shapes two of the design's benchmarks instead, so both backends sample a shape.
FIT_NAMES = [f"{name}+subset" if name == "default" else name for name in SPECS]
# In `make test` (CI): the default and timeshift-v1 (the two model families). The other shipped
# specs run the same programs with switches whose density, gradient and start points are
# checked above at 1e-6 in every tier; their posterior fits (about 330 of CI's worker-seconds)
# run in `make test-slow`.
CI_FIT_CASES = {"default+subset", "timeshift-v1"}
FIT_CASES = [name if name in CI_FIT_CASES else pytest.param(name, marks=slow, id=name)
             for name in FIT_NAMES]


def _fit_both(spec: Spec, data, settings: SamplerSettings) -> tuple[xr.DataTree, xr.DataTree]:
    """(PyMC DataTree, Stan DataTree) of one spec on one data set."""
    stan_dt = get_backend("stan").sample(data, spec, settings)
    pymc_logger = logging.getLogger("pymc")
    level = pymc_logger.level
    pymc_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pymc_dt = get_backend("pymc").sample(data, spec, settings)
    finally:
        pymc_logger.setLevel(level)
    return pymc_dt, stan_dt


@pytest.fixture(scope="module", params=FIT_CASES)
def fitted_pair(request):
    """(spec, data, PyMC DataTree, Stan DataTree) of both backends on the fit design."""
    spec, _, data = _world(request.param, "fit", seed=5)
    return spec, data, *_fit_both(spec, data, FIT)


def _compared(spec: Spec, dt: xr.DataTree, data) -> xr.DataTree:
    """Gap quantities, main parameters and the family's extras of one fit's posterior."""
    fam = family(spec)
    post = dt["posterior"].to_dataset()
    gaps = fam.gap_quantities(post, data)
    names = [*EXTRA_COMPARED[spec.model],
             *[v for v in fam.main_parameters if v in post]]
    # The identified-only group gaps average over a benchmark set that each fit picks from its
    # own posterior medians: two correct fits can differ by one borderline benchmark. The
    # per-benchmark and all-benchmark gaps they are built from are compared instead.
    compared = [v for v in GAP_VARS if v in gaps and not v.startswith("gap_identified_")]
    merged = xr.merge([post[names], gaps[compared]])
    return xr.DataTree.from_dict({"posterior": merged})


def _mcse(dt: xr.DataTree) -> xr.Dataset:
    out = az.mcse(dt)
    return out.to_dataset() if isinstance(out, xr.DataTree) else out


def z_limit(n_elements: int) -> float:
    """The largest |z| a quantity of n elements may reach: Z_MAX for one element.

    A vector quantity is judged on its largest element; its limit keeps the chance that
    agreeing backends are flagged, per quantity, at that of one comparison at Z_MAX (the
    Bonferroni bound: about 5.0 for 100 elements). Without it, a curve of 180 months is
    flagged by chance far more often than a scalar parameter.
    """
    return float(norm.isf(norm.sf(Z_MAX) / max(n_elements, 1)))


def _standardised_differences(spec: Spec, data, pymc_dt: xr.DataTree,
                              stan_dt: xr.DataTree) -> tuple[dict, dict, dict, dict]:
    """Per compared quantity: max |mean difference| / combined MCSE, its limit, the largest
    difference in the share of draws where the quantity is undefined, and the share of
    elements that one fit leaves undefined in every draw and the other does not."""
    ref, got = _compared(spec, pymc_dt, data), _compared(spec, stan_dt, data)
    p, s = ref["posterior"].to_dataset(), got["posterior"].to_dataset()
    assert set(p.data_vars) == set(s.data_vars)
    se_p, se_s = _mcse(ref), _mcse(got)
    worst, limit, undefined, decided = {}, {}, {}, {}
    for v in p.data_vars:
        # a gap is undefined (NaN) in draws where a curve leaves the grid: compare the
        # elements defined in every draw of both fits, and how often the others are undefined.
        # An element NaN in every draw is a decision of a rule on posterior medians (a gap
        # not identified, read outside its category's data), which two fits of one model can
        # make differently for a borderline element: those are counted apart (``decided``).
        all_p, all_s = (np.isnan(x[v]).all(("chain", "draw")) for x in (p, s))
        defined = (np.isfinite(p[v]).all(("chain", "draw"))
                   & np.isfinite(s[v]).all(("chain", "draw")))
        share = np.abs(np.isnan(p[v]).mean(("chain", "draw"))
                       - np.isnan(s[v]).mean(("chain", "draw"))).where(~(all_p | all_s))
        undefined[v] = float(share.max()) if bool((~(all_p | all_s)).any()) else 0.0
        decided[v] = float((all_p ^ all_s).mean())
        if not defined.any():
            continue
        diff = np.abs(p[v].mean(("chain", "draw")) - s[v].mean(("chain", "draw")))
        z = (diff / np.sqrt(se_p[v] ** 2 + se_s[v] ** 2)).where(defined)
        worst[v] = float(z.max())
        limit[v] = z_limit(int(defined.sum()))
    return worst, limit, undefined, decided


def _report(label: str, worst: dict, limit: dict, undefined: dict) -> dict:
    top = max(worst, key=lambda k: worst[k] / limit[k])
    print(f"{label}: max |mean diff| / combined MCSE = {worst[top]:.2f} ({top}, limit "
          f"{limit[top]:.2f}); {len(worst)} quantities; max difference in undefined share "
          f"{max(undefined.values()):.2f}")
    return {k: (round(v, 2), round(limit[k], 2)) for k, v in worst.items() if not v < limit[k]}


def test_posterior_means_agree(fitted_pair):
    spec, data, pymc_dt, stan_dt = fitted_pair
    worst, limit, undefined, decided = _standardised_differences(spec, data, pymc_dt, stan_dt)
    bad = _report(f"{spec.name} ({FIT.chains} x {FIT.draws})", worst, limit, undefined)
    if bad:
        # Two chains of 300 draws estimate the MCSE itself loosely: a scale parameter's chain
        # that lingers in one region for a while is missed, and the same case, seed and code
        # gave 2.71 on one machine and 4.16 on another (benchmark_shift_sd; 4 x 1000 draws
        # of both backends then agreed at 1.28). A flagged case is therefore judged again on
        # fresh chains, 4 x 600 with another seed: a real mismatch of the two models is a
        # fixed difference of means, which stands out by about twice as many MCSE there.
        pymc_dt, stan_dt = _fit_both(spec, data, CONFIRM)
        worst, limit, undefined, decided = _standardised_differences(spec, data, pymc_dt,
                                                                     stan_dt)
        bad = _report(f"{spec.name} confirmation ({CONFIRM.chains} x {CONFIRM.draws})",
                      worst, limit, undefined)
    assert not bad, f"{spec.name}: |mean difference| / combined MCSE (limit): {bad}"
    # how often a gap is undefined: a share of 600 draws, far from 0 and 1 a binomial sd of
    # at most 0.02 with independent draws; 0.15 allows for autocorrelation
    assert max(undefined.values()) < 0.15, {k: v for k, v in undefined.items() if v}
    # borderline rule decisions: a few elements of a quantity, not a whole curve or group
    print(f"elements decided undefined by one fit only: {max(decided.values()):.3f} at most")
    assert max(decided.values()) <= 0.05, {k: v for k, v in decided.items() if v}


def test_datatree_layout_matches_pymc(fitted_pair):
    spec, data, pymc_dt, stan_dt = fitted_pair
    fam = family(spec)
    side = fam.stan()
    ref, got = pymc_dt["posterior"].to_dataset(), stan_dt["posterior"].to_dataset()
    # Stan samples the zero-sum vectors through their free coordinates, which PyMC keeps as
    # value variables outside the posterior: the only Stan-only variables allowed
    stan_only = set()
    if spec.model == "frontier":
        from gapbayes.model.frontier_stan import STAN_ONLY

        stan_only = set(STAN_ONLY)
    assert set(ref.data_vars) == set(got.data_vars) - stan_only
    for v in ref.data_vars:
        assert ref[v].dims == got[v].dims, v
        for d in ref[v].dims[2:]:
            assert list(ref[d].values) == list(got[d].values), d
    assert {"diverging", "depth", "step_size", "energy"} <= set(stan_dt["sample_stats"])
    observed = set(stan_dt["observed_data"].data_vars)
    assert observed == set(fam.observed) & set(pymc_dt["observed_data"].data_vars)
    for group in ("log_likelihood", "posterior_predictive"):
        assert set(stan_dt[group].data_vars) == observed, group
        for v in observed:
            assert stan_dt[group][v].dims[2:] == stan_dt["observed_data"][v].dims, (group, v)
    # what run_fit does next: derived gap quantities, then the diagnostics
    post = stan_dt["posterior"].to_dataset()
    with_gaps = stan_dt.copy()
    with_gaps["posterior"] = xr.DataTree(xr.merge([post, fam.gap_quantities(post, data)]))
    diag = run_diagnostics(with_gaps, side.parameter_names(data, spec), FIT.max_treedepth)
    assert {c.name for c in diag.checks} >= {"rhat_max", "divergences", "bfmi_min"}


def test_compile_error_names_the_file_and_stanc_message(tmp_path):
    from gapbayes.inference.backend_stan import StanCompileError, compile_model

    bad = tmp_path / "broken.stan"
    bad.write_text("parameters { real x }\nmodel { x ~ std_normal(); }\n")
    with pytest.raises(StanCompileError, match=r"broken\.stan does not compile; stanc says"):
        compile_model(bad)


def test_z_limit_is_z_max_for_a_scalar_and_bonferroni_for_a_vector():
    assert z_limit(1) == pytest.approx(Z_MAX)
    # 100 elements each at the limit have, together, one scalar's chance of a false alarm
    assert 100 * norm.sf(z_limit(100)) == pytest.approx(norm.sf(Z_MAX))
    assert z_limit(100) == pytest.approx(4.98, abs=0.01)
