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


def _interrupt_fit(out: Path, after: float) -> tuple[int, float, str]:
    """Start a fit, send SIGINT ``after`` s after its first log line; (rc, seconds to exit, err)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "gapbayes", "fit", "--max-models", "60", "--draws", "2000",
            "--tune", "2000", "--out", str(out), "--no-plots", "--no-progress"]
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
        time.sleep(after)
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


@pytest.mark.parametrize("phase, after", [("compiling", 1.0), ("sampling", 40.0)])
def test_ctrl_c_stops_the_fit(tmp_path: Path, phase: str, after: float) -> None:
    out = tmp_path / "results"
    rc, took, err = _interrupt_fit(out, after)
    assert rc == 130, err
    assert took < 2.5, f"{phase}: took {took:.1f} s to stop"
    assert err.rstrip().splitlines()[-1] == "gapbayes: interrupted"
    assert not out.exists(), f"{phase}: wrote {sorted(p.name for p in out.rglob('*'))}"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
