"""SBC runner: resuming, failure recording, Dask and process pools, the CLI (mock backend)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gapbayes.errors import GapbayesError
from gapbayes.sbc.backends import ConjugateNormal, MockBackend, SBCSettings
from gapbayes.sbc.report import summarise
from gapbayes.sbc.runner import SBCProblem, load_records, run_sbc, simulation_seed

# 2 x 1000 i.i.d. draws: enough for split R-hat <= 1.01 (the convergence rule of a real fit)
SETTINGS = SBCSettings(chains=2, draws=1000, thin=10)


def mock_problem(seed: int = 0, backend="mock") -> SBCProblem:
    return SBCProblem(backend, ConjugateNormal(), None, SETTINGS, seed=seed)


def ranks_by_sim(out) -> dict[int, dict]:
    return {r["index"]: r["ranks"] for r in load_records(out)}


def test_resume_only_fits_the_new_simulations(tmp_path):
    first = run_sbc(mock_problem(), 6, tmp_path, progress=False)
    assert (first.ran, first.already_done) == (6, 0)
    before = {p.name: p.read_text() for p in (tmp_path / "sims").iterdir()}
    second = run_sbc(mock_problem(), 10, tmp_path, progress=False)
    assert (second.ran, second.already_done) == (4, 6)
    assert sorted(r["index"] for r in second.records) == [6, 7, 8, 9]
    # the six finished simulations were not touched
    assert all((tmp_path / "sims" / k).read_text() == v for k, v in before.items())
    # and resuming gives exactly what one uninterrupted run gives
    run_sbc(mock_problem(), 10, tmp_path / "whole", progress=False)
    assert ranks_by_sim(tmp_path) == ranks_by_sim(tmp_path / "whole")


def test_interrupted_run_keeps_finished_simulations(tmp_path):
    def stop_after_three(rec):
        if len(list((tmp_path / "sims").glob("*.json"))) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sbc(mock_problem(), 8, tmp_path, progress=False, on_record=stop_after_three)
    assert len(load_records(tmp_path)) == 3
    assert not list((tmp_path / "sims").glob(".gapbayes-tmp-*"))  # no half-written file
    info = run_sbc(mock_problem(), 8, tmp_path, progress=False)
    assert (info.ran, info.already_done) == (5, 3)


class RaisingBackend(MockBackend):
    """Fails on the simulation whose fit seed is ``bad_seed``."""

    def __init__(self, bad_seed: int) -> None:
        super().__init__(SETTINGS)
        self.bad_seed = bad_seed

    def fit(self, y_data, seed):
        if seed == self.bad_seed:
            raise FloatingPointError("initial point has logp = -inf")
        return super().fit(y_data, seed)


def test_failed_fit_is_recorded_and_reported(tmp_path):
    problem = mock_problem(backend=RaisingBackend(simulation_seed(0, 3)))
    run_sbc(problem, 6, tmp_path, progress=False)
    rec = json.loads((tmp_path / "sims" / "3.json").read_text())
    assert rec["status"] == "failed"
    assert rec["reason"] == "FloatingPointError: initial point has logp = -inf"
    s = summarise(tmp_path, requested=6, plot=False)
    assert (s["done"], s["ok"], s["failed"]) == (6, 5, 1)
    assert s["bad_simulations"] == [{"sim": 3, "status": "failed", "reason": rec["reason"]}]
    assert not s["passed"]  # 1 of 6 is more than the 5% allowed
    md = (tmp_path / "summary.md").read_text()
    assert "3: failed: FloatingPointError" in md
    # failed simulations are not retried unless asked
    assert run_sbc(problem, 6, tmp_path, progress=False).ran == 0
    assert run_sbc(mock_problem(), 6, tmp_path, progress=False, retry_failed=True).ran == 1
    assert json.loads((tmp_path / "sims" / "3.json").read_text())["status"] == "ok"


def test_not_converged_fit_is_recorded(tmp_path):
    class Stuck(MockBackend):
        def fit(self, y_data, seed):
            draws = super().fit(y_data, seed)
            mu = draws.posterior["mu"].copy()
            mu[1] += 5.0  # second chain elsewhere: R-hat far above 1.01
            return type(draws)({"mu": mu}, draws.diverging)

    run_sbc(mock_problem(backend=Stuck(SETTINGS)), 2, tmp_path, progress=False)
    rec = load_records(tmp_path)[0]
    assert rec["status"] == "not_converged" and rec["reason"].startswith("R-hat > 1.01 on mu (")
    assert "ranks" in rec  # kept for inspection, left out of the tests


def test_other_configuration_in_same_folder_is_refused(tmp_path):
    run_sbc(mock_problem(seed=0), 2, tmp_path, progress=False)
    with pytest.raises(GapbayesError, match="another configuration"):
        run_sbc(mock_problem(seed=1), 2, tmp_path, progress=False)


def test_dask_local_cluster_gives_the_same_ranks(tmp_path):
    distributed = pytest.importorskip("distributed")
    run_sbc(mock_problem(), 12, tmp_path / "local", progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        run_sbc(mock_problem(), 12, tmp_path / "dask", client=client, progress=False)
    assert ranks_by_sim(tmp_path / "dask") == ranks_by_sim(tmp_path / "local")


def test_process_pool_gives_the_same_ranks(tmp_path):
    run_sbc(mock_problem(), 6, tmp_path / "local", progress=False)
    run_sbc(mock_problem(), 6, tmp_path / "pool", workers=2, progress=False)
    assert ranks_by_sim(tmp_path / "pool") == ranks_by_sim(tmp_path / "local")


def test_cli_mock_run_and_strict_failure(tmp_path, capsys):
    import argparse

    from gapbayes.commands import sbc

    # registered directly: the test does not depend on cli.COMMAND_MODULES listing it
    parser = argparse.ArgumentParser()
    sbc.register(parser.add_subparsers())
    args = parser.parse_args(["sbc", "--backend", "mock", "--simulations", "40", "--draws",
                              "200", "--thin", "4", "--out", str(tmp_path / "ok"),
                              "--no-progress", "--strict"])
    assert args.func(args) == 0
    assert "# SBC: PASS" in capsys.readouterr().out
    for name in ("ranks.csv", "tests.csv", "ecdf.png", "summary.json", "summary.md"):
        assert (tmp_path / "ok" / name).is_file()
    args = parser.parse_args(["sbc", "--backend", "mock-biased", "--simulations", "40",
                              "--out", str(tmp_path / "bad"), "--no-progress", "--strict"])
    assert args.func(args) == 3
    assert np.isclose(json.loads((tmp_path / "bad" / "summary.json").read_text())["L"], 100)
