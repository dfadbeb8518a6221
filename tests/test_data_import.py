"""`gapbayes data import`: small long and wide tables, checked row by row."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA_FIXTURES

from gapbayes.cli import main
from gapbayes.data import load_tidy
from gapbayes.data.importer import import_scores
from gapbayes.errors import InputError

META = DATA_FIXTURES / "import_meta.csv"
RULES = DATA_FIXTURES / "model_rules.toml"


def run(path: Path, out: Path, fmt: str = "long", meta: Path = META):
    return import_scores(path, meta, fmt=fmt, out=out, rules=RULES)


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [
        tuple(None if (isinstance(v, float) and math.isnan(v)) or v is pd.NaT else v for v in r)
        for r in frame[columns].itertuples(index=False)
    ]


EXPECTED_MODELS = [
    (
        "m-closed_high",
        "m-closed",
        "OpenAI",
        "United States of America",
        False,
        pd.Timestamp("2024-12-01"),
        "closed",
        "import",
        "OpenAI",
    ),
    ("m-new", "m-new", "", "", False, None, "unknown", "import", "other"),
    (
        "m-open",
        "m-open",
        "Alibaba",
        "China",
        True,
        pd.Timestamp("2025-01-10"),
        "open",
        "import",
        "Alibaba/Qwen",
    ),
]
MODEL_COLS = [
    "model_id",
    "base_model",
    "organization",
    "country",
    "chinese",
    "release_date",
    "access",
    "access_source",
    "family",
]


def test_long(tmp_path):
    run(DATA_FIXTURES / "import_long.csv", tmp_path)
    tidy = load_tidy(tmp_path)
    assert rows(tidy.models, MODEL_COLS) == EXPECTED_MODELS
    assert rows(tidy.scores, ["benchmark_id", "model_id", "score", "stderr", "raw_row"]) == [
        ("essay", "m-new", 6.0, None, 6),
        ("essay", "m-open", 7.5, None, 3),
        ("quiz", "m-closed_high", 0.72, 0.015, 4),  # line 5 is an exact copy: collapsed
        ("quiz", "m-open", 0.61, 0.02, 2),
    ]
    b = tidy.benchmarks.set_index("benchmark_id")
    assert b.at["quiz", "n_items"] == 400 and pd.isna(b.at["essay", "n_items"])
    un = pd.read_csv(tmp_path / "tidy" / "unclassified.csv")
    assert sorted(map(tuple, un.to_numpy().tolist())) == [
        ("essay", "unknown_access", 1),
        ("quiz", "exact_duplicate", 1),
    ]


def test_wide_matches_long(tmp_path):
    run(DATA_FIXTURES / "import_wide.csv", tmp_path / "w", fmt="wide")
    run(DATA_FIXTURES / "import_long.csv", tmp_path / "l")
    wide, long = load_tidy(tmp_path / "w"), load_tidy(tmp_path / "l")
    # Wide has no organization/country/stderr columns here; the rest agrees with long.
    assert rows(wide.models, ["model_id", "release_date", "access"]) == rows(
        long.models, ["model_id", "release_date", "access"]
    )
    assert rows(wide.scores, ["benchmark_id", "model_id", "score", "raw_row"]) == [
        ("essay", "m-new", 6.0, 4),
        ("essay", "m-open", 7.5, 2),
        ("quiz", "m-closed_high", 0.72, 3),
        ("quiz", "m-open", 0.61, 2),
    ]
    assert wide.models.set_index("model_id").at["m-closed_high", "family"] == "other"


def test_toml_metadata_and_cli(tmp_path, capsys):
    data = tmp_path / "scores.csv"
    data.write_text("model,release_date,access,benchmark,score\nx,2025-01-01,open,beta,55.5\n")
    code = main(
        [
            "data",
            "import",
            str(data),
            "--metadata",
            str(DATA_FIXTURES / "benchmarks.toml"),
            "--rules",
            str(RULES),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    assert (
        "1 models (1 open, 0 closed, 0 unknown), 4 benchmarks, 1 scores" in capsys.readouterr().out
    )
    assert load_tidy(tmp_path / "o").scores["score"].tolist() == [55.5]


@pytest.mark.parametrize(
    ("fmt", "text", "pattern"),
    [
        (
            "long",
            "model,release_date,access,benchmark,score\nx,2025-01-01,open,quiz,\n",
            r":2: column 'score': empty score",
        ),
        (
            "long",
            "model,release_date,access,benchmark,score\nx,2025-01-01,open,quiz,nan\n",
            r":2: column 'score': score 'nan' is not a finite number",
        ),
        (
            "long",
            "model,release_date,access,benchmark,score\nx,2025-01-01,open,quiz,1.5\n",
            r":2: column 'score': score 1.5 is outside the proportion scale",
        ),
        (
            "long",
            "model,release_date,access,benchmark,score\nx,2025-01-01,open,trivia,0.5\n",
            r":2: column 'benchmark': benchmark 'trivia' is not in the metadata",
        ),
        (
            "long",
            "model,release_date,access,benchmark,score\nx,2025-01-01,weights,quiz,0.5\n",
            r":2: column 'access': unknown access label 'weights'",
        ),
        (
            "long",
            "model,release_date,access,benchmark,score\nx,2025-01-01,open,quiz,0.5\n"
            "x,2025-02-01,open,essay,5\n",
            r":3: column 'release_date': model 'x' has a different",
        ),
        (
            "long",
            "model,release_date,access,benchmark,score\nx,2025-01-01,open,quiz,0.5\n"
            "x,2025-01-01,open,quiz,0.6\n",
            r":3: column 'score': duplicate of line 2",
        ),
        (
            "long",
            "model,release_date,access,benchmark,score\nx,2099-01-01,open,quiz,0.5\n",
            r":2: column 'release_date': date 2099-01-01 is in the future",
        ),
        (
            "long",
            "model,release,access,benchmark,score\nx,2025-01-01,open,quiz,0.5\n",
            r":1: column 'release_date': required column is missing",
        ),
        (
            "long",
            "model,release_date,access,benchmark,score,notes\nx,,open,quiz,0.5,hi\n",
            r":1: column 'notes': unknown column",
        ),
        (
            "wide",
            "model,release_date,access,quiz,trivia\nx,2025-01-01,open,0.5,\n",
            r":1: column 'trivia': benchmark 'trivia' is not in the metadata",
        ),
        ("long", "", r": empty file"),
        ("long", "model,release_date,access,benchmark,score\n", r": no data rows"),
    ],
)
def test_bad_import(fmt, text, pattern, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(str(path)) + pattern):
        run(path, tmp_path / "out", fmt=fmt)
    assert not (tmp_path / "out").exists()


def test_a_family_known_from_the_name_fills_a_blank_country(tmp_path):
    # as in the build (data/model_rules.toml): without a country column, DeepSeek's and
    # Qwen's models are Chinese and Claude's American; a given country is kept
    data = tmp_path / "scores.csv"
    data.write_text("model,release_date,access,benchmark,score,country\n"
                    "deepseek-r1,2025-01-20,open,quiz,0.7,\n"
                    "qwen3-32b,2025-04-29,open,quiz,0.6,\n"
                    "claude-3-opus,2024-03-04,closed,quiz,0.8,\n"
                    "qwen-local-finetune,2025-06-01,open,quiz,0.5,Germany\n")
    import_scores(data, META, out=tmp_path / "o")        # the bundled model rules
    m = load_tidy(tmp_path / "o").models.set_index("model_id")
    assert m.loc["deepseek-r1", "country"] == "China" and m.loc["deepseek-r1", "chinese"]
    assert m.loc["qwen3-32b", "chinese"]
    assert m.loc["claude-3-opus", "country"] == "United States of America"
    assert m.loc["qwen-local-finetune", "country"] == "Germany"
    assert not m.loc["qwen-local-finetune", "chinese"]
