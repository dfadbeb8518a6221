"""`data validate`, `data info` and `load_tidy` on built fixture tables, intact and corrupted."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import DATA_FIXTURES, DATA_TODAY

from gapbayes.cli import main
from gapbayes.data import load_tidy
from gapbayes.data.build import build
from gapbayes.errors import InputError


@pytest.fixture(scope="module")
def built_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tidy")
    build(
        raw=DATA_FIXTURES / "raw",
        metadata=DATA_FIXTURES / "benchmarks.toml",
        rules=DATA_FIXTURES / "model_rules.toml",
        out=out,
        today=DATA_TODAY,
    )
    return out


@pytest.fixture
def copy(built_dir: Path, tmp_path: Path) -> Path:
    shutil.copytree(built_dir / "tidy", tmp_path / "tidy")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def validate_cli(data: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["data", "validate", "--data", str(data), *extra])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_validate_ok(built_dir, capsys):
    code, out, _ = validate_cli(
        built_dir, capsys, "--metadata", str(DATA_FIXTURES / "benchmarks.toml")
    )
    assert code == 0
    assert out.startswith("valid: tables and ") and "15 scores" in out


def test_tidy_dir_itself_is_accepted(built_dir):
    assert load_tidy(built_dir / "tidy").data_hash == load_tidy(built_dir).data_hash


CORRUPTIONS = [
    (
        "models.csv",
        ",open,index,DeepSeek,",
        ",opn,index,DeepSeek,",
        r"models\.csv:\d+: column 'access': value 'opn' fails check",
    ),
    (
        "models.csv",
        "2025-02-01,index,open",
        "2025-02-31,index,open",
        r"models\.csv:\d+: column 'release_date': '2025-02-31' is not a valid date",
    ),
    (
        "scores.csv",
        "alpha,open-a,0.6,0.03",
        "alpha,open-aa,0.6,0.03",
        r"scores\.csv:5: column 'model_id': unknown model 'open-aa'",
    ),
    (
        "scores.csv",
        "alpha,open-a,0.6,0.03",
        "alpha,open-a,1.6,0.03",
        r"scores\.csv:5: column 'score': score 1\.6 is outside the scale of 'alpha'",
    ),
    (
        "scores.csv",
        "alpha,open-a,0.6,0.03",
        "alpha,open-a,0.6,-0.03",
        r"scores\.csv:5: column 'stderr': value -0\.03 fails check",
    ),
    (
        "scores.csv",
        "alpha,claude-z",
        "beta,claude-z",
        r"scores\.csv:\d+: column 'benchmark_id': rows are not sorted",
    ),
    (
        "scores.csv",
        "Epoch AI,false,false,9",
        "Epoch AI,no,false,9",
        r"scores\.csv:2: column 'self_reported': 'no' is not a valid bool",
    ),
    (
        "benchmarks.csv",
        "proportion,0.0,1.0,identity",
        "proportion,1.0,0.0,identity",
        r"benchmarks\.csv:2: column 'scale_max': scale_max must exceed scale_min",
    ),
    (
        "benchmarks.csv",
        "ci_high_column,scale",
        "ci_high_column,scales",
        r"benchmarks\.csv:1: column 'scale': required column is missing",
    ),
    (
        "unclassified.csv",
        "alpha,unreleased,1",
        "alpha,unreleased,0",
        r"unclassified\.csv:3: column 'rows': value 0 fails check",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "pattern"), CORRUPTIONS)
def test_validate_reports_corruption(file, old, new, pattern, copy, capsys):
    edit(copy / "tidy" / file, old, new)
    before = {p.name: p.read_bytes() for p in (copy / "tidy").iterdir()}
    code, _, err = validate_cli(copy, capsys)
    assert code == 2 and err.count("\n") == 1
    assert re.search(pattern, err), err
    assert {p.name: p.read_bytes() for p in (copy / "tidy").iterdir()} == before


def test_validate_detects_stale_benchmarks(copy, tmp_path, capsys):
    meta = tmp_path / "meta.toml"
    meta.write_text(
        (DATA_FIXTURES / "benchmarks.toml").read_text().replace("n_items = 198", "n_items = 200")
    )
    code, _, err = validate_cli(copy, capsys, "--metadata", str(meta))
    assert code == 2
    assert re.search(
        r"benchmarks\.csv:2: column 'n_items': n_items is 198 but the metadata "
        r"says 200",
        err,
    )


def test_load_tidy_missing_table(copy):
    (copy / "tidy" / "scores.csv").unlink()
    with pytest.raises(InputError, match=r"scores\.csv: tidy table not found"):
        load_tidy(copy)


def test_info(built_dir, capsys):
    assert main(["data", "info", "--data", str(built_dir)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(i for i, s in enumerate(lines) if s.split()[:2] == ["access", "China"])
    assert lines[header].split() == ["access", "China", "USA", "other", "unknown", "total"]
    assert lines[header + 1].split() == ["open", "3", "2", "2", "0", "7"]
    assert lines[header + 2].split() == ["closed", "1", "2", "0", "1", "4"]
    assert lines[header + 4].split() == ["total", "4", "4", "2", "2", "12"]
    assert "dropped as unreleased: 1" in out
    assert "scores: 15 total, 13 usable" in out
    assert "release dates: 2024-01-01 to 2025-03-01 (10 dated, 2 undated)" in out
    row = next(s for s in lines if s.strip().startswith("beta "))
    assert row.split() == ["beta", "7", "6", "1", "0", "0", "1", "1", "0", "1"]
    # Columns are aligned: every row of the per-benchmark table has the same width.
    table = lines[lines.index(next(s for s in lines if s.strip().startswith("benchmark "))) :]
    assert len({len(s) for s in table[:-1]} - {len(table[0])}) <= 1
