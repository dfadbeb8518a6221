"""Bad raw data for ``gapbayes data build``: one edit to a copy of tests/fixtures/data each.

Moved from tests/test_data_errors.py (which keeps the cases that need a fixed "today" and the
whole-build checks); here each kind also runs through the CLI and checks that nothing is
written.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from harness import ROOT, Case

FIXTURES = ROOT / "tests" / "fixtures" / "data"
DUMP = "raw/epoch-benchmark-hub-2026-04-19"


def where(file: str, line: int, column: str) -> str:
    """Pattern of the location prefix ``file:line: column 'col':``."""
    return re.escape(f"{file}:{line}: column '{column}':")


def build_after(kind: str, change, message: str) -> Case:
    """``gapbayes data build`` of a copy of the fixtures changed by ``change(copy)``."""
    def prepare(ws: Path) -> list[str]:
        src = ws / "in"
        shutil.copytree(FIXTURES, src)
        change(src)
        return ["data", "build", "--raw", str(src / "raw"), "--metadata",
                str(src / "benchmarks.toml"), "--rules", str(src / "model_rules.toml"),
                "--out", str(ws / "out")]

    return Case(kind, prepare, message)


def raw_edit(kind: str, file: str, old: str, new: str, message: str) -> Case:
    """Replace ``old`` by ``new`` (once) in ``file`` of the dump (or ``../`` beside it)."""
    def change(src: Path) -> None:
        path = src / DUMP / file
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8", newline="")

    return build_after(kind, change, message)


def _latin1_name(src: Path) -> None:
    path = src / DUMP / "beta_external.csv"
    path.write_bytes(path.read_bytes().replace(b"Open C", "Open \u00c7".encode("latin-1")))


def _rule(src: Path) -> None:
    path = src / "model_rules.toml"
    path.write_text(path.read_text().replace("keep_score = 57.0", "keep_score = 56.0"))


CASES = [
    raw_edit("missing column", "beta_external.csv", "Model version,Score,",
             "Model version,Points,",
             where("beta_external.csv", 1, "Score") + " required column is missing"),
    raw_edit("conflicting duplicate", "gamma_external.csv", "open-a,12,",
             "open-a,12,2025-02-01,DeepSeek,China,30,4,METR,\nopen-a,13,",
             where("gamma_external.csv", 4, "Time horizon")
             + r" duplicate of line 3 .* different score \(12 vs 13\)"),
    raw_edit("unknown access label", "epoch_capabilities_index.csv",
             "OpenAI,United States of America,API access",
             "OpenAI,United States of America,Paid access",
             where("epoch_capabilities_index.csv", 2, "Model accessibility")
             + " unknown access label 'Paid access'"),
    raw_edit("score outside scale", "beta_external.csv", "hosted-h,48,", "hosted-h,104.5,",
             where("beta_external.csv", 11, "Score")
             + r" score 104.5 is outside the percent scale \[0, 100\]"),
    raw_edit("negative score", "alpha.csv", "mystery-model,0.3,", "mystery-model,-0.1,",
             where("alpha.csv", 8, "mean_score") + " score -0.1 is outside"),
    raw_edit("unparseable date", "alpha.csv", "claude-z,0.85,0.85,2025-03-01",
             "claude-z,0.85,0.85,2025-13-01",
             where("alpha.csv", 9, "Release date")
             + " date '2025-13-01' is not a valid YYYY-MM-DD"),
    raw_edit("date in another format", "epoch_capabilities_index.csv", "open-b,,2024-06-01",
             "open-b,,06/01/2024",
             where("epoch_capabilities_index.csv", 5, "Release date") + " date '06/01/2024'"),
    raw_edit("NaN score", "alpha.csv", "open-b_high,0.55,", "open-b_high,NaN,",
             where("alpha.csv", 6, "mean_score") + " score 'NaN' is not a finite number"),
    raw_edit("text score", "beta_external.csv", "undated-open,45,", "undated-open,45%,",
             where("beta_external.csv", 8, "Score") + " score '45%' is not a number"),
    raw_edit("negative stderr", "alpha.csv",
             "0.85,0.85,2025-03-01,Anthropic,United States of America,,,0.01",
             "0.85,0.85,2025-03-01,Anthropic,United States of America,,,-0.01",
             where("alpha.csv", 9, "stderr") + " stderr -0.01 is negative"),
    raw_edit("ragged row", "beta_external.csv", "GPT X,0,Stanford HELM,,b2",
             "GPT X,0,Stanford HELM,,b2,extra",
             re.escape("beta_external.csv:3:") + " record has 11 fields but the header has 10"),
    raw_edit("unterminated quote", "gamma_external.csv", "override-me,8,", 'override-me,"8,',
             re.escape("gamma_external.csv:4:") + " malformed CSV"),
    # open-a's description spans lines 3-4, so open-b is on line 5 and open-c on 7.
    raw_edit("duplicate index entry", "epoch_capabilities_index.csv", "open-c,,2024-03-01",
             "open-b,,2024-03-01",
             where("epoch_capabilities_index.csv", 7, "Model version")
             + r" model 'open-b' is listed twice \(first on line 5\)"),
    raw_edit("unknown override label", "../accessibility-overrides.csv",
             "only-override,API access", "only-override,Open?",
             where("accessibility-overrides.csv", 3, "Model accessibility")
             + " unknown access label"),
    raw_edit("raw score with digit grouping", "beta_external.csv", "hosted-h,48,", "hosted-h,4_8,",
             where("beta_external.csv", 11, "Score") + r" score '4_8' is not a number"),
    raw_edit("index release date in 1899", "epoch_capabilities_index.csv", "open-b,,2024-06-01",
             "open-b,,1899-06-01",
             where("epoch_capabilities_index.csv", 5, "Release date")
             + " date 1899-06-01 is before 2010-01-01"),
    raw_edit("newline in a raw model id", "beta_external.csv", "hosted-h,48,", '"hosted\nh",48,',
             where("beta_external.csv", 11, "Model version")
             + r" model id 'hosted\\nh' contains a control character"),
    build_after("empty raw file", lambda src: (src / DUMP / "gamma_external.csv").write_bytes(b""),
                r"gamma_external\.csv: empty file"),
    build_after("raw file not UTF-8", _latin1_name,
                where("beta_external.csv", 7, "Name") + r" not valid UTF-8 \(byte 0xc7\)"),
    build_after("raw benchmark file missing", lambda src: (src / DUMP / "alpha.csv").unlink(),
                r"alpha\.csv: file not found"),
    build_after("duplicate rule matches no row", _rule,
                r"keeps score 56, but the rows score 55, 57"),
]
