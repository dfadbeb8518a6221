"""Validation of benchmarks.toml / metadata CSV and of model_rules.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA_FIXTURES

from gapbayes import paths
from gapbayes.data.metadata import benchmarks_frame, load_metadata
from gapbayes.data.rules import load_rules
from gapbayes.errors import InputError


def line_of(path: Path, text: str) -> int:
    return next(i + 1 for i, s in enumerate(path.read_text().splitlines()) if s.startswith(text))


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_fixture_metadata_loads():
    metas = load_metadata(DATA_FIXTURES / "benchmarks.toml")
    assert [m.benchmark_id for m in metas] == ["alpha", "beta", "delta", "gamma"]
    beta = metas[1]
    assert beta.setting_columns == ("Shots", "Name") and beta.scale_max == 100.0
    assert metas[2].exclude and not metas[0].exclude


@pytest.mark.parametrize(
    ("old", "new", "anchor", "pattern"),
    [
        (
            'name = "Beta (percent, settings)"',
            'name = "Beta"\ncolour = "red"',
            "colour",
            r"column 'colour': \[beta\] unknown key 'colour'",
        ),
        (
            'scale = "percent"',
            'scale = "percentage"',
            'scale = "percentage"',
            r"column 'scale': \[beta\] scale 'percentage' is not one of: proportion, percent",
        ),
        (
            'category = "knowledge"',
            'category = "trivia"',
            'category = "trivia"',
            r"column 'category': \[beta\] category 'trivia' is not one of",
        ),
        (
            "n_items = 198",
            'n_items = "many"',
            'n_items = "many"',
            r"column 'n_items': \[alpha\] n_items must be a whole number",
        ),
        (
            "published = true",
            "published = 1",
            "published = 1",
            r"column 'published': \[alpha\] published must be true or false",
        ),
        (
            "chance = 0.25",
            "chance = true",
            "chance = true",
            r"column 'chance': \[alpha\] chance must be a number",
        ),
        (
            'setting_columns = ["Shots", "Name"]',
            'setting_columns = "Shots"',
            'setting_columns = "Shots"',
            r"column 'setting_columns': \[beta\] setting_columns must",
        ),
        (
            "published = true",
            'published = true\nrelease_date = "Nov 2023"',
            'release_date = "Nov 2023"',
            r"column 'release_date': \[alpha\] release_date must be a date YYYY-MM-DD "
            r"\(or \"\" when unknown\), got 'Nov 2023'",
        ),
    ],
)
def test_bad_metadata(old, new, anchor, pattern, tmp_path):
    path = tmp_path / "benchmarks.toml"
    path.write_text((DATA_FIXTURES / "benchmarks.toml").read_text())
    edit(path, old, new)
    line = line_of(path, anchor)
    with pytest.raises(InputError, match=re.escape(f"benchmarks.toml:{line}:") + " " + pattern):
        load_metadata(path)


def test_missing_key_names_table_line(tmp_path):
    path = tmp_path / "benchmarks.toml"
    path.write_text((DATA_FIXTURES / "benchmarks.toml").read_text())
    edit(path, 'ci_low_column = "CI_low"\n', "")
    line = line_of(path, "[gamma]")
    with pytest.raises(
        InputError,
        match=re.escape(f"benchmarks.toml:{line}: column 'ci_low_column': [gamma] missing key"),
    ):
        load_metadata(path)


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        (
            "scale_min = 0\n",
            "scale_min = 100\n",
            r"\[beta\] scale_max \(100.0\) must exceed scale_min \(100.0\)",
        ),
        ('scale = "percent"', 'scale = "proportion"', r"percent_to_proportion needs scale"),
        (
            'exclude_reason = "test: excluded benchmarks are listed but not read"',
            'exclude_reason = ""',
            r"\[delta\] an excluded benchmark needs an exclude_reason",
        ),
        ('ci_high_column = "CI_high"', 'ci_high_column = ""', r"give both ci_low_column"),
        ("[alpha]", "[Alpha]", r"\[Alpha\] benchmark_id must be snake_case"),
        ("[alpha]\nname", "[alpha\nname", r"not valid TOML"),
    ],
)
def test_inconsistent_metadata(old, new, pattern, tmp_path):
    path = tmp_path / "benchmarks.toml"
    path.write_text((DATA_FIXTURES / "benchmarks.toml").read_text())
    edit(path, old, new)
    with pytest.raises(InputError, match=pattern):
        load_metadata(path)


def test_metadata_csv(tmp_path):
    path = tmp_path / "meta.csv"
    header = (
        "benchmark_id,name,scale,scale_min,scale_max,transform,link,chance,n_items,"
        "access_type,category,provenance,third_party_hosts,published"
    )
    path.write_text(
        header + "\nquiz,Quiz,proportion,0,1,identity,sigmoid,0.25,,public,"
        "knowledge,independent,no,false\n"
    )
    (meta,) = load_metadata(path)
    assert (meta.benchmark_id, meta.chance, meta.n_items, meta.file) == ("quiz", 0.25, 0, "")
    path.write_text(
        header + "\nquiz,Quiz,proportion,0,1,identity,probit,0.25,,public,"
        "knowledge,independent,no,false\n"
    )
    with pytest.raises(InputError, match=r"meta\.csv:2: column 'link': 'probit' is not one"):
        load_metadata(path)


def test_release_date_is_optional_and_read_as_an_iso_date(tmp_path):
    path = tmp_path / "benchmarks.toml"
    path.write_text((DATA_FIXTURES / "benchmarks.toml").read_text())
    edit(path, "published = true", "published = true\nrelease_date = 2023-11-20")
    metas = {m.benchmark_id: m for m in load_metadata(path)}
    assert metas["alpha"].release_date == "2023-11-20"
    assert metas["beta"].release_date == ""                     # not given: unknown
    frame = benchmarks_frame(list(metas.values())).set_index("benchmark_id")
    assert frame.loc["alpha", "release_date"] == pd.Timestamp("2023-11-20")
    assert pd.isna(frame.loc["beta", "release_date"])
    csv = tmp_path / "meta.csv"
    csv.write_text(
        "benchmark_id,name,scale,scale_min,scale_max,transform,link,chance,n_items,"
        "access_type,category,provenance,third_party_hosts,published,release_date\n"
        "quiz,Quiz,proportion,0,1,identity,sigmoid,0.25,,public,"
        "knowledge,independent,no,false,2023-13-01\n"
    )
    with pytest.raises(InputError, match=r"meta\.csv:2: column 'release_date': release_date "
                                         r"must be a date YYYY-MM-DD \(blank when unknown\), "
                                         r"got '2023-13-01'"):
        load_metadata(csv)


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        ("[inherit_access]", "[inherit]", r"unknown section \[inherit\]"),
        ("pattern = 'gpt-'", "pattern = 'gpt-('", r"\[\[family\]\] #1: invalid regular"),
        (
            'family = "Anthropic"\nwhy = "test"',
            'family = "Anthropics"\nwhy = "test"',
            r"\[\[access_rule\]\] #1: unknown family 'Anthropics'",
        ),
        (
            'organizations = ["Meta AI"]',
            'organizations = ["OpenAI"]',
            r"organization 'OpenAI' already belongs to 'OpenAI'",
        ),
        ('access = "closed"', 'access = "shut"', r"access must be 'open' or 'closed'"),
        ('why = "test host"\n', "", r"\[\[host_prefix\]\] #1: missing key 'why'"),
        ("third_party = true", 'third_party = "yes"', r"third_party must be true or false"),
        ("keep_score = 57.0", "keep_score = 57.0\nkeep = 1", r"unknown key 'keep'"),
    ],
)
def test_bad_rules(old, new, pattern, tmp_path):
    path = tmp_path / "model_rules.toml"
    path.write_text((DATA_FIXTURES / "model_rules.toml").read_text())
    edit(path, old, new)
    with pytest.raises(InputError, match=re.escape(str(path)) + r":\d+: .*" + pattern):
        load_rules(path)


def test_rules_split_and_family():
    rules = load_rules(DATA_FIXTURES / "model_rules.toml")
    name = rules.split("chutes/open-b_high")
    assert (name.prefix, name.third_party, name.base, name.effort) == (
        "chutes/",
        True,
        "open-b",
        "_high",
    )
    assert rules.split("MiniCPM_16K").base == "MiniCPM"
    assert rules.split("_high").base == "_high"  # a suffix alone is a name, not a suffix
    assert rules.family("OpenAI", "whatever") == (
        "OpenAI",
        "organization",
        "United States of America",
    )
    assert rules.family("Unknown Lab", "gpt-9")[0] == "other"  # organization decides
    assert rules.family("", "gpt-9")[:2] == ("OpenAI", "rule:name_pattern")
    assert rules.self_reported("DeepSeek report, table 3", "DeepSeek")
    assert not rules.self_reported("DeepSeek report", "OpenAI")


@pytest.mark.skipif(
    not (paths.data_dir() / "benchmarks.toml").exists(),
    reason="data/benchmarks.toml not written yet",
)
def test_shipped_metadata_and_rules_load():
    metas = load_metadata(paths.data_dir() / "benchmarks.toml")
    assert len(metas) >= 40
    assert sum(m.published for m in metas) == 16  # the 17 published minus MMLU-Pro (no file)
    rules = load_rules(paths.data_dir() / "model_rules.toml")
    assert rules.split("chutes/gpt-oss-120b_high").base == "gpt-oss-120b"
    assert rules.split("claude-sonnet-4-20250514_16K").base == "claude-sonnet-4-20250514"
    assert rules.split("MiniCPM-V-2_6").base == "MiniCPM-V-2_6"
