"""Load and validate benchmark metadata (``data/benchmarks.toml`` or a CSV of the same fields).

The TOML file has one table per benchmark, keyed by ``benchmark_id``. Errors name the file,
the line of the offending key (or of the table header when a key is missing) as the row, the
key as the column, and the table as ``[benchmark_id]`` at the start of the message.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gapbayes.data.csvfile import read_csv
from gapbayes.errors import InputError, os_reason

ENUMS: dict[str, tuple[str, ...]] = {
    "scale": ("proportion", "percent", "minutes", "elo", "points"),
    "transform": ("identity", "percent_to_proportion", "log"),
    "link": ("sigmoid", "linear"),
    "access_type": ("public", "private"),
    "category": (
        "math",
        "reasoning",
        "coding_agentic",
        "knowledge",
        "long_context",
        "commonsense_legacy",
        "multimodal",
        "writing",
    ),
    "provenance": ("independent", "mixed", "self_reported"),
    "third_party_hosts": ("yes", "no", "unknown"),
}
STR_KEYS = ("name", "file", "score_column", "stderr_column", "ci_low_column", "ci_high_column")
FLOAT_KEYS = ("scale_min", "scale_max", "chance")
REQUIRED = (*STR_KEYS, *ENUMS, *FLOAT_KEYS, "n_items", "published", "setting_columns")
OPTIONAL = ("exclude", "exclude_reason")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: Columns of ``benchmarks.csv``, in order.
BENCHMARK_COLUMNS = (
    "benchmark_id",
    "name",
    "file",
    "score_column",
    "stderr_column",
    "ci_low_column",
    "ci_high_column",
    "scale",
    "scale_min",
    "scale_max",
    "transform",
    "link",
    "chance",
    "n_items",
    "access_type",
    "category",
    "provenance",
    "third_party_hosts",
    "published",
    "exclude",
    "exclude_reason",
)


@dataclass(frozen=True)
class BenchmarkMeta:
    """Validated metadata of one benchmark (see ``docs/data-format.md``)."""

    benchmark_id: str
    name: str
    file: str
    score_column: str
    stderr_column: str
    ci_low_column: str
    ci_high_column: str
    scale: str
    scale_min: float
    scale_max: float
    transform: str
    link: str
    chance: float
    n_items: int  # 0 = unknown
    access_type: str
    category: str
    provenance: str
    third_party_hosts: str
    published: bool
    setting_columns: tuple[str, ...] = ()
    exclude: bool = False
    exclude_reason: str = ""
    line: int = field(default=0, compare=False)


class _Where:
    """Locate tables and keys of a TOML file by line, for error messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = str(path)
        self.lines = text.splitlines()

    def table_line(self, bid: str) -> int | None:
        pat = re.compile(r"^\s*\[\s*(\"?)" + re.escape(bid) + r"\1\s*\]")
        return next((n + 1 for n, s in enumerate(self.lines) if pat.match(s)), None)

    def key_line(self, bid: str, key: str) -> int | None:
        start = self.table_line(bid)
        if start is None:
            return None
        pat = re.compile(r"^\s*(\"?)" + re.escape(key) + r"\1\s*=")
        for n in range(start, len(self.lines)):
            if self.lines[n].lstrip().startswith("["):
                break
            if pat.match(self.lines[n]):
                return n + 1
        return start

    def error(self, bid: str, key: str | None, message: str) -> InputError:
        row = self.table_line(bid) if key is None else self.key_line(bid, key)
        return InputError(self.path, f"[{bid}] {message}", row=row, column=key)


def load_metadata(path: str | Path) -> list[BenchmarkMeta]:
    """Load benchmark metadata from a TOML or CSV file, sorted by ``benchmark_id``.

    Parameters
    ----------
    path
        ``.toml`` (schema of ``data/benchmarks.toml``) or ``.csv`` (columns of
        ``data/tidy/benchmarks.csv``; ``file``, ``score_column``, ``stderr_column`` and the CI
        columns may be omitted there).

    Raises
    ------
    InputError
        Unknown or missing key, wrong type, bad enum value, inconsistent scale.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _load_csv(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "metadata file not found") from None
    except OSError as exc:
        raise InputError(str(path), os_reason(exc)) from None
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not valid UTF-8 ({exc.reason})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(str(path), f"not valid TOML: {exc}", row=line) from None
    if not doc:
        raise InputError(str(path), "no benchmark tables in the metadata file")
    where = _Where(path, text)
    metas = []
    for bid, table in doc.items():
        if not isinstance(table, dict):
            raise InputError(
                str(path),
                f"top-level key {bid!r} must be a [table]",
                row=where.key_line(bid, bid),
                column=bid,
            )
        metas.append(_from_mapping(bid, table, where))
    return sorted(metas, key=lambda m: m.benchmark_id)


def _from_mapping(bid: str, table: dict[str, Any], where: _Where) -> BenchmarkMeta:
    if not _ID.match(bid):
        raise where.error(bid, None, "benchmark_id must be snake_case ([a-z][a-z0-9_]*)")
    for key in table:
        if key not in REQUIRED and key not in OPTIONAL:
            raise where.error(
                bid, key, f"unknown key {key!r}; allowed: " + ", ".join(REQUIRED + OPTIONAL)
            )
    for key in REQUIRED:
        if key not in table:
            raise where.error(bid, key, f"missing key {key!r}")
    values: dict[str, Any] = {"benchmark_id": bid, "line": where.table_line(bid) or 0}
    for key, value in table.items():
        values[key] = _check_value(bid, key, value, where)
    meta = BenchmarkMeta(**values)
    problem = consistency_problem(meta)
    if problem:
        raise where.error(bid, problem[0], problem[1])
    return meta


def _check_value(bid: str, key: str, value: Any, where: _Where) -> Any:
    """Type- and enum-check one TOML value; return it in the dataclass's type."""

    def bad(expected: str) -> InputError:
        return where.error(bid, key, f"{key} must be {expected}, got {value!r}")

    if key in ENUMS:
        if value not in ENUMS[key]:
            raise where.error(bid, key, f"{key} {value!r} is not one of: " + ", ".join(ENUMS[key]))
        return value
    if key in STR_KEYS or key == "exclude_reason":
        if not isinstance(value, str):
            raise bad("a string")
        return value
    if key in FLOAT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise bad("a number")
        return float(value)
    if key == "n_items":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad("a whole number >= 0 (0 = unknown)")
        return value
    if key in ("published", "exclude"):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if key == "setting_columns":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad("a list of column names")
        return tuple(value)
    raise AssertionError(key)  # pragma: no cover - REQUIRED/OPTIONAL cover every key


def consistency_problem(m: BenchmarkMeta) -> tuple[str, str] | None:
    """Return (key, message) for the first cross-field inconsistency, or None."""
    if not m.name.strip():
        return "name", "name is empty"
    if not m.file.strip() and not m.exclude:
        return "file", "file is empty"
    if not m.score_column.strip() and m.file.strip():
        return "score_column", "score_column is empty"
    if not (m.scale_min < m.scale_max):
        return "scale_max", f"scale_max ({m.scale_max}) must exceed scale_min ({m.scale_min})"
    if m.transform == "percent_to_proportion" and m.scale != "percent":
        return "transform", "percent_to_proportion needs scale = 'percent'"
    if m.transform == "log" and m.scale_min < 0:
        return "transform", "log transform needs scale_min >= 0"
    if not 0 <= m.chance < 1:
        return "chance", f"chance must be in [0, 1), got {m.chance}"
    if bool(m.ci_low_column) != bool(m.ci_high_column):
        return "ci_high_column", "give both ci_low_column and ci_high_column, or neither"
    if m.exclude and not m.exclude_reason.strip():
        return "exclude_reason", "an excluded benchmark needs an exclude_reason"
    return None


_CSV_OPTIONAL = (
    "file",
    "score_column",
    "stderr_column",
    "ci_low_column",
    "ci_high_column",
    "exclude",
    "exclude_reason",
    "setting_columns",
)


def _load_csv(path: Path) -> list[BenchmarkMeta]:
    """Load metadata from a CSV with the columns of ``benchmarks.csv``."""
    table = read_csv(path)
    needed = ["benchmark_id", *(k for k in REQUIRED if k not in _CSV_OPTIONAL)]
    table.require(needed)
    for col in table.columns:
        if col not in needed and col not in _CSV_OPTIONAL:
            raise InputError(str(path), f"unknown column {col!r}", row=1, column=col)
    metas, seen = [], {}
    f = table.frame
    for i in range(len(table)):
        values: dict[str, Any] = {"line": table.line(i)}
        for col in table.columns:
            text = f.at[i, col].strip()
            try:
                values[col] = _csv_value(col, text)
            except ValueError as exc:
                raise table.error(i, col, str(exc)) from None
        bid = values["benchmark_id"]
        if not _ID.match(bid):
            raise table.error(i, "benchmark_id", "benchmark_id must be snake_case")
        if bid in seen:
            raise table.error(i, "benchmark_id", f"duplicate benchmark_id (line {seen[bid]})")
        seen[bid] = table.line(i)
        for key in _CSV_OPTIONAL:
            values.setdefault(
                key, False if key == "exclude" else () if key == "setting_columns" else ""
            )
        meta = BenchmarkMeta(**values)
        problem = consistency_problem(meta)
        if problem and problem[0] not in ("file", "score_column"):
            raise table.error(i, problem[0], problem[1])
        metas.append(meta)
    return sorted(metas, key=lambda m: m.benchmark_id)


def _csv_value(col: str, text: str) -> Any:
    """Convert one metadata CSV cell; raise ValueError with a readable message."""
    if col in ENUMS:
        if text not in ENUMS[col]:
            raise ValueError(f"{text!r} is not one of: " + ", ".join(ENUMS[col]))
        return text
    if col in FLOAT_KEYS:
        value = float(text) if text else math.nan
        if math.isnan(value):
            raise ValueError(f"{col} must be a number, got {text!r}")
        return value
    if col == "n_items":
        if not text:
            return 0
        if not text.isdigit():
            raise ValueError(f"n_items must be a whole number, got {text!r}")
        return int(text)
    if col in ("published", "exclude"):
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{col} must be true or false, got {text!r}")
        return text.lower() == "true"
    if col == "setting_columns":
        return tuple(s.strip() for s in text.split(";") if s.strip())
    return text


def benchmarks_frame(metas: list[BenchmarkMeta]) -> pd.DataFrame:
    """Return the typed ``benchmarks.csv`` table of ``metas`` (n_items 0 becomes missing)."""
    rows = []
    for m in metas:
        row = {k: getattr(m, k) for k in BENCHMARK_COLUMNS}
        row["n_items"] = m.n_items if m.n_items > 0 else None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(BENCHMARK_COLUMNS))
    frame["n_items"] = pd.array(frame["n_items"].tolist(), dtype="Int64")
    for col in ("published", "exclude"):
        frame[col] = frame[col].astype(bool)
    for col in ("scale_min", "scale_max", "chance"):
        frame[col] = frame[col].astype(float)
    return frame.sort_values("benchmark_id", ignore_index=True)
