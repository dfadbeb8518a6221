"""Every kind of bad input: one InputError naming file, line and column; nothing written."""

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


CASES = {
    "missing column": (
        "beta_external.csv",
        "Model version,Score,",
        "Model version,Points,",
        where("beta_external.csv", 1, "Score") + " required column is missing",
    ),
    "conflicting duplicate": (
        "gamma_external.csv",
        "open-a,12,",
        "open-a,12,2025-02-01,DeepSeek,China,30,4,METR,\nopen-a,13,",
        where("gamma_external.csv", 4, "Time horizon") + " duplicate of line 3 .* different "
        "score \\(12 vs 13\\)",
    ),
    "unknown access label": (
        "epoch_capabilities_index.csv",
        "OpenAI,United States of America,API access",
        "OpenAI,United States of America,Paid access",
        where("epoch_capabilities_index.csv", 2, "Model accessibility")
        + " unknown access label 'Paid access'",
    ),
    "score outside scale": (
        "beta_external.csv",
        "hosted-h,48,",
        "hosted-h,104.5,",
        where("beta_external.csv", 11, "Score") + " score 104.5 is outside the percent scale "
        r"\[0, 100\]",
    ),
    "negative score": (
        "alpha.csv",
        "mystery-model,0.3,",
        "mystery-model,-0.1,",
        where("alpha.csv", 8, "mean_score") + " score -0.1 is outside",
    ),
    "unparseable date": (
        "alpha.csv",
        "claude-z,0.85,0.85,2025-03-01",
        "claude-z,0.85,0.85,2025-13-01",
        where("alpha.csv", 9, "Release date") + " date '2025-13-01' is not a valid YYYY-MM-DD",
    ),
    "date in another format": (
        "epoch_capabilities_index.csv",
        "open-b,,2024-06-01",
        "open-b,,06/01/2024",
        where("epoch_capabilities_index.csv", 5, "Release date") + " date '06/01/2024'",
    ),
    "future date": (
        "epoch_capabilities_index.csv",
        "mystery-model,,2024-01-01",
        "mystery-model,,2026-06-01",
        where("epoch_capabilities_index.csv", 10, "Release date")
        + " date 2026-06-01 is in the future \\(today is 2026-05-01\\)",
    ),
    "NaN score": (
        "alpha.csv",
        "open-b_high,0.55,",
        "open-b_high,NaN,",
        where("alpha.csv", 6, "mean_score") + " score 'NaN' is not a finite number",
    ),
    "text score": (
        "beta_external.csv",
        "undated-open,45,",
        "undated-open,45%,",
        where("beta_external.csv", 8, "Score") + " score '45%' is not a number",
    ),
    "negative stderr": (
        "alpha.csv",
        "0.85,0.85,2025-03-01,Anthropic,United States of America,,,0.01",
        "0.85,0.85,2025-03-01,Anthropic,United States of America,,,-0.01",
        where("alpha.csv", 9, "stderr") + " stderr -0.01 is negative",
    ),
    "ragged row": (
        "beta_external.csv",
        "GPT X,0,Stanford HELM,,b2",
        "GPT X,0,Stanford HELM,,b2,extra",
        re.escape("beta_external.csv:3:") + " record has 11 fields but the header has 10",
    ),
    "unterminated quote": (
        "gamma_external.csv",
        "override-me,8,",
        'override-me,"8,',
        re.escape("gamma_external.csv:4:") + " malformed CSV",
    ),
    "duplicate index entry": (
        # open-a's description spans lines 3-4, so open-b is on line 5 and open-c on 7.
        "epoch_capabilities_index.csv",
        "open-c,,2024-03-01",
        "open-b,,2024-03-01",
        where("epoch_capabilities_index.csv", 7, "Model version")
        + " model 'open-b' is listed twice \\(first on line 5\\)",
    ),
    "unknown override label": (
        "../accessibility-overrides.csv",
        "only-override,API access",
        "only-override,Open?",
        where("accessibility-overrides.csv", 3, "Model accessibility") + " unknown access label",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_raw_input(case, data_fixture_copy, tmp_path):
    file, old, new, pattern = CASES[case]
    edit(data_fixture_copy / DUMP / file, old, new)
    with pytest.raises(InputError, match=pattern):
        run_build(data_fixture_copy, tmp_path / "out")
    assert not (tmp_path / "out" / "tidy").exists() or not any(
        (tmp_path / "out" / "tidy").iterdir()
    )


def test_empty_file(data_fixture_copy, tmp_path):
    (data_fixture_copy / DUMP / "gamma_external.csv").write_bytes(b"")
    with pytest.raises(InputError, match=r"gamma_external\.csv: empty file"):
        run_build(data_fixture_copy, tmp_path / "out")


def test_non_utf8_file(data_fixture_copy, tmp_path):
    path = data_fixture_copy / DUMP / "beta_external.csv"
    path.write_bytes(path.read_bytes().replace(b"Open C", "Open \u00c7".encode("latin-1")))
    with pytest.raises(
        InputError, match=where("beta_external.csv", 7, "Name") + r" not valid UTF-8 \(byte 0xc7\)"
    ):
        run_build(data_fixture_copy, tmp_path / "out")


def test_missing_benchmark_file(data_fixture_copy, tmp_path):
    (data_fixture_copy / DUMP / "alpha.csv").unlink()
    with pytest.raises(InputError, match=r"alpha\.csv: file not found"):
        run_build(data_fixture_copy, tmp_path / "out")


def test_duplicate_rule_must_match_a_row(data_fixture_copy, tmp_path):
    edit(data_fixture_copy / "model_rules.toml", "keep_score = 57.0", "keep_score = 56.0")
    with pytest.raises(InputError, match=r"keeps score 56, but the rows score 55, 57"):
        run_build(data_fixture_copy, tmp_path / "out")


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


def test_cli_exit_code_2_and_one_line(data_fixture_copy, tmp_path, capsys):
    edit(data_fixture_copy / DUMP / "beta_external.csv", "hosted-h,48,", "hosted-h,148,")
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
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert re.match(r"gapbayes: error: .*beta_external\.csv:11: column 'Score': score 148", err)
    assert not (tmp_path / "out" / "tidy").exists()


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
