"""Ctrl-C stops ``gapbayes fit`` within two seconds with exit code 130 and writes nothing.

A real fit runs in a subprocess (the bundled data, 60 models, chains long enough that it is
still running) and gets one SIGINT while it compiles and once while it samples.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _wait_for_sampling(log: Path, proc: subprocess.Popen, limit: float = 300.0) -> None:
    """Return once the fit's plain progress reports draws (sampling has begun)."""
    end = time.monotonic() + limit
    while "sampling: " not in log.read_text():
        assert proc.poll() is None, "the fit ended before it could be interrupted"
        assert time.monotonic() < end, f"no sampling progress within {limit:.0f} s"
        time.sleep(0.2)


def _interrupt_fit(out: Path, phase: str) -> tuple[int, float, str]:
    """Start a fit, send SIGINT in ``phase``; (rc, seconds to exit, err).

    "compiling": one second after its first log line; "sampling": once its plain progress
    (standard error is a file, so one line per tenth of the draws) shows draws.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "gapbayes", "fit", "--max-models", "60", "--draws", "2000",
            "--tune", "2000", "--out", str(out), "--no-plots"]
    # stderr goes to a file, not a pipe: a pipe nobody reads fills up (64 KB of warnings)
    # and blocks the fit in a write, where no signal handler runs
    log = out.parent.parent / f"{out.parent.name}-stderr.log"
    # A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    # across exec: under `make test &` the fit would never see Ctrl-C. A handler set here is
    # reset to the default action in the child, which then installs its own.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with open(log, "w") as err_file:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err_file, text=True,
                                    env=env, cwd=out.parent)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        line = proc.stdout.readline()
        assert line.startswith("fitting spec 'default'"), line
        if phase == "sampling":
            _wait_for_sampling(log, proc)
        else:
            time.sleep(1.0)
        assert proc.poll() is None, "the fit ended before it could be interrupted"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            tail = log.read_text()[-2000:]
            raise AssertionError(f"no exit 30 s after SIGINT; stderr ends:\n{tail}") from None
        took = time.monotonic() - sent
        return rc, took, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("phase", ["compiling", "sampling"])
def test_ctrl_c_stops_the_fit(tmp_path: Path, phase: str) -> None:
    out = tmp_path / "results"
    rc, took, err = _interrupt_fit(out, phase)
    assert rc == 130, err
    assert took < 2.5, f"{phase}: took {took:.1f} s to stop"
    assert err.rstrip().splitlines()[-1] == "gapbayes: interrupted"
    assert not out.exists(), f"{phase}: wrote {sorted(p.name for p in out.rglob('*'))}"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
