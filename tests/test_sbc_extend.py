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

SHORT = SBCSettings(chains=2, draws=100, thin=1)  # L = 200


class StuckWhenShort(MockBackend):
    """Exact posterior, except that short runs with a seed divisible by 3 get stuck."""

    def fit(self, y_data, seed):
        draws = super().fit(y_data, seed)
        if self.settings.draws < 200 and seed % 3 == 0:
            mu = draws.posterior["mu"].copy()
            mu[1] += 5.0  # second chain elsewhere: R-hat far above 1.05
            return type(draws)({"mu": mu}, draws.diverging)
        return draws


def problem(seed: int = 0) -> SBCProblem:
    return SBCProblem(StuckWhenShort(SHORT), ConjugateNormal(), None, SHORT, seed=seed)


def test_refits_replace_stuck_fits_and_keep_their_history(tmp_path, capsys):
    p = problem()
    run_sbc(p, 30, tmp_path, progress=False)
    first = {r["index"]: r for r in load_records(tmp_path)}
    stuck = sorted(i for i, r in first.items() if r["status"] == "not_converged")
    assert stuck == sorted(i for i in first if simulation_seed(0, i) % 3 == 0) and stuck
    untouched = {i: (tmp_path / "sims" / f"{i}.json").read_text()
                 for i in first if i not in stuck}

    args = argparse.Namespace(extend_not_converged=4, scheduler=None, workers=1,
                              no_progress=True)
    sbc_command.extend(p, tmp_path, args)
    assert (f"{len(stuck)} non-converged fits refitted with 4x longer chains, 0 still not "
            "converged") in capsys.readouterr().out

    after = {r["index"]: r for r in load_records(tmp_path)}
    for i in stuck:
        rec = after[i]
        assert rec["status"] == "ok" and rec["attempt"] == 1
        assert rec["L"] == first[i]["L"] == 200  # 4x the draws, 4x the thinning
        assert rec["settings"]["draws"] == 400 and rec["settings"]["thin"] == 4
        assert rec["seed"] == simulation_seed(0, i, 1) != first[i]["seed"]
        assert rec["problem_id"] == p.problem_id
        [earlier] = rec["earlier"]
        assert earlier["status"] == "not_converged" and "R-hat > 1.05" in earlier["reason"]
        assert earlier["settings"]["draws"] == 100 and earlier["rhat"] == first[i]["rhat"]
    assert all((tmp_path / "sims" / f"{i}.json").read_text() == text
               for i, text in untouched.items())

    # resumable: a second call finds nothing left to refit
    assert extend_not_converged(p, tmp_path, 4, progress=False).refitted == []
    s = summarise(tmp_path, plot=False)
    assert s["refitted"] == {"n": len(stuck), "factors": [4], "converged": len(stuck)}
    assert s["not_converged"] == 0 and s["used"] == 30
    md = (tmp_path / "summary.md").read_text()
    assert f"- {len(stuck)} simulations did not converge at first and were refitted" in md


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
