"""Staging folders: never taken for results, removed once their writer is gone, safe when two
processes write the same result at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gapbayes import atomic
from gapbayes.cli import main
from gapbayes.inference.results import latest_result

ROOT = Path(__file__).resolve().parent.parent


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _result(folder: Path, created: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"kind": "fit", "created": created}))
    return folder


def test_latest_ignores_staging_and_replaced_folders(tmp_path: Path) -> None:
    real = _result(tmp_path / "epoch-default-1234abcd", "2026-01-01T00:00:00Z")
    _result(tmp_path / f".gapbayes-tmp-{_dead_pid()}-x1", "2027-01-01T00:00:00Z")
    _result(tmp_path / ".gapbayes-old-77-epoch-default-1234abcd", "2027-01-01T00:00:00Z")
    _result(tmp_path / "epoch-default-1234abcd.gapbayes-old", "2027-01-01T00:00:00Z")
    assert latest_result(tmp_path) == real


def test_summary_latest_refuses_a_root_holding_only_an_orphan(tmp_path, monkeypatch, capsys):
    _result(tmp_path / f".gapbayes-tmp-{_dead_pid()}-x1", "2027-01-01T00:00:00Z")
    monkeypatch.setenv("GAPBAYES_RESULTS", str(tmp_path))
    assert main(["summary", "--latest"]) == 2
    assert "no fit results under" in capsys.readouterr().err


def test_next_staging_removes_orphans_of_dead_processes_only(tmp_path: Path) -> None:
    dead = _result(tmp_path / f".gapbayes-tmp-{_dead_pid()}-aaaa", "x")
    live = _result(tmp_path / f".gapbayes-tmp-{os.getppid()}-bbbb", "x")
    legacy = _result(tmp_path / ".gapbayes-tmp-oldstyle", "x")
    # older than this process (the rule for unowned names), however long the session has run:
    # an hour before now failed once a pytest worker had been up for more than an hour
    old = atomic._STARTED - 3600
    os.utime(legacy, (old, old))
    with atomic.staged_dir(tmp_path / "result") as tmp:
        (tmp / "a.txt").write_text("a")
    assert not dead.exists() and not legacy.exists()
    assert live.exists()
    assert (tmp_path / "result" / "a.txt").read_text() == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["result", live.name])


def test_result_folder_gets_umask_mode_not_0700(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with atomic.staged_dir(tmp_path / "result") as tmp:
            (tmp / "a.txt").write_text("a")
    finally:
        os.umask(old)
    assert (tmp_path / "result").stat().st_mode & 0o777 == 0o755


def _writer(final: str, tag: str, rounds: int, start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))      # both writers run at the same time
    for i in range(rounds):
        with atomic.staged_dir(final) as tmp:
            for k in range(5):
                (tmp / f"part{k}.txt").write_text(f"{tag}-{i}")


def test_two_processes_replacing_one_folder(tmp_path: Path) -> None:
    final = tmp_path / "result"
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0
    procs = [ctx.Process(target=_writer, args=(str(final), tag, 300, start_at)) for tag in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    contents = {(final / f"part{k}.txt").read_text() for k in range(5)}
    assert len(contents) == 1          # whole, from one writer
    assert [p.name for p in tmp_path.iterdir()] == ["result"]


def test_sigkill_while_staging_leaves_nothing_visible(tmp_path: Path) -> None:
    code = ("import sys, time\n"
            "from gapbayes.atomic import staged_dir\n"
            "with staged_dir(sys.argv[1]) as tmp:\n"
            "    (tmp / 'manifest.json').write_text('{\"kind\": \"fit\", \"created\": \"z\"}')\n"
            "    print('staged', flush=True)\n"
            "    time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "epoch-x")],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "staged"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    orphans = list(tmp_path.glob(".gapbayes-tmp-*"))
    assert len(orphans) == 1 and (orphans[0] / "manifest.json").is_file()
    with pytest.raises(Exception, match="no fit results under"):
        latest_result(tmp_path)
    with atomic.staged_dir(tmp_path / "next") as tmp:
        (tmp / "manifest.json").write_text('{"kind": "fit", "created": "a"}')
    assert [p.name for p in tmp_path.iterdir()] == ["next"]
    assert latest_result(tmp_path) == tmp_path / "next"
