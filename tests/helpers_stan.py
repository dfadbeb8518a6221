"""Cases, simulated worlds and compiled programs of the PyMC/Stan agreement tests.

``test_stan_agreement.py`` checks that the two backends compute the same density at a point;
``test_stan_fit_agreement.py`` that they find the same posterior. A case is a spec name with
suffixes that switch optional parts on (``default+selection+gamma``; see ``case_spec``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytensor
import pytest

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

#: both test modules need a built CmdStan
STAN_MARKS = [
    pytest.mark.stan,
    pytest.mark.skipif(find_cmdstan() is None,
                       reason="no built CmdStan in $CMDSTAN or the gapbayes cache: "
                              "run `make cmdstan`"),
]


def distinct_models(names: list[str]) -> list[str]:
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


SPECS = distinct_models(shipped_spec_names())
# No shipped spec has timeshift-v1's country switch or the frontier model's asymmetric link
# (an opt-in switch, docs/model.md "Link"): the density checks cover them, and "+labs" adds
# the lab curves (shipped as spec lab-curves) to other specs.
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
# "+nodev": no base model x category deviations (category_deviations = "none");
# "+alldev": a deviation for every cell of a multi-category base model (the default has them
# only for cells scored on two or more benchmarks of their category).
NODEV = "+nodev"
ALLDEV = "+alldev"
# "+lone": one benchmark alone in its category (its open shift is its category's: no
# benchmark term of its own), the others sharing one category.
LONE = "+lone"
# "+gamma": the normal-gamma(2) composed error (switch shortfall = "gamma", the shipped spec
# gamma-shortfall) with the selection term, whose unscored frame models take the same prior.
GAMMA = "+gamma"
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
# Tables a user may bring (tests/test_small_tables.py): "+onesig" has one sigmoid benchmark
# (its link fixes the latent location and scale), "+linear" none (linear benchmarks only).
SMALL_TABLES = {"+onesig": {"n_benchmarks": 2, "n_linear": 1},
                "+linear": {"n_benchmarks": 2, "n_linear": 2}}
FIT_CATEGORIES = ("math", "reasoning")
V1_FIXED = {"gap_mean": 6.0, "frontier_log_growth": 0.7, "public_offset": -1.0}
FRONTIER_FIXED = {"density": CALM_WORLD, "fit": {**CALM_WORLD, "category_dev_sd": 0.3}}
# Tiny graphs evaluated a few times: PyTensor's fast compilation wins by far.
FAST = {"mode": "FAST_COMPILE"}


def case_spec(name: str) -> Spec:
    if name.endswith(LONE):
        return case_spec(name.removesuffix(LONE))
    if name.endswith(NODEV):
        return case_spec(name.removesuffix(NODEV)).with_changes(
            switches={"category_deviations": "none"})
    if name.endswith(ALLDEV):
        return case_spec(name.removesuffix(ALLDEV)).with_changes(
            switches={"category_deviations": "all"})
    for suffix in SMALL_TABLES:
        if name.endswith(suffix):
            return case_spec(name.removesuffix(suffix))
    if name.endswith(GAMMA):
        return case_spec(name.removesuffix(GAMMA)).with_changes(switches={"shortfall": "gamma"})
    if name.endswith(DATED):
        return case_spec(name.removesuffix(DATED)).with_changes(switches={"contamination": True})
    if name.endswith(MONOTONE):
        return load_spec(name.removesuffix(MONOTONE)).with_changes(
            switches={"monotone_categories": True})
    if name.endswith("+subset"):
        return load_spec(name.removesuffix("+subset")).with_changes(switches=SUBSET)
    for suffix, switch in SWITCHED.items():
        if name.endswith(suffix):
            return case_spec(name.removesuffix(suffix)).with_changes(switches={switch: True})
    return load_spec(name)


def case_world(name: str, purpose: str, seed: int) -> tuple[Spec, dict, object]:
    """(spec, true values, design data) of a world simulated from the spec's PyMC model."""
    spec = case_spec(name)
    design = DESIGNS[spec.model][purpose]
    for suffix, table in SMALL_TABLES.items():
        if name.endswith(suffix):
            design = {**design, **table}
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
            if name.endswith(LONE):
                benchmarks = benchmarks.assign(
                    category=["math"] + ["reasoning"] * (len(benchmarks) - 1))
            world = simulate_frontier_world(models, benchmarks, scores, spec,
                                            fixed=FRONTIER_FIXED[purpose], seed=seed + 1)
        else:
            world = simulate_world(*synthetic_design(seed=seed, **design), spec,
                                   fixed=V1_FIXED, seed=seed + 1)
    # the design as simulated: the floor rule would drop a benchmark where the draw left a
    # group at its floor, and the truth would no longer match the data's shapes
    as_designed = spec.with_changes(data={"min_above_floor": 0})
    data = family(spec).build_data(world.models, world.benchmarks, world.scores, as_designed)
    truth = world.truth
    if name.endswith("+hosts"):
        # the scores were drawn without named hosts: the point gets host values of its own
        data = with_named_hosts(data)
        truth = {**truth, "host_sd": np.array(0.4), "host_z": np.array([0.8, -1.1])}
    return spec, truth, data


def with_named_hosts(data):
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


def program_cache():
    """Return spec -> its family's compiled Stan program (each program compiled once)."""
    from gapbayes.inference.backend_stan import compile_model

    programs = {}

    def get(spec: Spec):
        path = family(spec).stan().stan_file
        if path not in programs:
            programs[path] = compile_model(path)
        return programs[path]

    return get
