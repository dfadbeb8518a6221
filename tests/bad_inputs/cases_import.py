"""Bad score tables and metadata for ``gapbayes data import`` (and the rules it shares with
``data validate`` and ``fit``): loose numbers, names and dates, and metadata CSVs with problems.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from harness import ROOT, Case

FIXTURES = ROOT / "tests" / "fixtures" / "data"
META_HEADER = (
    "benchmark_id,name,scale,scale_min,scale_max,transform,link,chance,n_items,access_type,"
    "category,provenance,third_party_hosts,published"
)
QUIZ = "quiz,Quiz,proportion,0,1,identity,sigmoid,0.25,400,public,knowledge,independent,no,false"
LONG = "model,release_date,access,benchmark,score\n"


def where(file: str, line: int, column: str) -> str:
    """Pattern of the location prefix ``file:line: column 'col':``."""
    return re.escape(f"{file}:{line}: column '{column}':")


def long_import(kind: str, rows: str, message: str, metadata: str | None = None) -> Case:
    """``gapbayes data import in.csv`` of the long table ``LONG + rows``.

    The metadata is the fixture TOML (alpha proportion, beta percent), or ``metadata`` as a
    metadata CSV ``meta.csv``.
    """
    def prepare(ws: Path) -> list[str]:
        (ws / "in.csv").write_text(LONG + rows, encoding="utf-8")
        meta = FIXTURES / "benchmarks.toml"
        if metadata is not None:
            meta = ws / "meta.csv"
            meta.write_text(metadata, encoding="utf-8")
        return ["data", "import", str(ws / "in.csv"), "--metadata", str(meta), "--rules",
                str(FIXTURES / "model_rules.toml"), "--out", str(ws / "out")]

    return Case(kind, prepare, message)


def meta_csv(kind: str, body: str, message: str) -> Case:
    """A valid one-row import whose metadata CSV is ``body``."""
    return long_import(kind, "x,2025-01-01,open,quiz,0.5\n", message, metadata=body)


def validate_models(kind: str, old: str, new: str, message: str) -> Case:
    """``gapbayes data validate`` on a copy of the bundled tables with models.csv edited."""
    def prepare(ws: Path) -> list[str]:
        shutil.copytree(ROOT / "data" / "tidy", ws / "d" / "tidy")
        path = ws / "d" / "tidy" / "models.csv"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return ["data", "validate", "--data", str(ws / "d")]

    return Case(kind, prepare, message)


def _unpublished(ws: Path) -> list[str]:
    shutil.copytree(ROOT / "data" / "tidy", ws / "d" / "tidy")
    path = ws / "d" / "tidy" / "benchmarks.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",true,false,", ",false,false,"),
                    encoding="utf-8")
    return ["fit", "--spec", "published", "--data", str(ws / "d"), "--out", str(ws / "res")]


ARIA = "Aria,Aria,Aria,,,false,2024-09-30,"

CASES = [
    long_import("score with digit grouping", "x,2025-01-01,open,beta,4_5\n",
                where("in.csv", 2, "score") + r" score '4_5' is not a number \(write plain "
                r"digits: no '_' or other digit grouping\)"),
    long_import("score with other-script digits", "x,2025-01-01,open,beta,\u0664\u0665\n",
                where("in.csv", 2, "score") + " score '\u0664\u0665' is not a number"),
    long_import("newline in a model name", 'x,2025-01-01,open,alpha,0.5\n"gpt\nx",2025-01-01,'
                "open,alpha,0.5\n", where("in.csv", 3, "model")
                + r" model name 'gpt\\nx' contains a control character"),
    long_import("tab in a model name", "gpt\tx,2025-01-01,open,alpha,0.5\n",
                where("in.csv", 2, "model") + " model name 'gpt\\\\tx' contains a control"),
    long_import("release date in 1899", "x,1899-03-01,open,alpha,0.5\n",
                where("in.csv", 2, "release_date") + r" date 1899-03-01 is before 2010-01-01, "
                r"the earliest release date accepted"),
    long_import("access label of another vocabulary", "x,2025-01-01,Open weights,alpha,0.5\n",
                where("in.csv", 2, "access") + r" unknown access label 'Open weights'; "
                r"expected open, closed, unknown \(any case\)"),
    validate_models("validate: future release date", ARIA + "index,open",
                    ARIA.replace("2024-09-30", "2099-09-30") + "index,open",
                    where("models.csv", 2, "release_date")
                    + r" date 2099-09-30 is in the future \(today is "),
    validate_models("validate: release date in 1899", ARIA + "index,open",
                    ARIA.replace("2024-09-30", "1899-09-30") + "index,open",
                    where("models.csv", 2, "release_date") + " date 1899-09-30 is before "
                    "2010-01-01"),
    validate_models("validate: newline in a model id", "Aria,Aria,Aria,", '"Ar\nia",Aria,Aria,',
                    where("models.csv", 2, "model_id") + r" value 'Ar\\nia' fails check "
                    r"'one line of text, no control characters'"),
    meta_csv("metadata CSV: chance 1", f"{META_HEADER}\n{QUIZ.replace('0.25', '1')}\n",
             where("meta.csv", 2, "chance") + r" chance must be in \[0, 1\), got 1\.0"),
    meta_csv("metadata CSV: scale_min above scale_max",
             f"{META_HEADER}\n{QUIZ.replace('proportion,0,1', 'proportion,1,0')}\n",
             where("meta.csv", 2, "scale_max") + r" scale_max \(0\.0\) must exceed scale_min"),
    meta_csv("metadata CSV: chance at the ceiling",
             f"{META_HEADER}\n{QUIZ.replace('0.25', '0.99')}\n",
             where("meta.csv", 2, "chance") + r" chance 0\.99 must be below the prior median "
             r"0\.953 of the benchmark's ceiling \(the default spec's generic "
             r"priors\.ceiling_logit\)"),
    meta_csv("metadata CSV: control character in a name",
             f"{META_HEADER}\n{QUIZ.replace('Quiz', 'Qu\tiz')}\n",
             where("meta.csv", 2, "name") + " name 'Qu\\\\tiz' contains a control character"),
    meta_csv("metadata CSV: three columns missing",
             "benchmark_id,name,scale_max,transform,link,chance,n_items\n"
             "quiz,Quiz,1,identity,sigmoid,0.25,400\n",
             re.escape("meta.csv:1: required columns are missing: scale, access_type, "
                       "category")),
    meta_csv("metadata CSV: every problem in one message",
             f"{META_HEADER},colour\n{QUIZ.replace('0.25', '1.5')},red\n"
             f"{QUIZ.replace('quiz', 'essay').replace('sigmoid', 'probit')},blue\n",
             re.escape("meta.csv: 3 problems: line 1, column 'colour': unknown column "
                       "'colour'; line 2, column 'chance': chance must be in [0, 1), got 1.5; "
                       "line 3, column 'link': 'probit' is not one of: sigmoid, linear")),
    Case("fit with no benchmark published", _unpublished,
         r"no scores left after the spec's inclusion rule \(spec 'published'\): no benchmark "
         r"is marked published in the metadata and \[data\] benchmarks = \"published\"; set "
         r"published = true on some benchmarks, or use benchmarks = \"all\" in the spec"),
]
