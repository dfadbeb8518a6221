"""The SBC tail check and the convergence rates in the SBC summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapbayes.sbc.backends import ConjugateNormal, SBCSettings
from gapbayes.sbc.report import summarise
from gapbayes.sbc.runner import SBCProblem, run_sbc
from gapbayes.sbc.tails import tail_check


def _table(n: int, late_bias: bool, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mean = rng.normal(size=n)
    pit = rng.uniform(size=n)
    if late_bias:   # where the fit says "large", truths sit above nearly all posterior draws
        top = mean > np.quantile(mean, 0.9)
        pit[top] = rng.uniform(0.96, 1.0, top.sum())
    return pd.DataFrame({"pit:gap_last": pit, "mean:gap_last": mean})


def test_calibrated_tails_pass():
    t = tail_check(_table(400, late_bias=False), ["gap_last"])
    assert list(t["tail"]) == ["high", "low"] and list(t["n"]) == [40, 40]
    assert t["passed"].all()


def test_under_covered_high_tail_fails_only_there():
    t = tail_check(_table(400, late_bias=True), ["gap_last"]).set_index("tail")
    assert not t.loc["high", "passed"] and t.loc["high", "coverage"] == 0.0
    assert t.loc["low", "passed"]


def test_too_few_simulations_are_not_checked():
    assert tail_check(_table(40, late_bias=True), ["gap_last"]).empty


def test_summary_states_first_attempt_rate_and_tails(tmp_path):
    # i.i.d. draws: with 2 x 1000 of them split R-hat stays below 1.01 (with 2 x 100 it
    # exceeds it in about 40% of the fits: the rule needs enough effective draws)
    settings = SBCSettings(chains=2, draws=1000, thin=10)
    problem = SBCProblem("mock", ConjugateNormal(), None, settings)
    run_sbc(problem, 60, tmp_path, progress=False)
    s = summarise(tmp_path, requested=60, plot=False)
    assert s["first_attempt"] == {"n": 60, "converged": 60, "rate": 1.0,
                                  "converged_after_refits": 60, "rate_after_refits": 1.0}
    assert {(r["quantity"], r["tail"]) for r in s["tail_check"]} == {("mu", "high"),
                                                                     ("mu", "low")}
    md = (tmp_path / "summary.md").read_text()
    assert "first attempts 60 of 60 (100%)" in md and "## Tail check" in md
