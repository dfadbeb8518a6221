"""Refitting non-converged SBC fits with longer chains (gapbayes.sbc.extend), mock backend."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from gapbayes.commands import sbc as sbc_command
from gapbayes.errors import GapbayesError
from gapbayes.sbc.backends import ConjugateNormal, MockBackend, SBCSettings
from gapbayes.sbc.extend import extend_not_converged, longer_problem
from gapbayes.sbc.report import summarise
from gapbayes.sbc.runner import SBCProblem, load_records, run_sbc, simulation_seed

# 2 x 1000 i.i.d. draws: enough for split R-hat <= 1.01 (the convergence rule of a real fit)
SHORT = SBCSettings(chains=2, draws=1000, thin=10)  # L = 200


class StuckWhenShort(MockBackend):
    """Exact posterior, except that short runs with a seed divisible by 3 get stuck."""

    def fit(self, y_data, seed):
        draws = super().fit(y_data, seed)
        if self.settings.draws < 2000 and seed % 3 == 0:
            mu = draws.posterior["mu"].copy()
            mu[1] += 5.0  # second chain elsewhere: R-hat far above 1.01
            return type(draws)({"mu": mu}, draws.diverging)
        return draws


class DivergesUnlessSmallSteps(MockBackend):
    """Exact posterior, but fits with a seed divisible by 3 flag 5% of their draws divergent
    unless the target acceptance is at least 0.95 (longer chains alone do not help)."""

    def fit(self, y_data, seed):
        draws = super().fit(y_data, seed)
        if self.settings.target_accept < 0.95 and seed % 3 == 0:
            diverging = np.zeros_like(draws.diverging, dtype=bool)
            diverging[:, ::20] = True
            return type(draws)(draws.posterior, diverging)
        return draws


def problem(seed: int = 0, backend: type[MockBackend] = StuckWhenShort) -> SBCProblem:
    return SBCProblem(backend(SHORT), ConjugateNormal(), None, SHORT, seed=seed)


def extend_args(factor: int = 4, target_accept: float = 0.98) -> argparse.Namespace:
    return argparse.Namespace(extend_not_converged=factor, refit_target_accept=target_accept,
                              scheduler=None, workers=1, no_progress=True)


def test_refits_replace_stuck_fits_and_keep_their_history(tmp_path, capsys):
    p = problem()
    run_sbc(p, 30, tmp_path, progress=False)
    first = {r["index"]: r for r in load_records(tmp_path)}
    stuck = sorted(i for i, r in first.items() if r["status"] == "not_converged")
    assert stuck == sorted(i for i in first if simulation_seed(0, i) % 3 == 0) and stuck
    untouched = {i: (tmp_path / "sims" / f"{i}.json").read_text()
                 for i in first if i not in stuck}

    sbc_command.extend(p, tmp_path, extend_args())
    printed = capsys.readouterr().out
    assert (f"refit 1: {len(stuck)} non-converged fits refitted with 4x longer chains, "
            "target_accept 0.9, 0 still not converged") in printed
    assert "refit 2: 0 non-converged fits refitted" in printed

    after = {r["index"]: r for r in load_records(tmp_path)}
    for i in stuck:
        rec = after[i]
        assert rec["status"] == "ok" and rec["attempt"] == 1
        assert rec["L"] == first[i]["L"] == 200  # 4x the draws, 4x the thinning
        assert rec["settings"]["draws"] == 4000 and rec["settings"]["thin"] == 40
        assert rec["seed"] == simulation_seed(0, i, 1) != first[i]["seed"]
        assert rec["problem_id"] == p.problem_id
        [earlier] = rec["earlier"]
        assert earlier["status"] == "not_converged" and "R-hat > 1.01" in earlier["reason"]
        assert earlier["settings"]["draws"] == 1000 and earlier["rhat"] == first[i]["rhat"]
    assert all((tmp_path / "sims" / f"{i}.json").read_text() == text
               for i, text in untouched.items())

    # resumable: a second call finds nothing left to refit
    assert extend_not_converged(p, tmp_path, 4, progress=False).refitted == []
    s = summarise(tmp_path, plot=False)
    assert s["refitted"] == {"n": len(stuck), "factors": [4], "converged": len(stuck),
                             "second_refits": 0, "second_converged": 0,
                             "second_target_accept": []}
    assert s["not_converged"] == 0 and s["used"] == 30
    md = (tmp_path / "summary.md").read_text()
    assert f"- {len(stuck)} simulations did not converge at first and were refitted" in md


def test_divergent_fits_get_a_second_refit_with_smaller_steps(tmp_path, capsys):
    p = problem(backend=DivergesUnlessSmallSteps)
    run_sbc(p, 30, tmp_path, progress=False)
    first = {r["index"]: r for r in load_records(tmp_path)}
    divergent = sorted(i for i, r in first.items() if r["status"] == "not_converged")
    assert divergent == sorted(i for i in first if simulation_seed(0, i) % 3 == 0)
    assert all("divergent draws (5.0%)" in first[i]["reason"] for i in divergent)

    sbc_command.extend(p, tmp_path, extend_args())
    printed = capsys.readouterr().out
    # the first refit is longer but keeps target_accept 0.9: those with a seed divisible
    # by 3 still diverge and get the second refit
    once = [i for i in divergent if simulation_seed(0, i, 1) % 3 != 0]
    twice = [i for i in divergent if i not in once]
    assert twice and (f"refit 1: {len(divergent)} non-converged fits refitted with 4x longer "
                      f"chains, target_accept 0.9, {len(twice)} still not converged") in printed
    assert (f"refit 2: {len(twice)} non-converged fits refitted with 4x longer chains, "
            "target_accept 0.98, 0 still not converged") in printed

    after = {r["index"]: r for r in load_records(tmp_path)}
    for i in twice:
        rec = after[i]
        assert rec["status"] == "ok" and rec["attempt"] == 2
        assert rec["seed"] == simulation_seed(0, i, 2)
        assert rec["settings"]["target_accept"] == 0.98 and rec["settings"]["draws"] == 4000
        assert rec["L"] == 200
        assert [e["attempt"] for e in rec["earlier"]] == [1, 0]  # latest first
        assert [e["settings"]["target_accept"] for e in rec["earlier"]] == [0.9, 0.9]
        assert all(e["status"] == "not_converged" for e in rec["earlier"])
    assert all(after[i]["attempt"] == 1 and after[i]["status"] == "ok" for i in once)
    assert extend_not_converged(p, tmp_path, 4, progress=False, attempt=2,
                                target_accept=0.98).refitted == []

    s = summarise(tmp_path, plot=False)
    assert s["refitted"] == {"n": len(divergent), "factors": [4],
                             "converged": len(divergent), "second_refits": len(twice),
                             "second_converged": len(twice), "second_target_accept": [0.98]}
    md = (tmp_path / "summary.md").read_text()
    assert (f", {len(twice)} of them at a second refit, the {len(twice)} second refits with "
            "target_accept 0.98.") in md


def test_refit_target_accept_must_be_above_the_runs(tmp_path, capsys):
    with pytest.raises(GapbayesError, match=r"^--refit-target-accept must be above the run's "
                                            r"target acceptance 0.9 and below 1 \(got 0.9\)$"):
        longer_problem(problem(), 4, attempt=2, target_accept=0.9)
    parser = argparse.ArgumentParser()
    sbc_command.register(parser.add_subparsers())
    argv = ["sbc", "--backend", "mock", "--extend-not-converged", "4", "--out",
            str(tmp_path / "run"), "--no-progress", "--refit-target-accept"]
    args = parser.parse_args([*argv, "0.85"])
    with pytest.raises(GapbayesError, match=r"above the run's target acceptance 0.9 and below 1 "
                                            r"\(got 0.85\)$"):
        args.func(args)
    with pytest.raises(SystemExit) as exc:     # 1.0 is refused when the flags are parsed
        parser.parse_args([*argv, "1.0"])
    assert exc.value.code == 2
    assert ("argument --refit-target-accept: must be between 0 and 1 (exclusive), got '1.0'"
            in capsys.readouterr().err)
    assert not (tmp_path / "run").exists()


def test_refit_of_another_configuration_is_refused(tmp_path):
    run_sbc(problem(seed=0), 3, tmp_path, progress=False)
    with pytest.raises(GapbayesError, match="is not this configuration"):
        extend_not_converged(problem(seed=1), tmp_path, 4, progress=False)
    with pytest.raises(GapbayesError, match="no SBC run there to extend"):
        extend_not_converged(problem(), tmp_path / "empty", 4, progress=False)


def test_longer_problem_keeps_L_and_refuses_factor_below_two():
    p = problem()
    longer = longer_problem(p, 3)
    assert longer.settings.n_ranked == p.settings.n_ranked == 200
    assert longer.attempt == 1 and longer.backend.settings is longer.settings
    assert p.backend.settings is SHORT  # the original backend is not changed
    assert np.isclose(longer.settings.tune, p.settings.tune)
    with pytest.raises(GapbayesError, match="--extend-not-converged must be at least 2"):
        longer_problem(p, 1)


def test_cli_refuses_factor_below_two_before_fitting(tmp_path):
    parser = argparse.ArgumentParser()
    sbc_command.register(parser.add_subparsers())
    args = parser.parse_args(["sbc", "--backend", "mock", "--extend-not-converged", "1",
                              "--out", str(tmp_path / "run"), "--no-progress"])
    with pytest.raises(GapbayesError, match=r"^--extend-not-converged must be at least 2 "
                                            r"\(got 1\)$"):
        args.func(args)
    assert not (tmp_path / "run").exists()  # nothing fitted or written
