"""Which result the reading commands use: a folder, or --latest under ./results or --results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gapbayes.cli import main


def _result(root: Path, name: str, created: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"kind": "fit", "name": name,
                                                      "created": created}))
    return folder


@pytest.mark.parametrize("argv, message", [
    (["summary"], "give a result folder or --latest"),
    (["summary", "x", "--latest"], "give either a result folder or --latest, not both"),
    (["summary", "x", "--results", "r"], "--results only tells --latest where to search"),
    (["report", "--results", "r"], "--results only tells --latest where to search"),
])
def test_selection_errors_are_one_line(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_latest_searches_the_results_root_given(tmp_path, monkeypatch) -> None:
    from gapbayes.commands.select import chosen_result
    from gapbayes.paths import results_dir

    monkeypatch.delenv("GAPBAYES_RESULTS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert results_dir() == tmp_path / "results"           # the current folder, not the install
    scratch = tmp_path / "scratch"
    _result(scratch, "old", "2026-01-01T00:00:00")
    new = _result(scratch, "new", "2026-02-01T00:00:00")

    class Args:
        result = None
        latest = True
        results = scratch

    assert chosen_result(Args()) == new
