"""Run one bad-input case through the CLI and check the contract every such case must keep.

The contract (issue 18): the command ends with exit code 2, prints exactly one line on stderr
(``gapbayes[ cmd]: error: ...``) that names the file, row, column, flag or key at fault, and
writes nothing: the case's workspace is byte-for-byte and entry-for-entry as it was before.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gapbayes.cli import main

ROOT = Path(__file__).resolve().parents[2]
ERROR_LINE = re.compile(r"gapbayes(?: [a-z-]+)*: error: [^\n]+\n")


@dataclass(frozen=True)
class Case:
    """One kind of bad input.

    Attributes
    ----------
    kind
        Short name of the kind (the test id).
    prepare
        Given an empty workspace folder, makes the files the case needs and returns the argv.
    message
        Regular expression the one error line must contain (``re.search``).
    unprivileged
        Run the CLI in a subprocess without the capabilities that let root read any file
        (``setpriv``), so that a file of mode 000 is unreadable as it is for a user.
    """

    kind: str
    prepare: Callable[[Path], list[str]]
    message: str
    unprivileged: bool = False


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` (not following links) with its type, size, bytes and mode."""
    out: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            content = None
            if path.is_file() and not path.is_symlink() and st.st_size < 5_000_000:
                try:
                    content = path.read_bytes()
                except OSError:
                    content = "unreadable"
            # a folder's mtime and size change when a temporary comes and goes: not compared
            stamp = None if path.is_dir() else (st.st_size, st.st_mtime_ns)
            out[str(path.relative_to(root))] = (st.st_mode, stamp, content)
    return out


def _run_unprivileged(argv: list[str], ws: Path) -> tuple[int, str, str]:
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GAPBAYES_RESULTS": str(ws / "default-results")}
    proc = subprocess.run([*prefix, sys.executable, "-m", "gapbayes", *argv], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def _no_sampling(*args, **kwargs):
    raise AssertionError("a bad-input case reached a sampler backend")


def run_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> str:
    """Prepare ``case`` in ``tmp_path/ws``, run it and assert the contract; return stderr."""
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.setenv("GAPBAYES_RESULTS", str(ws / "default-results"))
    monkeypatch.chdir(ws)
    monkeypatch.setattr("gapbayes.inference.backends.get_backend", _no_sampling)
    monkeypatch.setattr("gapbayes.inference.fit.get_backend", _no_sampling)
    argv = case.prepare(ws)
    before = snapshot(ws)
    if case.unprivileged:
        code, out, err = _run_unprivileged(argv, ws)
    else:
        try:
            code = main(argv)
        except SystemExit as exc:   # argparse's errors
            code = exc.code
        out, err = capsys.readouterr()
    assert ERROR_LINE.fullmatch(err), f"not one error line: {err!r}"
    assert re.search(case.message, err), err
    assert code == 2, (code, err)
    assert out == ""
    assert snapshot(ws) == before, "the failed command changed its workspace"
    return err
