"""The real Epoch dump: counts against the raw files, hand-checked rows, determinism."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from gapbayes import paths
from gapbayes.data import load_tidy
from gapbayes.data.build import build

DATA = paths.PROJECT_ROOT / "data"
DUMP = DATA / "raw" / "epoch-benchmark-hub-2026-04-19"
TIDY_FILES = (
    "models.csv",
    "benchmarks.csv",
    "scores.csv",
    "unclassified.csv",
    "dropped_models.csv",
)

pytestmark = pytest.mark.skipif(
    not (DATA / "benchmarks.toml").exists(), reason="data/benchmarks.toml not written yet"
)


def real_build(out: Path):
    return build(
        raw=DATA / "raw",
        metadata=DATA / "benchmarks.toml",
        rules=DATA / "model_rules.toml",
        out=out,
    )


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("real")
    report = real_build(out)
    return report, load_tidy(out)


def raw_rows(file: str) -> list[dict[str, str]]:
    """Read a raw file with the csv module only (an independent reader)."""
    with open(DUMP / file, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_model_counts(real):
    report, tidy = real
    m = tidy.models
    assert len(m) == 587 and len(report.tables["dropped_models"]) == 9
    assert m["access"].value_counts().to_dict() == {"open": 284, "closed": 280, "unknown": 23}
    # Models labelled by the index agree with an independent reading of the raw labels.
    index = {
        r["Model version"].strip(): r["Model accessibility"]
        for r in raw_rows("epoch_capabilities_index.csv")
    }
    overridden = {
        r["Model version or name"].strip() for r in raw_rows("../accessibility-overrides.csv")
    }
    labelled = {k: v for k, v in index.items() if v and v != "Unreleased" and k not in overridden}
    by_index = m[m["access_source"] == "index"].set_index("model_id")["access"]
    assert set(by_index.index) == set(labelled)
    assert all(
        by_index[k] == ("open" if v.startswith("Open weights") else "closed")
        for k, v in labelled.items()
    )


def expected_scores(file: str, dropped: set[str], score_column: str) -> int:
    """Raw rows with a model, a score and a released model (no duplicates in these files)."""
    return sum(
        1
        for r in raw_rows(file)
        if r["Model version"].strip()
        and r[score_column].strip()
        and r["Model version"].strip() not in dropped
    )


@pytest.mark.parametrize(
    ("bid", "file", "column"),
    [
        ("gpqa_diamond", "gpqa_diamond.csv", "mean_score"),
        ("frontiermath", "frontiermath.csv", "mean_score"),
        ("frontiermath_tier_4", "frontiermath_tier_4.csv", "mean_score"),
        ("metr_time_horizons", "metr_time_horizons_external.csv", "Time horizon"),
        ("fictionlivebench", "fictionlivebench_external.csv", "120k token score"),
        ("math_level_5", "math_level_5.csv", "mean_score"),
    ],
)
def test_scores_per_benchmark_match_raw(real, bid, file, column):
    report, tidy = real
    dropped = set(report.tables["dropped_models"]["model_id"])
    n = int((tidy.scores["benchmark_id"] == bid).sum())
    assert n == expected_scores(file, dropped, column)


def test_every_raw_row_accounted(real):
    report, tidy = real
    un = report.tables["unclassified"]
    out = un[~un["reason"].isin(["unknown_access", "no_release_date"])]
    for row in tidy.benchmarks[~tidy.benchmarks["exclude"]].itertuples():
        n_raw = len(raw_rows(row.file))
        n_in = int((tidy.scores["benchmark_id"] == row.benchmark_id).sum())
        n_out = int(out.loc[out["benchmark_id"] == row.benchmark_id, "rows"].sum())
        assert n_raw == n_in + n_out, row.benchmark_id


def test_hand_checked_rows(real):
    _, tidy = real
    m = tidy.models.set_index("model_id")
    r1 = m.loc["DeepSeek-R1-0528"]
    assert (r1["access"], r1["family"], r1["chinese"]) == ("open", "DeepSeek", True)
    assert r1["release_date"] == pd.Timestamp("2025-05-28")
    mini = m.loc["gpt-5.4-mini-2026-03-17_high"]  # no label, no organization in the index
    assert (mini["access"], mini["access_source"], mini["family"]) == (
        "closed",
        "rule:openai_api_only",
        "OpenAI",
    )
    assert m.at["claude-opus-4-7_xhigh", "access_source"] == "rule:anthropic_closed_only"
    assert m.at["o3-pro-2025-06-10_high", "access_source"] == "override"
    assert m.at["gemini-2.5-pro-preview-06-05_32K", "family"] == "Google"
    assert m.at["gemini-2.5-pro-preview-06-05_32K", "base_model"] == "gemini-2.5-pro-preview-06-05"
    assert m.at["chutes/DeepSeek-R1-0528", "base_model"] == "DeepSeek-R1-0528"
    s = tidy.scores.set_index(["benchmark_id", "model_id", "setting"])
    g = s.loc[("gpqa_diamond", "DeepSeek-R1-0528", "")]
    assert (g["score"], g["stderr"], g["source"], g["raw_row"]) == (
        0.7632575757575758,
        0.024023818843083005,
        "Epoch AI",
        75,
    )
    metr = s.loc[("metr_time_horizons", "DeepSeek-R1", "")]
    assert (metr["score"], metr["ci_low"], metr["ci_high"]) == (26.932599, 13.478936, 50.97746)
    host = s.loc[("fictionlivebench", "deepinfra/Qwen3-Next-80B-A3B-Instruct", "")]
    assert (host["score"], host["third_party_host"], host["raw_row"]) == (0.625, True, 50)
    line = (DUMP / "fictionlivebench_external.csv").read_text().splitlines()[49]
    assert line.startswith("deepinfra/Qwen3-Next-80B-A3B-Instruct,0.625,")
    bbh = tidy.scores[
        (tidy.scores["benchmark_id"] == "bbh") & (tidy.scores["model_id"] == "DeepSeek-V3")
    ]
    assert bbh["score"].tolist() == [0.875]  # the 0.829 copy error is dropped by rule
    weird = tidy.scores[
        (tidy.scores["benchmark_id"] == "weirdml")
        & (tidy.scores["model_id"] == "Qwen3-235B-A22B-Thinking-2507")
    ]
    assert weird.empty  # conflicting pair dropped by rule


def test_self_reported_rule(real):
    _, tidy = real
    s = tidy.scores.merge(tidy.models[["model_id", "family"]], on="model_id")
    qwen = s[s["source"] == "Qwen Technical Report"]
    assert qwen["self_reported"].eq(qwen["family"] == "Alibaba/Qwen").all()
    assert qwen["self_reported"].any() and not qwen["self_reported"].all()
    assert not s.loc[s["source"] == "Epoch AI", "self_reported"].any()


def test_real_build_is_byte_identical(real, tmp_path):
    report, _ = real
    real_build(tmp_path)
    for name in TIDY_FILES:
        assert (tmp_path / "tidy" / name).read_bytes() == (report.tidy_dir / name).read_bytes(), (
            name
        )


@pytest.mark.skipif(not (DATA / "tidy" / "scores.csv").exists(), reason="data/tidy not built")
def test_shipped_tidy_tables_are_up_to_date(real):
    report, _ = real
    for name in TIDY_FILES:
        assert (DATA / "tidy" / name).read_bytes() == (report.tidy_dir / name).read_bytes(), (
            f"data/tidy/{name} is stale: run `gapbayes data build`"
        )
