"""Bad raw data that needs the library call: a fixed "today", and a valid change next to a bad one.

Every other kind of bad raw data is a row of the table in tests/bad_inputs/cases_raw.py,
run through ``gapbayes data build`` (one line, exit 2, nothing written).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DATA_TODAY

from gapbayes.cli import main
from gapbayes.data.build import build
from gapbayes.errors import InputError

DUMP = "raw/epoch-benchmark-hub-2026-04-19"


def run_build(src: Path, out: Path):
    return build(
        raw=src / "raw",
        metadata=src / "benchmarks.toml",
        rules=src / "model_rules.toml",
        out=out,
        today=DATA_TODAY,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8", newline="")


def where(file: str, line: int, column: str) -> str:
    return re.escape(f"{file}:{line}: column '{column}':")


def test_future_date_against_a_fixed_today(data_fixture_copy, tmp_path):
    # Needs build()'s ``today`` (the CLI uses the real date), so it stays out of the table.
    edit(data_fixture_copy / DUMP / "epoch_capabilities_index.csv", "mystery-model,,2024-01-01",
         "mystery-model,,2026-06-01")
    with pytest.raises(InputError, match=where("epoch_capabilities_index.csv", 10, "Release date")
                       + r" date 2026-06-01 is in the future \(today is 2026-05-01\)"):
        run_build(data_fixture_copy, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_output_untouched_after_error(data_fixture_copy, tmp_path):
    out = tmp_path / "out"
    run_build(data_fixture_copy, out)
    before = {p.name: p.read_bytes() for p in (out / "tidy").iterdir()}
    # A valid change to one file and a bad one to another: neither may reach the output.
    edit(data_fixture_copy / DUMP / "alpha.csv", "mystery-model,0.3,", "mystery-model,0.31,")
    edit(data_fixture_copy / DUMP / "gamma_external.csv", "open-a,12,", "open-a,-12,")
    with pytest.raises(InputError):
        run_build(data_fixture_copy, out)
    after = {p.name: p.read_bytes() for p in (out / "tidy").iterdir()}
    assert after == before  # same files (no temporaries left), same bytes


def test_cli_build_ok(data_fixture_copy, tmp_path, capsys):
    src = data_fixture_copy
    code = main(
        [
            "data",
            "build",
            "--raw",
            str(src / "raw"),
            "--metadata",
            str(src / "benchmarks.toml"),
            "--rules",
            str(src / "model_rules.toml"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "12 models (7 open, 4 closed, 1 unknown), 4 benchmarks, 15 scores" in out
    assert "rule:effort_suffix" in out
