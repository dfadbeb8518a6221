"""`gapbayes data build` on the tiny fixture dump: every row of the output is known by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA_FIXTURES, DATA_TODAY

from gapbayes.data import load_tidy
from gapbayes.data.build import build
from gapbayes.data.csvfile import read_csv

DUMP = DATA_FIXTURES / "raw" / "epoch-benchmark-hub-2026-04-19"


def fixture_build(out: Path, src: Path = DATA_FIXTURES):
    return build(
        raw=src / "raw",
        metadata=src / "benchmarks.toml",
        rules=src / "model_rules.toml",
        out=out,
        today=DATA_TODAY,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("built")
    report = fixture_build(out)
    return report, load_tidy(out)


def test_models_by_access_and_source(built):
    _, tidy = built
    m = tidy.models.set_index("model_id")
    assert len(m) == 12
    assert m["access"].value_counts().to_dict() == {"open": 7, "closed": 4, "unknown": 1}
    assert m["access_source"].to_dict() == {
        "chutes/open-c": "rule:host_prefix",
        "claude-z": "rule:anthropic_closed_only",
        "gpt-x-2025-01-01_high": "index",
        "hosted-h": "index",  # "Hosted access (no API)" -> closed
        "mystery-model": "missing",
        "only-override": "override",
        "open-a": "index",
        "open-b": "index",
        "open-b_high": "rule:effort_suffix",
        "open-c": "index",
        "override-me": "override",  # the index says API access; the override wins
        "undated-open": "index",
    }
    assert m.at["override-me", "access"] == "open"
    assert "ghost" not in m.index  # Unreleased


def test_hand_checked_model_rows(built):
    _, tidy = built
    m = tidy.models.set_index("model_id")
    gpt = m.loc["gpt-x-2025-01-01_high"]
    assert (gpt["base_model"], gpt["display_name"], gpt["family"]) == (
        "gpt-x-2025-01-01",
        "GPT-X (high)",
        "OpenAI",
    )
    assert gpt["release_date"] == pd.Timestamp("2025-01-01")
    # No organization in the index: family and country come from the name rule.
    high = m.loc["open-b_high"]
    assert (high["organization"], high["family"], high["family_source"]) == (
        "",
        "Alibaba/Qwen",
        "rule:name_pattern",
    )
    assert high["country"] == "China" and high["chinese"]
    host = m.loc["chutes/open-c"]
    assert (host["base_model"], host["access"]) == ("open-c", "open")
    # "xAI,Some Lab" / "United States of America,China": first listed, China anywhere.
    assert m.at["hosted-h", "organization"] == "xAI"
    assert m.at["hosted-h", "country"] == "United States of America"
    assert m.at["hosted-h", "chinese"]
    assert pd.isna(m.at["undated-open", "release_date"])


def test_hand_checked_score_rows(built):
    _, tidy = built
    s = tidy.scores.set_index(["benchmark_id", "model_id", "setting"])
    row = s.loc[("alpha", "open-a", "")]
    assert (row["score"], row["stderr"], row["source"], row["raw_row"]) == (
        0.6,
        0.03,
        "Epoch AI",
        3,
    )
    # claude-z starts on line 9: open-a's quoted notes span lines 3-5.
    assert s.loc[("alpha", "claude-z", ""), "raw_row"] == 9
    beta = s.loc[("beta", "open-a", "Shots=5; Name=Open A")]  # "Open A " squashed
    assert beta["score"] == 65.0 and beta["self_reported"] and math.isnan(beta["stderr"])
    assert s.loc[("beta", "chutes/open-c", "Shots=5; Name=Open C"), "third_party_host"]
    assert s.loc[("beta", "open-b_high", "Shots=5; Name=Open B"), "score"] == 57.0  # by rule
    assert s.loc[("beta", "hosted-h", "Shots=5; Name=Hosted H"), "raw_row"] == 11
    metr = s.loc[("gamma", "gpt-x-2025-01-01_high", "")]
    assert (metr["score"], metr["ci_low"], metr["ci_high"]) == (30.5, 10.0, 80.0)
    assert len(tidy.scores) == 15
    assert tidy.scores.groupby("benchmark_id").size().to_dict() == {
        "alpha": 5,
        "beta": 7,
        "gamma": 3,
    }


def test_every_raw_row_is_accounted_for(built):
    report, tidy = built
    un = report.tables["unclassified"]
    left_out = un[
        un["reason"].isin(
            ["blank_model", "missing_score", "unreleased", "exact_duplicate", "conflict_resolved"]
        )
    ]
    for bid, file in [
        ("alpha", "alpha.csv"),
        ("beta", "beta_external.csv"),
        ("gamma", "gamma_external.csv"),
    ]:
        raw_rows = len(read_csv(DUMP / file))
        n_scores = int((tidy.scores["benchmark_id"] == bid).sum())
        assert raw_rows == n_scores + int(
            left_out.loc[left_out["benchmark_id"] == bid, "rows"].sum()
        )
    assert {(r.benchmark_id, r.reason): r.rows for r in un.itertuples()} == {
        ("alpha", "unknown_access"): 1,
        ("alpha", "unreleased"): 1,
        ("beta", "blank_model"): 1,
        ("beta", "conflict_resolved"): 1,
        ("beta", "exact_duplicate"): 1,
        ("beta", "no_release_date"): 1,
        ("gamma", "missing_score"): 1,
    }
    assert report.tables["dropped_models"]["model_id"].tolist() == ["ghost"]


def test_benchmarks_table(built):
    _, tidy = built
    b = tidy.benchmarks.set_index("benchmark_id")
    assert list(b.index) == ["alpha", "beta", "delta", "gamma"]
    assert b.at["delta", "exclude"] and not (tidy.scores["benchmark_id"] == "delta").any()
    assert b.at["alpha", "n_items"] == 198 and pd.isna(b.at["beta", "n_items"])
    assert b.at["gamma", "scale_max"] == math.inf
    assert b["published"].tolist() == [True, False, False, True]


def test_dtypes_and_hash(built):
    _, tidy = built
    assert str(tidy.models["release_date"].dtype) == "datetime64[ns]"
    assert tidy.models["chinese"].dtype == bool
    assert tidy.benchmarks["published"].dtype == bool
    assert str(tidy.benchmarks["n_items"].dtype) == "Int64"
    assert tidy.scores["score"].dtype == float and tidy.scores["raw_row"].dtype == "int64"
    assert len(tidy.data_hash) == 16 and int(tidy.data_hash, 16) >= 0


def test_build_is_byte_identical(tmp_path):
    fixture_build(tmp_path / "one")
    fixture_build(tmp_path / "two")
    names = sorted(p.name for p in (tmp_path / "one" / "tidy").iterdir())
    assert names == [
        "benchmarks.csv",
        "dropped_models.csv",
        "models.csv",
        "scores.csv",
        "unclassified.csv",
    ]
    for name in names:
        one = (tmp_path / "one" / "tidy" / name).read_bytes()
        assert one == (tmp_path / "two" / "tidy" / name).read_bytes()
        assert b"\r" not in one
    assert load_tidy(tmp_path / "one").data_hash == load_tidy(tmp_path / "two").data_hash


def test_format_of_written_values(built, tmp_path):
    report, _ = built
    text = (report.tidy_dir / "scores.csv").read_text(encoding="utf-8").splitlines()
    assert text[0].startswith("benchmark_id,model_id,score,stderr,ci_low,ci_high,setting")
    assert "alpha,open-a,0.6,0.03,,,,Epoch AI,false,false,3" in text
    models = (report.tidy_dir / "models.csv").read_text(encoding="utf-8")
    assert (
        "undated-open,undated-open,undated-open,Meta AI,United States of America,false,,," in models
    )


def test_release_date_fallback_and_conflicts(data_fixture_copy, tmp_path):
    dump = data_fixture_copy / "raw" / "epoch-benchmark-hub-2026-04-19"
    with open(dump / "beta_external.csv", "a", encoding="utf-8") as fh:
        fh.write("bench-only,42,2024-02-05,Alibaba,China,B,5,Stanford HELM,,b11\n")
    with open(dump / "gamma_external.csv", "a", encoding="utf-8") as fh:
        fh.write("bench-only,3,2024-02-02,Alibaba,China,,,METR,\n")
    alpha = dump / "alpha.csv"
    alpha.write_text(
        alpha.read_text().replace("open-a,0.6,0.6,2025-02-01", "open-a,0.6,0.6,2025-02-03")
    )
    report = fixture_build(tmp_path / "out", src=data_fixture_copy)
    m = report.tables["models"].set_index("model_id")
    # Not in the index: date (earliest), organization and country from the benchmark files.
    only = m.loc["bench-only"]
    assert (only["release_date"], only["release_date_source"]) == (
        pd.Timestamp("2024-02-02"),
        "benchmarks",
    )
    assert (only["organization"], only["family"], only["chinese"]) == (
        "Alibaba",
        "Alibaba/Qwen",
        True,
    )
    assert only["access"] == "unknown"
    assert m.at["open-a", "release_date"] == pd.Timestamp("2025-02-01")  # the index wins
    assert len(report.date_conflicts) == 2
    assert any(c.startswith("open-a: index 2025-02-01") for c in report.date_conflicts)
    assert "release-date conflicts: 2" in report.lines()


def test_installed_package_builds_into_the_current_folder(tmp_path, monkeypatch):
    """From a wheel the default output is ./data, never the package's own folder."""
    from gapbayes import paths

    monkeypatch.setattr(paths, "in_checkout", lambda root=None: False)
    monkeypatch.delenv("GAPBAYES_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    report = build(raw=DATA_FIXTURES / "raw", metadata=DATA_FIXTURES / "benchmarks.toml",
                   rules=DATA_FIXTURES / "model_rules.toml", today=DATA_TODAY)
    assert (tmp_path / "data" / "tidy" / "scores.csv").is_file()
    assert report.tidy_dir == Path("data") / "tidy"
    assert len(load_tidy(tmp_path / "data").scores) == len(report.tables["scores"])
