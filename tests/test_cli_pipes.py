"""A reader that stops early (``gapbayes specs | head -1``) ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gapbayes.model.spec import shipped_spec_names

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("argv", [["specs"], ["specs", "default"]])
def test_closed_pipe_exits_quietly(argv: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)                      # the reader is gone before gapbayes writes a byte
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "gapbayes", *argv], stdout=write,
                          stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    os.close(write)
    assert proc.stderr == ""
    assert proc.returncode == 0


def test_open_pipe_still_gets_the_whole_output() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "gapbayes", "specs"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.splitlines()[0].startswith("by-country ")
    # two lines per shipped spec
    assert len(proc.stdout.splitlines()) == 2 * len(shipped_spec_names())
