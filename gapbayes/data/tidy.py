"""Write and read the tidy tables; the public loader :func:`load_tidy`.

Format (``docs/data-format.md``): UTF-8, newline (LF) line endings, sorted by key, floats as
``repr`` (shortest round-trip), dates ``YYYY-MM-DD``, booleans ``true``/``false``, missing
values empty. Writing goes through :func:`gapbayes.atomic.staged_files`, so either every table
is replaced or none is.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gapbayes import paths
from gapbayes.atomic import staged_files
from gapbayes.data.csvfile import CsvTable, neutralise_formula, parse_csv, read_csv
from gapbayes.data.schema import SPECS, check_links, check_table
from gapbayes.errors import InputError

HASHED = ("models", "benchmarks", "scores")
ALL_TABLES = ("models", "benchmarks", "scores", "unclassified", "dropped_models")


@dataclass(frozen=True)
class TidyData:
    """The validated tidy tables.

    Attributes
    ----------
    models
        One row per model (key ``model_id``); ``release_date`` is ``datetime64[ns]`` (NaT when
        unknown), ``chinese`` is ``bool``, text columns are ``str`` with "" for missing.
    benchmarks
        One row per benchmark (key ``benchmark_id``); ``n_items`` is nullable ``Int64``.
    scores
        One row per score (key ``benchmark_id, model_id, setting, source``); ``stderr``,
        ``ci_low`` and ``ci_high`` are NaN when absent.
    data_hash
        First 16 hex characters of the sha256 of the bytes of ``models.csv``,
        ``benchmarks.csv`` and ``scores.csv``, concatenated in that order.
    tidy_dir
        The folder the tables were read from.
    """

    models: pd.DataFrame
    benchmarks: pd.DataFrame
    scores: pd.DataFrame
    data_hash: str
    tidy_dir: Path


def resolve_tidy_dir(data_dir: str | Path | None = None) -> Path:
    """Return the folder of the tidy CSVs: ``DIR/tidy``, or ``DIR`` if it holds them itself.

    ``None`` means the project's data folder (env ``GAPBAYES_DATA``, default ``data/``).
    """
    base = paths.data_dir() if data_dir is None else Path(data_dir)
    if not (base / "tidy" / "scores.csv").exists() and (base / "scores.csv").exists():
        return base
    return paths.tidy_dir(base)


def data_hash(tidy_dir: Path) -> str:
    """Return the data hash of the tables in ``tidy_dir`` (see :class:`TidyData`)."""
    digest = hashlib.sha256()
    for name in HASHED:
        digest.update((tidy_dir / SPECS[name].file).read_bytes())
    return digest.hexdigest()[:16]


def load_tidy(data_dir: Path | None = None) -> TidyData:
    """Load and validate the tidy tables.

    Parameters
    ----------
    data_dir
        The data folder holding ``tidy/`` (or the tidy folder itself); default the project's
        ``data/`` (env ``GAPBAYES_DATA``).

    Returns
    -------
    TidyData
        Typed frames (see the class), validated one by one and against each other.

    Raises
    ------
    InputError
        A table is missing or invalid; the message names file, line and column.

    Examples
    --------
    >>> tidy = load_tidy()                                       # doctest: +SKIP
    >>> tidy.scores.merge(tidy.models, on="model_id").groupby("access").size()  # doctest: +SKIP
    """
    tidy_dir = resolve_tidy_dir(data_dir)
    tables, labels, lines = read_tables(tidy_dir, HASHED)
    check_links(tables, labels, lines)
    return TidyData(
        tables["models"], tables["benchmarks"], tables["scores"], data_hash(tidy_dir), tidy_dir
    )


def read_tables(
    tidy_dir: Path, names: tuple[str, ...] = ALL_TABLES
) -> tuple[dict[str, pd.DataFrame], dict[str, str], dict[str, np.ndarray]]:
    """Read and validate the named tables of ``tidy_dir``: (frames, file labels, row lines)."""
    tables, labels, lines = {}, {}, {}
    for name in names:
        path = tidy_dir / SPECS[name].file
        if not path.exists() and not path.is_symlink():   # a link loop is named by read_csv
            raise InputError(
                str(path),
                "tidy table not found; run `gapbayes data build` (or `gapbayes data import`)",
            )
        raw = read_csv(path)
        tables[name] = parse_table(name, raw)
        labels[name], lines[name] = raw.label, raw.lines
        check_table(name, tables[name], raw.label, raw.lines)
    return tables, labels, lines


def parse_table(name: str, raw: CsvTable) -> pd.DataFrame:
    """Convert the text cells of a tidy CSV to the column types of table ``name``."""
    spec = SPECS[name]
    raw.require(spec.columns)
    extra = [c for c in raw.columns if c not in spec.columns]
    if extra:
        raise InputError(
            raw.label, "unknown column (not in docs/data-format.md)", row=1, column=extra[0]
        )
    out = {}
    for col, kind in spec.columns.items():
        text = raw.frame[col]
        try:
            out[col] = _parse(text, kind)
        except ValueError as exc:
            i = int(exc.args[0])
            raise raw.error(
                i, col, f"{text.iloc[i]!r} is not a valid {kind} ({_HINT[kind]})"
            ) from None
    return pd.DataFrame(out)


_HINT = {
    "bool": "true or false",
    "date": "YYYY-MM-DD",
    "float": "a number",
    "int": "a whole number",
    "count": "a whole number or empty",
    "str": "text",
}


def _parse(text: pd.Series, kind: str) -> pd.Series:
    """Parse one column; raise ``ValueError(position)`` at the first bad cell."""
    if kind == "str":
        return text.astype("str")
    values: list[object] = []
    for i, cell in enumerate(text):
        try:
            values.append(_parse_cell(cell, kind))
        except ValueError:
            raise ValueError(i) from None
    if kind == "bool":
        return pd.Series(values, dtype=bool)
    if kind == "date":
        return pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
    if kind == "float":
        return pd.Series(values, dtype=float)
    if kind == "int":
        return pd.Series(values, dtype="int64")
    return pd.Series(pd.array(values, dtype="Int64"))


def _parse_cell(cell: str, kind: str) -> object:
    if kind == "bool":
        if cell not in ("true", "false"):
            raise ValueError
        return cell == "true"
    if kind == "date":
        return pd.NaT if cell == "" else pd.Timestamp(dt.date.fromisoformat(cell))
    if kind == "float":
        return math.nan if cell == "" else float(cell)
    if kind == "int":
        return int(cell)
    return None if cell == "" else int(cell)


def format_table(name: str, frame: pd.DataFrame) -> bytes:
    """Return the CSV bytes of a typed table in the contract's format (sorted by key)."""
    spec = SPECS[name]
    frame = frame.loc[:, list(spec.columns)].sort_values(list(spec.key), kind="stable")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(spec.columns)
    cols = [[_format_cell(v, kind) for v in frame[c]] for c, kind in spec.columns.items()]
    writer.writerows(zip(*cols, strict=True))
    return buf.getvalue().encode("utf-8")


def _format_cell(value: object, kind: str) -> str:
    if kind == "str":
        return neutralise_formula(str(value))
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if pd.isna(value):  # type: ignore[arg-type]  # pd.NA of nullable Int64
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")  # type: ignore[arg-type]
    if kind == "float":
        return repr(float(value))  # type: ignore[arg-type]
    return str(int(value))  # type: ignore[call-overload]


def write_tables(tidy_dir: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Validate ``tables`` and write them into ``tidy_dir`` all together, or not at all.

    Every table is formatted, re-parsed and validated *before* anything is replaced, so what
    is written is exactly what :func:`load_tidy` accepts.
    """
    blobs: dict[str, bytes] = {}
    for name in ALL_TABLES:
        blobs[name] = format_table(name, tables[name])
    reparsed, labels = {}, {}
    for name, blob in blobs.items():
        label = str(tidy_dir / SPECS[name].file) + " (being built)"
        raw = parse_csv(blob, label)
        reparsed[name] = parse_table(name, raw)
        labels[name] = label
        check_table(name, reparsed[name], label, raw.lines)
    check_links(reparsed, labels)
    targets = [tidy_dir / SPECS[name].file for name in ALL_TABLES]
    with staged_files(targets) as tmps:
        for tmp, name in zip(tmps, ALL_TABLES, strict=True):
            tmp.write_bytes(blobs[name])
    return targets
