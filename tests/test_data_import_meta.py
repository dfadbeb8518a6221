"""`gapbayes data import` with short metadata: only what the model needs to know.

A user's table has no raw files, so the keys that locate one (file, columns) and the keys with
a neutral value may be left out; the keys without a sensible default are still required, with
the file, line and key named.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
from conftest import DATA_FIXTURES

from gapbayes.data import load_tidy, metadata_defaults
from gapbayes.data.importer import import_scores
from gapbayes.data.metadata import load_metadata
from gapbayes.errors import InputError

RULES = DATA_FIXTURES / "model_rules.toml"
SCORES = "model,release_date,access,benchmark,score\n" \
         "a,2025-01-01,open,quiz,72\nb,2025-02-01,closed,quiz,80\nb,2025-02-01,closed,essay,6\n"
SHORT_TOML = """\
[quiz]
name = "Quiz"
scale = "percent"
link = "sigmoid"
chance = 0.25
access_type = "public"
category = "knowledge"

[essay]
name = "Essay"
scale = "points"
scale_min = 0.0
scale_max = 10.0
link = "linear"
access_type = "private"
category = "writing"
"""


def _import(tmp_path: Path, meta_text: str, suffix: str = ".toml",
            scores: str = SCORES) -> Path:
    (tmp_path / "scores.csv").write_text(scores)
    meta = tmp_path / f"meta{suffix}"
    meta.write_text(meta_text)
    import_scores(tmp_path / "scores.csv", meta, out=tmp_path / "o", rules=RULES)
    return tmp_path / "o"


def test_short_toml_imports_with_the_documented_defaults(tmp_path):
    b = load_tidy(_import(tmp_path, SHORT_TOML)).benchmarks.set_index("benchmark_id")
    assert (b.at["quiz", "scale_min"], b.at["quiz", "scale_max"]) == (0.0, 100.0)
    assert b.at["quiz", "transform"] == "percent_to_proportion"
    assert b.at["essay", "transform"] == "identity"
    assert b.at["essay", "chance"] == 0.0
    assert b.at["quiz", "provenance"] == "mixed"
    assert b.at["quiz", "third_party_hosts"] == "unknown"
    assert not b["published"].any()


def test_short_csv_imports_like_the_toml(tmp_path):
    csv = ("benchmark_id,name,scale,link,chance,access_type,category\n"
           "quiz,Quiz,percent,sigmoid,0.25,public,knowledge\n")
    quiz_only = SCORES.rsplit("b,2025-02-01,closed,essay", 1)[0]
    b = load_tidy(_import(tmp_path, csv, ".csv", quiz_only)).benchmarks.set_index("benchmark_id")
    quiz = (b.at["quiz", "scale_max"], b.at["quiz", "transform"])
    assert quiz == (100.0, "percent_to_proportion")


@pytest.mark.parametrize(("drop", "key"), [
    ('chance = 0.25\n', "chance"),           # a sigmoid's floor has no neutral value
    ('scale_max = 10.0\n', "scale_max"),     # nor has the range of a points scale
    ('category = "knowledge"\n', "category"),
])
def test_keys_without_a_default_are_still_required(tmp_path, drop, key):
    meta = tmp_path / "meta.toml"
    meta.write_text(SHORT_TOML.replace(drop, "", 1))
    with pytest.raises(InputError, match=re.escape(f"column '{key}'") + ".*"
                       + re.escape(f"missing key '{key}'")):
        load_metadata(meta, imported=True)


def test_the_build_still_needs_every_key(tmp_path):
    meta = tmp_path / "meta.toml"
    meta.write_text(SHORT_TOML)
    with pytest.raises(InputError, match="missing key 'file'"):
        load_metadata(meta)


def test_docstring_examples():
    result = doctest.testmod(metadata_defaults)
    assert result.attempted > 0 and result.failed == 0
