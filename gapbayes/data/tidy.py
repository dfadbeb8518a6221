"""Write and read the tidy tables; the public loader :func:`load_tidy`.

Format (``docs/data-format.md``): UTF-8, newline (LF) line endings, sorted by key, floats as
``repr`` (shortest round-trip), dates ``YYYY-MM-DD``, booleans ``true``/``false``, missing
values empty. Writing goes through :func:`gapbayes.atomic.staged_files`, so either every table
is replaced or none is.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gapbayes import paths
from gapbayes.atomic import staged_files
from gapbayes.data.cells import DATE, first, numbers
from gapbayes.data.csvfile import CsvTable, neutralise_series, parse_csv, read_csv
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


# Columns added after the format's first version: a table without them still reads (blank).
OPTIONAL_COLUMNS = {"benchmarks": ("release_date",)}


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
    optional = OPTIONAL_COLUMNS.get(name, ())
    raw.require([c for c in spec.columns if c not in optional])
    extra = [c for c in raw.columns if c not in spec.columns]
    if extra:
        raise InputError(
            raw.label, "unknown column (not in docs/data-format.md)", row=1, column=extra[0]
        )
    out = {}
    for col, kind in spec.columns.items():
        # an optional column that a table written before it existed lacks: blank (unknown)
        text = raw.frame[col] if col in raw.columns else pd.Series("", index=raw.frame.index)
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
    """Parse one column with whole-column operations.

    Raises ``ValueError(position)`` at the first bad cell.
    """
    if kind == "str":
        return text.astype("str")
    blank = (text == "").to_numpy()
    if kind == "bool":
        bad = ~text.isin(["true", "false"]).to_numpy()
        values: object = (text == "true").to_numpy()
    elif kind == "date":
        parsed = pd.to_datetime(text.where(text.str.fullmatch(DATE)), format="%Y-%m-%d",
                                errors="coerce")
        bad, values = ~blank & parsed.isna().to_numpy(), parsed.astype("datetime64[ns]")
    elif kind == "float":
        values, bad = numbers(text.str.strip(), allow_inf=True)  # no "4_5", no "nan"
    else:
        digits = text.str.strip()
        ok = digits.str.fullmatch(r"[+-]?[0-9]+").to_numpy(dtype=bool)
        bad = ~ok if kind == "int" else ~(ok | blank)
        values = np.zeros(len(text), dtype=np.int64)
        if not bad.any():
            values[ok] = digits[ok].astype(np.int64).to_numpy()
    if (i := first(bad)) is not None:
        raise ValueError(i)
    if kind == "count":
        return pd.Series(pd.array(np.where(blank, None, values).tolist(), dtype="Int64"))
    return pd.Series(values, dtype={"bool": bool, "date": "datetime64[ns]", "float": float,
                                    "int": "int64"}[kind])


def format_table(name: str, frame: pd.DataFrame) -> bytes:
    """Return the CSV bytes of a typed table in the contract's format (sorted by key)."""
    spec = SPECS[name]
    frame = frame.loc[:, list(spec.columns)].sort_values(list(spec.key), kind="stable")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(spec.columns)
    cols = [_format_column(frame[c], kind) for c, kind in spec.columns.items()]
    writer.writerows(zip(*cols, strict=True))
    return buf.getvalue().encode("utf-8")


def _format_column(values: pd.Series, kind: str) -> list[str]:
    """Format one column's cells (whole-column operations: a million rows in seconds)."""
    if kind == "str":
        return neutralise_series(pd.Series([str(v) for v in values.to_numpy(object)]))
    missing = values.isna().to_numpy()
    if kind == "bool":
        text = np.where(values.to_numpy(bool, na_value=False), "true", "false")
    elif kind == "date":
        text = pd.to_datetime(values).dt.strftime("%Y-%m-%d").to_numpy(object)
    elif kind == "float":
        text = np.full(len(values), "", dtype=object)  # most stderr/CI cells are empty
        floats = values.to_numpy(float)
        text[~missing] = [repr(v) for v in floats[~missing].tolist()]
    else:
        text = values.fillna(0).to_numpy(np.int64).astype(str).astype(object)
    return np.where(missing, "", text).tolist()


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
