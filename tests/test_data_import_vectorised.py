"""The vectorised ``data import`` agrees with the row-by-row one it replaced (a property test).

Timings are not asserted here (``make bench`` measures them); what is checked is that the
column-wise import writes byte-identical tables and, on tables with several bad cells, fails
on the same cell as a row-by-row reader would.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rowwise_import
from conftest import DATA_FIXTURES, DATA_TODAY

from gapbayes.data.importer import PROGRESS_ROWS, import_scores
from gapbayes.data.tidy import ALL_TABLES
from gapbayes.errors import InputError

META = DATA_FIXTURES / "import_meta.csv"
RULES = DATA_FIXTURES / "model_rules.toml"
SCALE = {"quiz": 1.0, "essay": 10.0}


def random_long(seed: int, n: int = 1500) -> pd.DataFrame:
    """A valid long table with repeated models, exact duplicate rows, blanks and settings."""
    rng = np.random.default_rng(seed)
    n_models = max(5, n // 8)
    days = rng.integers(0, 1800, n_models)
    models = pd.DataFrame(
        {
            "model": [f"m-{k}" + ("_high" if k % 7 == 0 else "") for k in range(n_models)],
            "release_date": [
                "" if k % 11 == 0 else f"{pd.Timestamp('2021-01-01') + pd.Timedelta(days=d):%F}"
                for k, d in enumerate(days.tolist())
            ],
            "access": rng.choice(["open", "closed", "unknown"], n_models),
            "organization": rng.choice(["OpenAI", "Alibaba", "", "Small Lab"], n_models),
            "country": rng.choice(["China", "United States of America", ""], n_models),
        }
    )
    pick = rng.integers(0, n_models, n)
    bench = rng.choice(list(SCALE), n)
    rows = models.iloc[pick].reset_index(drop=True).assign(
        benchmark=bench,
        score=[repr(round(float(rng.uniform(0, SCALE[b])), 4)) for b in bench],
        stderr=["" if u < 0.3 else repr(round(float(u) / 50, 4)) for u in rng.uniform(0, 1, n)],
        setting=rng.choice(["", "5-shot", "cot  long"], n),
        source=rng.choice(["", "Epoch AI", "OpenAI blog"], n),
    )
    rows = rows.drop_duplicates(["benchmark", "model", "setting", "source"])
    dups = rows.sample(n=min(40, len(rows)), random_state=seed)  # exact copies: collapsed
    return pd.concat([rows, dups]).sample(frac=1, random_state=seed + 1)


def to_wide(long: pd.DataFrame) -> pd.DataFrame:
    facts = long.drop_duplicates("model").set_index("model")
    scores = long.drop_duplicates(["model", "benchmark"]).pivot(
        index="model", columns="benchmark", values="score"
    )
    wide = facts[["release_date", "access", "organization", "country"]].join(scores)
    return wide.reset_index().fillna("")


def both(path: Path, tmp: Path, fmt: str) -> tuple[object, object]:
    """Run both importers; return what each raised (or the bytes of what each wrote)."""
    out = []
    for name, run in (("new", import_scores), ("old", rowwise_import.import_scores)):
        try:
            run(path, META, fmt=fmt, out=tmp / name, rules=RULES, today=DATA_TODAY)
        except InputError as exc:
            out.append(exc)
            continue
        out.append({t: (tmp / name / "tidy" / f"{t}.csv").read_bytes() for t in ALL_TABLES})
    return out[0], out[1]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("fmt", ["long", "wide"])
def test_same_tables_as_row_by_row(seed, fmt, tmp_path):
    table = random_long(seed)
    path = tmp_path / "in.csv"
    (table if fmt == "long" else to_wide(table)).to_csv(path, index=False)
    new, old = both(path, tmp_path, fmt)
    assert isinstance(new, dict), new
    assert new == old
    assert new["scores"].count(b"\n") > 100


CORRUPT = {
    "score": ["4_5", "nan", "-1", "", "1e999"],
    "stderr": ["-0.5", "x"],
    "release_date": ["1899-05-01", "2099-01-01", "2024-02-30"],
    "access": ["weights"],
    "benchmark": ["trivia"],
}


@pytest.mark.parametrize("seed", range(6))
def test_same_first_bad_cell_as_row_by_row(seed, tmp_path):
    rng = np.random.default_rng(100 + seed)
    table = random_long(seed, n=300).reset_index(drop=True)
    for _ in range(3):
        col = rng.choice(list(CORRUPT))
        table.loc[int(rng.integers(len(table))), col] = rng.choice(CORRUPT[col])
    path = tmp_path / "in.csv"
    table.to_csv(path, index=False)
    new, old = both(path, tmp_path, "long")
    assert isinstance(new, InputError) and isinstance(old, InputError), (new, old)
    assert (new.row, new.column) == (old.row, old.column)
    if new.column != "access":  # the new message adds "(any case)"
        assert new.message == old.message


def test_progress_only_for_large_tables(tmp_path):
    small = random_long(0, n=50)
    path = tmp_path / "small.csv"
    small.to_csv(path, index=False)
    said: list[str] = []
    import_scores(path, META, out=tmp_path / "s", rules=RULES, progress=said.append)
    assert said == []
    big = pd.concat([small] * (PROGRESS_ROWS // len(small) + 1), ignore_index=True)
    big.to_csv(path, index=False)
    import_scores(path, META, out=tmp_path / "b", rules=RULES, progress=said.append)
    assert said[0].startswith("import: read ") and said[-1].startswith("import: done")
    assert all(re.search(r"\(\d+\.\d s\)$", line) for line in said)
