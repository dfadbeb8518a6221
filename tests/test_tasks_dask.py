"""Refits on a Dask cluster (``--scheduler``): same results as here, stored here, resumable."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gapbayes.errors import GapbayesError
from gapbayes.studies.common import dask_client, run_tasks

distributed = pytest.importorskip("distributed")


def square_or_fail(task: int) -> dict:
    """A stand-in for a refit: top level, so a worker process can unpickle it."""
    if task == 3:
        raise ValueError("task 3 is broken on purpose")
    return {"task": task, "square": task * task}


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_dask_results_match_local_ones_and_are_stored_here(tmp_path, client):
    tasks, keys = [0, 1, 2, 3, 4], [f"t{i}" for i in range(5)]
    local, failed_local = run_tasks(square_or_fail, tasks, keys, tmp_path / "local", log=print)
    lines: list[str] = []
    remote, failed = run_tasks(square_or_fail, tasks, keys, tmp_path / "dask",
                               log=lines.append, client=client)
    assert remote == local and [r["task"] for r in remote] == [0, 1, 2, 4]
    assert failed == failed_local == ["t3"]
    assert any("t3 FAILED: ValueError: task 3 is broken on purpose" in ln for ln in lines)
    stored = sorted(p.name for p in (tmp_path / "dask").glob("*.json"))
    assert stored == ["t0.json", "t1.json", "t2.json", "t4.json"]
    assert json.loads((tmp_path / "dask" / "t4.json").read_text()) == {"task": 4, "square": 16}


def test_dask_run_resumes_and_retries_only_what_is_missing(tmp_path, client):
    tasks, keys = [0, 1, 2], ["a", "b", "c"]
    run_tasks(square_or_fail, tasks, keys, tmp_path, log=print, client=client)
    (tmp_path / "b.json").unlink()
    (tmp_path / "a.json").write_text(json.dumps({"task": 0, "square": -1}))  # kept as is
    lines: list[str] = []
    again, failed = run_tasks(square_or_fail, tasks, keys, tmp_path, log=lines.append,
                              client=client)
    assert failed == [] and [r["square"] for r in again] == [-1, 1, 4]
    assert lines[0].startswith("resuming: 2 of 3 tasks already finished")
    assert sum("done" in ln for ln in lines) == 1


def test_scheduler_without_refits_is_refused():
    with pytest.raises(GapbayesError, match=r"^argument --scheduler: there are no refits to "
                       r"distribute; use it with --cv lomo\|lfo or --kfold auto\|always$"):
        dask_client("tcp://127.0.0.1:9", refits=False)
    assert dask_client(None) is None


def test_compare_with_an_unreachable_scheduler_fails_before_fitting(tmp_path):
    out = tmp_path / "results"
    run = subprocess.run([sys.executable, "-m", "gapbayes", "compare", "default", "published",
                          "--cv", "lomo", "--scheduler", "tcp://127.0.0.1:9", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith(
        "gapbayes: error: argument --scheduler: no Dask scheduler answers at "
        "'tcp://127.0.0.1:9' (")
    assert not out.exists()   # nothing fitted, nothing written
