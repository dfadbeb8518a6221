"""``gapbayes data import``: tidy tables from your own scores (long or wide CSV).

Long: ``model, release_date, access, benchmark, score`` plus optional ``stderr, setting,
source, organization, country``; one row per score. Wide: ``model, release_date, access``
(optional ``organization, country``) and one column per benchmark id; an empty cell means "not
evaluated". ``access`` is ``open``, ``closed`` or ``unknown`` in any case (the Epoch dump
writes ``Open``); dates are ``YYYY-MM-DD``.

Every check runs on whole columns (pandas), not row by row: a million rows import in seconds.
:class:`~gapbayes.data.cells.RowChecks` still reports the cell a row-by-row reader would meet
first, so the error is the same whatever the speed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from gapbayes import paths
from gapbayes.data.cells import (
    RowChecks,
    bad_names,
    date_problem,
    dates,
    name_problem,
    number_problem,
    numbers,
    stripped,
)
from gapbayes.data.csvfile import CsvTable, read_csv, squash
from gapbayes.data.metadata import BenchmarkMeta, benchmarks_frame, load_metadata
from gapbayes.data.rules import ModelRules, load_rules
from gapbayes.data.scores import SCORE_COLUMNS, typed_scores
from gapbayes.data.tidy import write_tables
from gapbayes.errors import InputError

MODEL_COLS = ("model", "release_date", "access")
OPTIONAL_MODEL_COLS = ("organization", "country")
LONG_COLS = (*MODEL_COLS, "benchmark", "score")
LONG_OPTIONAL = ("stderr", "setting", "source", *OPTIONAL_MODEL_COLS)
ACCESS_VALUES = ("open", "closed", "unknown")
#: Inputs with at least this many rows report their progress (a few seconds per phase).
PROGRESS_ROWS = 100_000

Progress = Callable[[str], None]


def import_scores(
    path: str | Path,
    metadata: str | Path,
    fmt: str = "long",
    out: str | Path | None = None,
    rules: str | Path | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """Convert a long or wide score table into the tidy tables under ``OUT/tidy/``.

    Parameters
    ----------
    path
        The score table (CSV).
    metadata
        Benchmark metadata, TOML (schema of ``data/benchmarks.toml``) or CSV (columns of
        ``benchmarks.csv``).
    fmt
        ``"long"`` or ``"wide"``.
    out
        Data folder to write ``tidy/`` into; default the current directory.
    rules
        Model rules TOML (families, host prefixes); default ``data/model_rules.toml``.
    today
        Dates after this day are errors; default the current date.
    progress
        Called with a short line at each phase when the table has at least
        :data:`PROGRESS_ROWS` rows (the CLI prints them on stderr); None: silent.

    Returns
    -------
    dict of str to DataFrame
        The tables written (``models``, ``benchmarks``, ``scores``, ``unclassified``,
        ``dropped_models``).

    Raises
    ------
    InputError
        Bad input; nothing is written then.
    """
    if fmt not in ("long", "wide"):
        raise InputError(str(path), f"unknown format {fmt!r}; use long or wide")
    model_rules = load_rules(paths.data_dir() / "model_rules.toml" if rules is None else rules)
    metas = {m.benchmark_id: m for m in load_metadata(metadata, imported=True)}
    today = dt.date.today() if today is None else today
    start = time.perf_counter()
    table = read_csv(path)
    if len(table) == 0:
        raise InputError(table.label, "no data rows after the header")

    def say(what: str) -> None:
        if progress is not None and len(table) >= PROGRESS_ROWS:
            progress(f"import: {what} ({time.perf_counter() - start:.1f} s)")

    say(f"read {len(table):,} rows of {table.label}")
    long = _long_rows(table, metas) if fmt == "long" else _wide_rows(table, metas)
    say(f"checked {len(long):,} scores")
    facts = _row_facts(table, today)
    models, third_party = _models(facts, model_rules)
    say(f"checked {len(models):,} models")
    scores, unclassified = _scores(table, long, facts, models, third_party, model_rules)
    tables = {
        "models": models,
        "benchmarks": benchmarks_frame(list(metas.values())),
        "scores": scores,
        "unclassified": unclassified,
        "dropped_models": pd.DataFrame(
            columns=["model_id", "reason", "access_source"], dtype="str"
        ),
    }
    say("writing the tidy tables")
    write_tables(paths.tidy_dir(Path(".") if out is None else Path(out)), tables)
    say("done")
    return tables


def _check_columns(table: CsvTable, required: tuple[str, ...], allowed: set[str]) -> None:
    table.require(required)
    for col in table.columns:
        if col not in allowed:
            raise InputError(
                table.label,
                "unknown column; expected " + ", ".join(sorted(allowed)),
                row=1,
                column=col,
            )


def _meta_problem(bid: str, metas: dict[str, BenchmarkMeta]) -> str:
    """Why benchmark ``bid`` cannot take scores ("" when it can)."""
    meta = metas.get(bid)
    if meta is None:
        return f"benchmark {bid!r} is not in the metadata"
    if meta.exclude:
        return f"benchmark {bid!r} is excluded in the metadata ({meta.exclude_reason})"
    return ""


def _check_scores(
    checks: RowChecks, table: CsvTable, column: str, bench: pd.Series,
    metas: dict[str, BenchmarkMeta], text: pd.Series | None = None,
) -> np.ndarray:
    """Parse the scores of ``column`` (benchmark ids ``bench`` per row); record bad cells.

    ``text`` None means long format (every row must hold a score); in wide format ``text``
    is the column's stripped cells and blank ones are "not evaluated".
    """
    cells = stripped(table, column) if text is None else text
    values, bad = numbers(cells)
    checks.add(bad, column, lambda i: number_problem(cells.iloc[i], "score") or "")
    if text is None:
        checks.add(cells == "", column, lambda i: "empty score; drop the row or give a number")
    usable = {b: m for b, m in metas.items() if not m.exclude}
    lo = bench.map({b: m.scale_min for b, m in usable.items()}).to_numpy(float)
    hi = bench.map({b: m.scale_max for b, m in usable.items()}).to_numpy(float)
    known = ~np.isnan(lo)
    outside = known & ~np.isnan(values) & ((values < lo) | (values > hi))

    def scale(i: int) -> str:
        m = metas[bench.iloc[i]]
        return (
            f"score {values[i]:g} is outside the {m.scale} scale "
            f"[{m.scale_min:g}, {m.scale_max:g}] of '{m.benchmark_id}'"
        )

    checks.add(outside, column, scale)
    return values


def _squashed(table: CsvTable, column: str) -> pd.Series:
    """Return the column with whitespace runs collapsed (like ``csvfile.squash``)."""
    if column not in table.columns:
        return pd.Series("", index=table.frame.index, dtype="str")
    # these columns repeat a few values (sources, settings, countries): squash each once
    codes, uniques = pd.factorize(table.frame[column])
    return pd.Series(np.array([squash(u) for u in uniques], dtype=object)[codes], dtype="str")


def _long_rows(table: CsvTable, metas: dict[str, BenchmarkMeta]) -> pd.DataFrame:
    """One row per score cell, in reading order.

    Columns: pos (row of the table), benchmark_id, score, stderr, setting, source.
    """
    _check_columns(table, LONG_COLS, set(LONG_COLS) | set(LONG_OPTIONAL))
    bench = stripped(table, "benchmark")
    checks = RowChecks(table)
    unusable = ~bench.isin([b for b in metas if not _meta_problem(b, metas)]).to_numpy()
    checks.add(unusable, "benchmark", lambda i: _meta_problem(bench.iloc[i], metas))
    stderr = np.full(len(table), np.nan)
    if "stderr" in table.columns:
        text = stripped(table, "stderr")
        stderr, bad = numbers(text)
        checks.add(bad, "stderr", lambda i: number_problem(text.iloc[i], "stderr") or "")
        checks.add(stderr < 0, "stderr", lambda i: f"stderr {stderr[i]:g} is negative")
    score = _check_scores(checks, table, "score", bench, metas)
    checks.raise_first()
    return pd.DataFrame(
        {
            "pos": np.arange(len(table)),
            "benchmark_id": bench.to_numpy(object),
            "score": score,
            "stderr": stderr,
            "setting": _squashed(table, "setting").to_numpy(object),
            "source": _squashed(table, "source").to_numpy(object),
        }
    )


def _wide_rows(table: CsvTable, metas: dict[str, BenchmarkMeta]) -> pd.DataFrame:
    """Return the non-empty score cells of a wide table as long rows, row-major order."""
    bench_cols = [c for c in table.columns if c not in MODEL_COLS + OPTIONAL_MODEL_COLS]
    table.require(MODEL_COLS)
    if not bench_cols:
        raise InputError(
            table.label, "no benchmark columns after model, release_date, access", row=1
        )
    for col in bench_cols:
        if problem := _meta_problem(col, metas):
            raise InputError(table.label, problem, row=1, column=col)
    checks, parts = RowChecks(table), []
    for k, col in enumerate(bench_cols):
        text = stripped(table, col)
        bench = pd.Series(col, index=text.index, dtype=object)
        values = _check_scores(checks, table, col, bench, metas, text)
        filled = np.flatnonzero((text != "").to_numpy())
        parts.append(pd.DataFrame({"pos": filled, "k": k, "benchmark_id": col,
                                   "score": values[filled]}))
    checks.raise_first()
    long = pd.concat(parts, ignore_index=True).sort_values(["pos", "k"], ignore_index=True)
    return long.drop(columns="k").assign(stderr=np.nan, setting="", source="")


def _row_facts(table: CsvTable, today: dt.date) -> pd.DataFrame:
    """Model facts per row: model, release_date, access, organization, country.

    Each cell is checked, and a model's facts must agree across all its rows.
    """
    model = stripped(table, "model")
    access_text = stripped(table, "access")
    access = access_text.str.lower()  # Open/Closed as the Epoch dump writes them
    date_text = stripped(table, "release_date")
    date, bad_date = dates(date_text, today)
    facts = pd.DataFrame(
        {
            "model": model,
            "release_date": date,
            "access": access,
            **{c: _squashed(table, c) for c in OPTIONAL_MODEL_COLS},
        }
    )
    checks = RowChecks(table)
    checks.add(bad_names(model), "model", lambda i: name_problem(model.iloc[i], "model name") or "")
    checks.add(
        ~access.isin(ACCESS_VALUES),
        "access",
        lambda i: f"unknown access label {access_text.iloc[i]!r}; expected "
        + ", ".join(ACCESS_VALUES)
        + " (any case)",
    )
    checks.add(bad_date, "release_date", lambda i: date_problem(date_text.iloc[i], today) or "")
    # Compare each row with the first row of its model; NaT == NaT through the int64 view.
    first = pd.Series(np.arange(len(facts))).groupby(model.to_numpy()).transform("min").to_numpy()
    names = ("release_date", "access", *OPTIONAL_MODEL_COLS)
    values = [
        facts[c].to_numpy().view("int64") if c == "release_date" else facts[c].to_numpy(object)
        for c in names
    ]
    for name, v in zip(names, values, strict=True):
        # added in column order: a row differing in two facts is reported on the first one
        checks.add(
            v != v[first],
            name,
            lambda i, name=name: f"model {model.iloc[i]!r} has a different {name} on line "
            f"{table.line(first[i])}",
        )
    checks.raise_first()
    return facts


def _models(facts: pd.DataFrame, rules: ModelRules) -> tuple[pd.DataFrame, dict[str, bool]]:
    """Return the models table and, per model id, whether it has a third-party host prefix.

    One row per model, sorted by id, from the first row of each model.
    """
    firsts = facts.drop_duplicates("model").sort_values("model", ignore_index=True)
    split = [rules.split(m) for m in firsts["model"].to_numpy(object)]
    family = [
        rules.family(org, name.base)
        for org, name in zip(firsts["organization"].to_numpy(object), split, strict=True)
    ]
    # as in the build: a family known only from the model's name fills a blank country
    # (data/model_rules.toml), so a table without countries still has China vs the rest
    country = pd.Series(
        [c if c or not src.startswith("rule:") else fam_country
         for c, (_, src, fam_country) in zip(firsts["country"].astype("str"), family,
                                             strict=True)], dtype="str")
    dated = firsts["release_date"].notna()
    models = pd.DataFrame(
        {
            "model_id": firsts["model"].astype("str"),
            "base_model": pd.Series([n.base for n in split], dtype="str"),
            "display_name": firsts["model"].astype("str"),
            "organization": firsts["organization"].astype("str"),
            "country": country,
            "chinese": (country == "China").astype(bool),
            "release_date": firsts["release_date"].astype("datetime64[ns]"),
            "release_date_source": np.where(dated, "import", ""),
            "access": firsts["access"].astype("str"),
            "access_source": "import",
            "family": pd.Series([f for f, _, _ in family], dtype="str"),
            "family_source": pd.Series([s for _, s, _ in family], dtype="str"),
        }
    )
    return models, {n.model_id: n.third_party for n in split}


def _scores(
    table: CsvTable,
    long: pd.DataFrame,
    facts: pd.DataFrame,
    models: pd.DataFrame,
    third_party: dict[str, bool],
    rules: ModelRules,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the scores table; exact duplicates collapse, conflicting ones are errors."""
    long = long.assign(model_id=facts["model"].to_numpy(object)[long["pos"].to_numpy()])
    # long is in reading order, so a key's first row (the one kept) has the smallest index
    group = long.groupby(["benchmark_id", "model_id", "setting", "source"], sort=False).ngroup()
    head_of = pd.Series(np.arange(len(long))).groupby(group.to_numpy()).transform("min")
    head_of = head_of.to_numpy()
    repeat = head_of != np.arange(len(long))
    score, stderr = long["score"].to_numpy(float), long["stderr"].to_numpy(float)
    same = (score == score[head_of]) & (
        (stderr == stderr[head_of]) | (np.isnan(stderr) & np.isnan(stderr[head_of]))
    )
    conflict = repeat & ~same
    if conflict.any():
        j = int(np.flatnonzero(conflict)[0])
        r, old = long.iloc[j], long.iloc[head_of[j]]
        column = "score" if "score" in table.columns else r["benchmark_id"]
        raise table.error(
            int(r["pos"]),
            column,
            f"duplicate of line {table.line(int(old['pos']))} "
            f"(benchmark {r['benchmark_id']!r}, model {r['model_id']!r}) with a different value",
        )
    info = models.set_index("model_id")
    kept = long[~repeat]
    access = kept["model_id"].map(info["access"])
    undated = kept["model_id"].map(info["release_date"]).isna()
    reason = np.select(
        [(access == "unknown").to_numpy(), undated.to_numpy()],
        ["unknown_access", "no_release_date"],
        "",
    )
    counts = pd.concat(
        [
            pd.DataFrame({"benchmark_id": long.loc[repeat, "benchmark_id"],
                          "reason": "exact_duplicate"}),
            pd.DataFrame({"benchmark_id": kept["benchmark_id"].to_numpy(), "reason": reason}),
        ]
    )
    counts = counts[counts["reason"] != ""]
    un = (
        counts.groupby(["benchmark_id", "reason"]).size().rename("rows").reset_index()
        .astype({"benchmark_id": "str", "reason": "str", "rows": "int64"})
    )
    family = kept["model_id"].map(info["family"])
    pairs = pd.DataFrame({"source": kept["source"].to_numpy(), "family": family.to_numpy()})
    unique = pairs.drop_duplicates()
    flags = {
        (s, f): rules.self_reported(s, f)
        for s, f in zip(unique["source"], unique["family"], strict=True)
    }
    frame = pd.DataFrame(
        {
            "benchmark_id": kept["benchmark_id"].to_numpy(),
            "model_id": kept["model_id"].to_numpy(),
            "score": kept["score"].to_numpy(float),
            "stderr": kept["stderr"].to_numpy(float),
            "ci_low": np.nan,
            "ci_high": np.nan,
            "setting": kept["setting"].to_numpy(),
            "source": kept["source"].to_numpy(),
            "self_reported": [flags[p] for p in zip(pairs["source"], pairs["family"], strict=True)],
            "third_party_host": kept["model_id"].map(third_party).to_numpy(bool),
            "raw_row": table.lines[kept["pos"].to_numpy()],
        },
        columns=list(SCORE_COLUMNS),
    )
    return typed_scores(frame), un
