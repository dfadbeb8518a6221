"""The row-by-row ``data import`` that gapbayes had before it was vectorised: a test oracle.

tests/test_data_import_vectorised.py checks that :mod:`gapbayes.data.importer` writes the same
bytes, and fails on the same cell with the same message, as this reference. Kept as it was
(commit f1ab3a2), except that ``access`` is lower-cased like the new importer's.

Long: ``model, release_date, access, benchmark, score`` plus optional ``stderr, setting,
source, organization, country``; one row per score. Wide: ``model, release_date, access``
(optional ``organization, country``) and one column per benchmark id; an empty cell means "not
evaluated". ``access`` is ``open``, ``closed`` or ``unknown``; dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

from gapbayes import paths
from gapbayes.data.csvfile import CsvTable, read_csv, squash
from gapbayes.data.importer import (
    ACCESS_VALUES,
    LONG_COLS,
    LONG_OPTIONAL,
    MODEL_COLS,
    OPTIONAL_MODEL_COLS,
    _check_columns,
)
from gapbayes.data.metadata import BenchmarkMeta, benchmarks_frame, load_metadata
from gapbayes.data.raw import parse_date, parse_float
from gapbayes.data.rules import ModelRules, load_rules
from gapbayes.data.scores import SCORE_COLUMNS, typed_scores
from gapbayes.data.tidy import write_tables
from gapbayes.errors import InputError


def import_scores(
    path: str | Path,
    metadata: str | Path,
    fmt: str = "long",
    out: str | Path | None = None,
    rules: str | Path | None = None,
    today: dt.date | None = None,
) -> dict[str, pd.DataFrame]:
    """Row-by-row reference of :func:`gapbayes.data.importer.import_scores`."""
    if fmt not in ("long", "wide"):
        raise InputError(str(path), f"unknown format {fmt!r}; use long or wide")
    model_rules = load_rules(paths.data_dir() / "model_rules.toml" if rules is None else rules)
    metas = {m.benchmark_id: m for m in load_metadata(metadata)}
    today = dt.date.today() if today is None else today
    table = read_csv(path)
    if len(table) == 0:
        raise InputError(table.label, "no data rows after the header")
    rows = _long_rows(table, metas) if fmt == "long" else _wide_rows(table, metas)
    models = _models(table, rows, model_rules, today)
    scores, unclassified = _scores(table, rows, models, metas, model_rules)
    tables = {
        "models": models,
        "benchmarks": benchmarks_frame(list(metas.values())),
        "scores": scores,
        "unclassified": unclassified,
        "dropped_models": pd.DataFrame(
            columns=["model_id", "reason", "access_source"], dtype="str"
        ),
    }
    write_tables(paths.tidy_dir(Path(".") if out is None else Path(out)), tables)
    return tables


def _score(table: CsvTable, i: int, column: str, meta: BenchmarkMeta) -> float:
    score = parse_float(table, i, column, what="score")
    if math.isnan(score):
        raise table.error(i, column, "empty score; drop the row or give a number")
    if not meta.scale_min <= score <= meta.scale_max:
        raise table.error(
            i,
            column,
            f"score {score:g} is outside the {meta.scale} scale "
            f"[{meta.scale_min:g}, {meta.scale_max:g}] of '{meta.benchmark_id}'",
        )
    return score


def _meta(
    table: CsvTable, i: int | None, column: str, bid: str, metas: dict[str, BenchmarkMeta]
) -> BenchmarkMeta:
    """Return the metadata of ``bid``; ``i`` None means the header (wide format)."""
    meta = metas.get(bid)
    problem = (
        "is not in the metadata"
        if meta is None
        else f"is excluded in the metadata ({meta.exclude_reason})"
        if meta.exclude
        else ""
    )
    if problem:
        if i is None:
            raise InputError(table.label, f"benchmark {bid!r} {problem}", row=1, column=column)
        raise table.error(i, column, f"benchmark {bid!r} {problem}")
    assert meta is not None
    return meta


def _long_rows(table: CsvTable, metas: dict[str, BenchmarkMeta]) -> list[dict]:
    _check_columns(table, LONG_COLS, set(LONG_COLS) | set(LONG_OPTIONAL))
    f, rows = table.frame, []
    for i in range(len(table)):
        meta = _meta(table, i, "benchmark", f.at[i, "benchmark"].strip(), metas)
        stderr = parse_float(table, i, "stderr", what="stderr") if "stderr" in f else math.nan
        if stderr < 0:
            raise table.error(i, "stderr", f"stderr {stderr:g} is negative")
        rows.append(
            {
                "i": i,
                "benchmark_id": meta.benchmark_id,
                "score": _score(table, i, "score", meta),
                "stderr": stderr,
                "setting": squash(f.at[i, "setting"]) if "setting" in f else "",
                "source": squash(f.at[i, "source"]) if "source" in f else "",
            }
        )
    return rows


def _wide_rows(table: CsvTable, metas: dict[str, BenchmarkMeta]) -> list[dict]:
    bench_cols = [c for c in table.columns if c not in MODEL_COLS + OPTIONAL_MODEL_COLS]
    table.require(MODEL_COLS)
    if not bench_cols:
        raise InputError(
            table.label, "no benchmark columns after model, release_date, access", row=1
        )
    for col in bench_cols:
        _meta(table, None, col, col, metas)
    f, rows = table.frame, []
    for i in range(len(table)):
        for col in bench_cols:
            if f.at[i, col].strip():
                rows.append(
                    {
                        "i": i,
                        "benchmark_id": col,
                        "stderr": math.nan,
                        "setting": "",
                        "source": "",
                        "score": _score(table, i, col, metas[col]),
                    }
                )
    return rows


def _models(table: CsvTable, rows: list[dict], rules: ModelRules, today: dt.date) -> pd.DataFrame:
    """One row per model; a model's facts must agree across all its rows."""
    f = table.frame
    facts: dict[str, tuple] = {}
    first_line: dict[str, int] = {}
    for i in range(len(table)):
        model = f.at[i, "model"].strip()
        if not model:
            raise table.error(i, "model", "blank model name")
        access = f.at[i, "access"].strip().lower()
        if access not in ACCESS_VALUES:
            raise table.error(
                i,
                "access",
                f"unknown access label {access!r}; expected " + ", ".join(ACCESS_VALUES),
            )
        date = parse_date(table, i, "release_date", today)
        extra = tuple(squash(f.at[i, c]) if c in f else "" for c in OPTIONAL_MODEL_COLS)
        here = (date, access, *extra)
        if model in facts and facts[model] != here:
            names = ("release_date", "access", *OPTIONAL_MODEL_COLS)
            col = next(n for n, a, b in zip(names, facts[model], here, strict=True) if a != b)
            raise table.error(
                i, col, f"model {model!r} has a different {col} on line {first_line[model]}"
            )
        facts.setdefault(model, here)
        first_line.setdefault(model, table.line(i))
    out = []
    for model in sorted(facts):
        date, access, org, country = facts[model]
        name = rules.split(model)
        family, family_source, _ = rules.family(org, name.base)
        out.append(
            {
                "model_id": model,
                "base_model": name.base,
                "display_name": model,
                "organization": org,
                "country": country,
                "chinese": country == "China",
                "release_date": pd.Timestamp(date) if date else pd.NaT,
                "release_date_source": "import" if date else "",
                "access": access,
                "access_source": "import",
                "family": family,
                "family_source": family_source,
            }
        )
    models = pd.DataFrame(out)
    models["release_date"] = pd.to_datetime(models["release_date"]).astype("datetime64[ns]")
    return models


def _scores(
    table: CsvTable,
    rows: list[dict],
    models: pd.DataFrame,
    metas: dict[str, BenchmarkMeta],
    rules: ModelRules,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the scores table; exact duplicates collapse, conflicting ones are errors."""
    f = table.frame
    kept: dict[tuple, dict] = {}
    counts: dict[tuple[str, str], int] = {}
    info = models.set_index("model_id")
    for r in rows:
        model = f.at[r["i"], "model"].strip()
        key = (r["benchmark_id"], model, r["setting"], r["source"])
        row = {
            "benchmark_id": r["benchmark_id"],
            "model_id": model,
            "score": r["score"],
            "stderr": r["stderr"],
            "ci_low": math.nan,
            "ci_high": math.nan,
            "setting": r["setting"],
            "source": r["source"],
            "self_reported": rules.self_reported(r["source"], info.at[model, "family"]),
            "third_party_host": rules.split(model).third_party,
            "raw_row": table.line(r["i"]),
        }
        if key in kept:
            old = kept[key]
            if old["score"] != row["score"] or not _same(old["stderr"], row["stderr"]):
                column = "score" if "score" in table.columns else r["benchmark_id"]
                raise table.error(
                    r["i"],
                    column,
                    f"duplicate of line {old['raw_row']} "
                    f"(benchmark {key[0]!r}, model {model!r}) with a different "
                    "value",
                )
            _count(counts, r["benchmark_id"], "exact_duplicate")
            continue
        kept[key] = row
        if info.at[model, "access"] == "unknown":
            _count(counts, r["benchmark_id"], "unknown_access")
        elif pd.isna(info.at[model, "release_date"]):
            _count(counts, r["benchmark_id"], "no_release_date")
    scores = typed_scores(pd.DataFrame(list(kept.values()), columns=list(SCORE_COLUMNS)))
    un = pd.DataFrame(
        [(b, r, n) for (b, r), n in sorted(counts.items())],
        columns=["benchmark_id", "reason", "rows"],
    )
    return scores, un


def _count(counts: dict[tuple[str, str], int], bid: str, reason: str) -> None:
    counts[(bid, reason)] = counts.get((bid, reason), 0) + 1


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b
