"""SBC machinery on the mock backend, whose posterior is known exactly (fast, exact)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gapbayes.sbc.backends import ConjugateNormal, MockBackend, SBCSettings
from gapbayes.sbc.ranks import ConjugateQuantities, rank_of, rank_simulation
from gapbayes.sbc.report import summarise, uniformity
from gapbayes.sbc.runner import SBCProblem, run_sbc
from gapbayes.sbc.simulate import ConjugateNormalSimulator

# 2 x 1000 i.i.d. draws: enough for split R-hat <= 1.01 (the convergence rule of a real fit)
SETTINGS = SBCSettings(chains=2, draws=1000, thin=10)  # L = 200


# seed 2: at seed 1 the exact mock's loglik ranks give pot_c p = 0.017, a false alarm at the
# Bonferroni level 0.025 (it happens at that rate by design); 2,000 simulations of the exact
# mock are uniform (loglik p = 0.41, mean PIT 0.496), so the machinery is not at fault.
def run_mock(tmp_path, backend: str, n: int = 200, seed: int = 2) -> dict:
    problem = SBCProblem(backend, ConjugateNormal(), None, SETTINGS, seed=seed)
    run_sbc(problem, n, tmp_path / backend, progress=False)
    return summarise(tmp_path / backend, requested=n, plot=False)


def by_name(summary: dict) -> dict:
    return {q["quantity"]: q for q in summary["quantities"]}


def test_exact_posterior_passes(tmp_path):
    s = run_mock(tmp_path, "mock")
    assert s["passed"], s["quantities"]
    assert s["ok"] == 200 and s["L"] == SETTINGS.n_ranked == 200
    assert all(q["p_value"] > 0.01 for q in s["quantities"])


def test_biased_posterior_fails(tmp_path):
    s = run_mock(tmp_path, "mock-biased")
    assert not s["passed"]
    q = by_name(s)
    assert q["mu"]["p_value"] < 1e-6 and q["mu"]["outside_band"]
    assert q["mu"]["mean_pit"] < 0.35  # posterior shifted up: prior draws rank low
    assert "mu" in s["failed_quantities"]


def test_prior_draws_pass_parameters_but_fail_loglik(tmp_path):
    # A "posterior" that ignores the data has uniform parameter ranks; only the
    # data-dependent log-likelihood quantity exposes it (Modrak et al. 2023).
    q = by_name(run_mock(tmp_path, "mock-prior"))
    assert q["mu"]["passed"]
    assert not q["loglik"]["passed"] and q["loglik"]["p_value"] < 1e-6


def test_rank_of_counts_below_and_splits_ties():
    rng = np.random.default_rng(0)
    assert rank_of(0.5, np.array([0.1, 0.2, 0.9]), rng) == 2
    assert rank_of(-1.0, np.array([0.1, 0.2]), rng) == 0
    tied = {rank_of(1.0, np.array([0.0, 1.0, 1.0, 2.0]), rng) for _ in range(200)}
    assert tied == {1, 2, 3}


def test_rank_simulation_fields_and_thinning():
    model = ConjugateNormal()
    backend = MockBackend(SBCSettings(chains=3, draws=60))
    backend.prepare(model)
    sim = ConjugateNormalSimulator(model, seed=0).simulate([0])[0]
    fit = backend.fit(sim.y, seed=1)
    rec = rank_simulation(ConjugateQuantities(model), sim.prior, sim.y, fit, thin=3,
                          rng=np.random.default_rng(0))
    assert rec["L"] == 60  # 180 draws, every third
    assert set(rec["ranks"]) == {"mu", "loglik"}
    assert all(0 <= r <= 60 for r in rec["ranks"].values())
    assert all(0 < u < 1 for u in rec["pit"].values())
    assert rec["converged"] and rec["divergences"] == 0
    # independent draws: bulk ESS near the 180 draws (a stuck chain would give a few)
    assert 120 < rec["ess_bulk"]["mu"] < 260


def test_simulations_do_not_depend_on_how_many_are_asked_for():
    model = ConjugateNormal()
    a = ConjugateNormalSimulator(model, seed=3).simulate(list(range(60)))
    b = ConjugateNormalSimulator(model, seed=3).simulate([7, 55])
    assert np.array_equal(a[7].y["y"], b[0].y["y"])
    assert np.array_equal(a[55].y["y"], b[1].y["y"])


@pytest.mark.parametrize("shift, fails", [(0.0, False), (0.3, True)])
def test_uniformity_test_on_known_pit(shift, fails):
    import pandas as pd

    u = np.random.default_rng(5).random(400)
    pit = pd.DataFrame({"x": np.clip(u + shift * u * (1 - u) * 4, 0, 1)})
    assert bool(uniformity(pit)["passed"].iloc[0]) is not fails


def write_records(out, pits: list[tuple[str, float]]) -> None:
    (out / "sims").mkdir(parents=True)
    for i, (status, pit) in enumerate(pits):
        rec = {"index": i, "status": status, "L": 100, "seconds": 1.0, "divergences": 0,
               "reason": "" if status == "ok" else "R-hat > 1.01 on mu (1.2)",
               "ranks": {"mu": int(pit * 100)}, "pit": {"mu": pit}, "rhat": {"mu": 1.0}}
        (out / "sims" / f"{i}.json").write_text(json.dumps(rec))


def test_both_selections_are_tested_and_reported(tmp_path):
    # Converged fits calibrated, non-converged ones all stuck high: conditioning on
    # convergence hides the failure, so the report must show the unselected tests too.
    u = (np.arange(120) + 0.5) / 120
    write_records(tmp_path, [("ok", float(x)) for x in u]
                  + [("not_converged", 0.99)] * 40)
    s = summarise(tmp_path, plot=False)
    assert s["used"] == 120 and by_name(s)["mu"]["passed"]
    assert not s["passed"] and s["bad_share"] == 0.25  # the verdict still counts them
    other = s["other_selection"]
    assert other["selection"] == "every finished fit, converged or not" and other["n"] == 160
    assert not other["all_passed"] and other["quantities"][0]["mean_pit"] > 0.6
    md = (tmp_path / "summary.md").read_text()
    assert "## Same tests on every finished fit, converged or not" in md
    assert "160 simulations: FAILS on mu." in md

    s = summarise(tmp_path, plot=False, include_not_converged=True)
    assert s["used"] == 160 and not s["passed"] and s["failed_quantities"] == ["mu"]
    assert s["other_selection"]["selection"] == "converged fits only"
    assert s["other_selection"]["all_passed"]
