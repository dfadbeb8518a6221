"""SBC of the default (frontier) model: every reported quantity ranked, a real fit's rule.

CI size: 24 simulations of a 40-model x 5-benchmark design with 2 chains x 100 draws (L = 100
after thinning by 2). Chains that short rarely reach R-hat <= 1.01, so the CI run ranks every
finished fit (``include_not_converged``), which tests the procedure at that length and catches
gross errors (simulator and fit out of step, a quantity computed differently for the prior
draw and the posterior) at a lenient level; ``make sbc`` is the real check.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_model import assert_loglik_matches_pymc

from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_simulate import frontier_design
from gapbayes.model.lab_lags import COUNTRY_LAG_ROWS, reported_labs
from gapbayes.model.spec import load_spec
from gapbayes.sbc.backends import ConjugateNormal, FitDraws, SBCSettings
from gapbayes.sbc.frontier_quantities import FrontierQuantities
from gapbayes.sbc.ranks import ConjugateQuantities, rank_simulation
from gapbayes.sbc.report import summarise
from gapbayes.sbc.runner import SBCProblem, load_records, run_sbc
from gapbayes.sbc.simulate import PriorPredictiveSimulator

DESIGN = {"n_models": 40, "n_benchmarks": 5, "n_linear": 1, "eval_rate": 0.6, "seed": 0}
CI = SBCSettings(chains=2, draws=100, tune=100, thin=2, cores=2)
# Known, open and documented (docs/model.md, "SBC at CI size: growth_rw_sd"): with chains this
# short every fit is unconverged (R-hat 1.02-2.6), and growth_rw_sd, which moves slowly, stays
# near its start (posterior means 0.3-0.95 whatever the truth), so its ranks pile up at 0 when
# the true sd is small: p = 1e-5, 9e-5 and 0.0016 in three of six runs, 0.06-0.21 in the others
# (not the centred walk's funnel: a non-centred walk gave p = 0.0016 too). Left out here so
# that the other quantities keep being checked; `make sbc` (converged fits only) ranks it.
KNOWN_MISCALIBRATED = {"growth_rw_sd"}


@pytest.fixture(scope="module")
def design():
    spec = load_spec("default")
    return spec, build_frontier_data(*frontier_design(**DESIGN), spec)


@pytest.fixture(scope="module")
def correct_run(tmp_path_factory, design):
    spec, data = design
    out = tmp_path_factory.mktemp("sbc") / "frontier"
    run_sbc(SBCProblem("pymc", data, spec, CI, seed=0), 24, out, progress=False)
    return out, summarise(out, requested=24, include_not_converged=True)


def test_every_reported_quantity_is_monitored(design):
    spec, data = design
    names = FrontierQuantities(data, spec).names
    for group in ("overall", "private", "public",
                  *(f"category:{c}" for c in data.category_names)):
        assert {f"gap_{p}[{group}]" for p in ("early", "middle", "last")} <= set(names)
    assert {f"gap_last[{b}]" for b in data.bench_ids} <= set(names)
    labs = reported_labs(data)
    assert len(labs) >= 5 and {f"lab_lag_last[{b}]" for b in labs} <= set(names)
    assert {f"country_lag_last[{c}]" for c in COUNTRY_LAG_ROWS} <= set(names)
    assert {"gap_forward_early[overall]", "gap_change_6m[overall]",
            "bias_provider_penalty_months", "bias_self_report_offset_months",
            "bias_public_vs_private_months", "public_shift", "growth_rw_sd",
            "benchmark_shift_sd", "loglik"} <= set(names)
    # with the country term (spec by-country): its gaps and hyperparameters as well
    country = FrontierQuantities(data, load_spec("by-country")).names
    assert {"china_offset", "china_trend_sd", "gap_country_last[chinese open]",
            "gap_country_last[other open]",
            "gap_country_last[chinese minus other open]"} <= set(country)
    # the forward gap at the last month needs the open frontier's future: not ranked
    assert "gap_forward_last[overall]" not in names


def test_small_frontier_sbc_ranks_are_uniform(correct_run, design):
    out, s = correct_run
    spec, data = design
    assert s["failed"] == 0 and s["used"] == 24 and s["L"] == 100
    assert [q["quantity"] for q in s["quantities"]] == FrontierQuantities(data, spec).names
    for q in s["quantities"]:
        if q["quantity"] in KNOWN_MISCALIBRATED:
            continue
        assert q["p_value"] > 1e-4, q
    assert all(b["reason"] for b in s["bad_simulations"])
    assert all("rhat_all_max" in r for r in load_records(out))


def test_broken_simulator_fails_on_public_shift(correct_run, design, tmp_path):
    spec, data = design
    broken = load_spec("gapbayes/sbc/broken.toml")
    assert broken.prior("public_shift")["mu"] == 3 * spec.prior("public_shift")["sigma"]
    problem = SBCProblem("pymc", data, spec, CI, seed=0, simulate_spec=broken)
    run_sbc(problem, 12, tmp_path, progress=False)
    s = summarise(tmp_path, requested=12, include_not_converged=True, plot=False)
    q = {x["quantity"]: x for x in s["quantities"]}
    assert not s["passed"] and "public_shift" in s["failed_quantities"]
    assert q["public_shift"]["mean_pit"] > 0.7  # true values far above the fitted prior


def test_loglik_matches_pymc_logp(design):
    from gapbayes.model.frontier_pymc import build_frontier_model

    spec, data = design
    sims = PriorPredictiveSimulator(data, spec, seed=3).simulate([0, 1])
    assert_loglik_matches_pymc(build_frontier_model(data, spec), FrontierQuantities(data, spec),
                               sims)


def test_prior_draw_quantities_match_the_reported_tables(design):
    """The quantity SBC ranks is the one the fit reports, computed the same way."""
    import xarray as xr

    from gapbayes.model.frontier_gaps import gap_quantities

    spec, data = design
    s = PriorPredictiveSimulator(data, spec, seed=5).simulate([0])[0]
    q = FrontierQuantities(data, spec)
    got = q.values({k: np.asarray(v)[None] for k, v in s.prior.items()})
    post = xr.Dataset({k: xr.DataArray(np.asarray(s.prior[k])[None, None],
                                       dims=["chain", "draw", *q._dims.get(k, [])])
                       for k in ("frontier", "open_shift", "category_trend_knots",
                                 "category_trend_grid")
                       if k in s.prior})
    ref = gap_quantities(post, data)
    last = len(data.report_dates) - 1
    assert np.isclose(got["gap_last[overall]"][0],
                      ref["gap_backward"].sel(group="overall").isel(month=last).item())


# ---- the convergence rule: a real fit's (no divergence, R-hat <= 1.01 on everything) --------
def _fit(diverging: int = 0, stuck: bool = False) -> FitDraws:
    rng = np.random.default_rng(1)
    mu = rng.normal(size=(2, 200))
    post = {"mu": mu}
    if stuck:   # a second variable whose chains sit in different places
        post["other"] = rng.normal(size=(2, 200)) + np.array([[0.0], [3.0]])
    div = np.zeros((2, 200), bool)
    div[0, :diverging] = True
    return FitDraws(post, div)


def _rank(fit: FitDraws) -> dict:
    q = ConjugateQuantities(ConjugateNormal())
    return rank_simulation(q, {"mu": np.asarray(0.1)}, {"y": np.zeros(10)}, fit, 1,
                           np.random.default_rng(0))


def test_one_divergence_means_not_converged():
    assert _rank(_fit())["converged"]
    rec = _rank(_fit(diverging=1))
    assert not rec["converged"] and rec["reason"] == "1 divergent draw (0.2%)"


def test_unmixed_unmonitored_variable_means_not_converged():
    rec = _rank(_fit(stuck=True))
    assert not rec["converged"]
    assert rec["rhat_all_where"] == "other" and rec["rhat_all_max"] > 1.5
    assert "posterior variable other" in rec["reason"]
