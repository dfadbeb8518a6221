"""A small real SBC of the gap model (PyMC model, nutpie, compiled once) and the broken check.

CI size: 30 simulations of a 40-model x 5-benchmark design with 2 chains x 100 draws
(L = 100 after thinning by 2). Chains that short often miss R-hat <= 1.05, so the CI test
ranks every finished fit (``include_not_converged``): it tests the whole procedure at that
length and catches gross errors (a wrong sign, simulator and fit out of step), at a lenient
level. The slow variant (GAPBAYES_SLOW=1) runs longer chains and uses converged fits only.

The model here is timeshift-v1, kept for comparison only: its SBC runs in `make test-slow`
(about 230 of CI's worker-seconds); `make test` runs the same SBC machinery on the default
model (tests/test_sbc_frontier.py) and checks this model's log-likelihood against PyMC.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_model import assert_loglik_matches_pymc, slow

from gapbayes.model.design import build_model_data
from gapbayes.model.simulate import synthetic_design
from gapbayes.model.spec import load_spec
from gapbayes.sbc.backends import SBCSettings
from gapbayes.sbc.ranks import GapQuantities
from gapbayes.sbc.report import summarise
from gapbayes.sbc.runner import SBCProblem, load_records, run_sbc
from gapbayes.sbc.simulate import PriorPredictiveSimulator

DESIGN = {"n_models": 40, "n_benchmarks": 5, "n_linear": 1, "eval_rate": 0.6, "seed": 0}
CI = SBCSettings(chains=2, draws=100, tune=100, thin=2, cores=2)
QUANTITIES = ["gap_early", "gap_middle", "gap_last", "public_offset", "provider_penalty",
              "self_report_offset", "gap_rw_sd", "frontier_log_growth", "loglik"]


@pytest.fixture(scope="module")
def design():
    spec = load_spec("timeshift-v1")
    data = build_model_data(*synthetic_design(**DESIGN), spec)
    return spec, data


@pytest.fixture(scope="module")
def correct_run(tmp_path_factory, design):
    spec, data = design
    out = tmp_path_factory.mktemp("sbc") / "default"
    run_sbc(SBCProblem("pymc", data, spec, CI, seed=0), 30, out, progress=False)
    return out, summarise(out, requested=30, include_not_converged=True)


@slow
def test_small_sbc_ranks_are_uniform(correct_run):
    out, s = correct_run
    assert s["failed"] == 0 and s["used"] == 30 and s["L"] == 100
    assert [q["quantity"] for q in s["quantities"]] == QUANTITIES
    for q in s["quantities"]:
        assert q["p_value"] > 0.001, q
    # non-converged fits are reported with their reason, never dropped silently
    assert all(b["reason"] for b in s["bad_simulations"])
    assert s["not_converged"] == sum(r["status"] == "not_converged" for r in load_records(out))
    assert (out / "ecdf.png").is_file()


@slow
def test_simulation_is_reproducible_alone(correct_run, design):
    out, _ = correct_run
    spec, data = design
    rec = load_records(out)[7]
    alone = PriorPredictiveSimulator(data, spec, seed=0).simulate([7])[0]
    assert np.isclose(rec["prior"]["public_offset"], float(alone.prior["public_offset"]))


@slow
def test_broken_simulator_fails_on_public_offset(correct_run, design, tmp_path):
    # The fitted model is the compiled one of correct_run: only the simulator changes.
    spec, data = design
    broken = load_spec("gapbayes/sbc/broken-timeshift-v1.toml")
    assert broken.prior("public_offset")["mu"] == 3 * spec.prior("public_offset")["sigma"]
    problem = SBCProblem("pymc", data, spec, CI, seed=0, simulate_spec=broken)
    run_sbc(problem, 12, tmp_path, progress=False)
    s = summarise(tmp_path, requested=12, include_not_converged=True, plot=False)
    q = {x["quantity"]: x for x in s["quantities"]}
    assert not s["passed"] and "public_offset" in s["failed_quantities"]
    assert q["public_offset"]["mean_pit"] > 0.7  # true values far above the fitted prior


def test_loglik_matches_pymc_logp(design):
    from gapbayes.model.pymc_model import build_pymc_model

    spec, data = design
    sims = PriorPredictiveSimulator(data, spec, seed=3).simulate([0, 1])
    assert_loglik_matches_pymc(build_pymc_model(data, spec), GapQuantities(data, spec), sims)


@slow
def test_longer_sbc_converged_fits_are_uniform(tmp_path, design):
    spec, data = design
    settings = SBCSettings(chains=2, draws=400, tune=400, thin=8, cores=2)
    run_sbc(SBCProblem("pymc", data, spec, settings, seed=1), 100, tmp_path, progress=False)
    s = summarise(tmp_path, requested=100)
    assert s["bad_share"] < 0.25, s["bad_simulations"]
    assert not s["failed_quantities"], s["quantities"]


@slow
@pytest.mark.stan
def test_stan_backend_runs_sbc(tmp_path, design):
    from gapbayes.sbc.backends import stan_available

    if reason := stan_available():
        pytest.skip(reason)
    spec, data = design
    run_sbc(SBCProblem("stan", data, spec, CI, seed=0), 3, tmp_path, progress=False)
    records = load_records(tmp_path)
    assert [r["status"] != "failed" for r in records] == [True] * 3, records
    assert all(set(r["ranks"]) == set(QUANTITIES) for r in records)
