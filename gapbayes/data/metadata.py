"""Load and validate benchmark metadata (``data/benchmarks.toml`` or a CSV of the same fields).

The TOML file has one table per benchmark, keyed by ``benchmark_id``. Errors name the file,
the line of the offending key (or of the table header when a key is missing) as the row, the
key as the column, and the table as ``[benchmark_id]`` at the start of the message.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gapbayes.data.cells import name_problem, number
from gapbayes.data.csvfile import read_csv
from gapbayes.data.defaults import ceiling_median
from gapbayes.data.metadata_defaults import FIXED_DEFAULTS, import_defaults
from gapbayes.data.problems import Problems
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
OPTIONAL = ("exclude", "exclude_reason", "release_date")
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
    "release_date",
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
    release_date: str = ""  # when the items became public, YYYY-MM-DD; "" = unknown
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


def load_metadata(path: str | Path, imported: bool = False) -> list[BenchmarkMeta]:
    """Load benchmark metadata from a TOML or CSV file, sorted by ``benchmark_id``.

    Parameters
    ----------
    path
        ``.toml`` (schema of ``data/benchmarks.toml``) or ``.csv`` (columns of
        ``data/tidy/benchmarks.csv``; ``file``, ``score_column``, ``stderr_column`` and the CI
        columns may be omitted there).
    imported
        The metadata describes an imported table, not the raw dump's files: keys that only
        locate a raw file, and keys with a neutral value, may be left out
        (:func:`gapbayes.data.metadata_defaults.import_defaults`). CSV metadata is always
        read this way.

    Raises
    ------
    InputError
        Unknown or missing key or column, wrong type, bad enum value, inconsistent scale,
        a chance level not below the ceiling: every problem of the file in one message.
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
    problems = Problems(str(path))
    metas = []
    for bid, table in doc.items():
        if not isinstance(table, dict):
            problems.add(
                f"top-level key {bid!r} must be a [table]", where.key_line(bid, bid), bid
            )
            continue
        if imported:
            table = {**import_defaults(table), **table}
        meta = _from_mapping(bid, table, where, problems, imported)
        if meta is not None:
            metas.append(meta)
    problems.raise_all()
    return sorted(metas, key=lambda m: m.benchmark_id)


def _from_mapping(
    bid: str, table: dict[str, Any], where: _Where, problems: Problems, imported: bool = False
) -> BenchmarkMeta | None:
    """Check one TOML table; add every problem to ``problems``; None when there are any."""
    before = len(problems)

    def add(key: str | None, message: str) -> None:
        problems.add_error(where.error(bid, key, message))

    if not _ID.match(bid):
        add(None, "benchmark_id must be snake_case ([a-z][a-z0-9_]*)")
    for key in table:
        if key not in REQUIRED and key not in OPTIONAL:
            add(key, f"unknown key {key!r}; allowed: " + ", ".join(REQUIRED + OPTIONAL))
    for key in REQUIRED:
        if key not in table:
            add(key, f"missing key {key!r}")
    values: dict[str, Any] = {"benchmark_id": bid, "line": where.table_line(bid) or 0}
    for key, value in table.items():
        if key in REQUIRED or key in OPTIONAL:
            checked = _check_value(key, value)
            if isinstance(checked, _Bad):
                add(key, checked.message)
            else:
                values[key] = checked
    if len(problems) > before:
        return None
    meta = BenchmarkMeta(**values)
    for key, message in consistency_problems(meta, need_file=not imported):
        add(key, message)
    return meta if len(problems) == before else None


@dataclass(frozen=True)
class _Bad:
    """A value that failed its check, and why."""

    message: str


def _check_value(key: str, value: Any) -> Any:
    """Type- and enum-check one TOML value: the value in the dataclass's type, or a _Bad."""

    def bad(expected: str) -> _Bad:
        return _Bad(f"{key} must be {expected}, got {value!r}")

    if key in ENUMS:
        if value not in ENUMS[key]:
            return _Bad(f"{key} {value!r} is not one of: " + ", ".join(ENUMS[key]))
        return value
    if key in STR_KEYS or key == "exclude_reason":
        return value if isinstance(value, str) else bad("a string")
    if key in FLOAT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            return bad("a number")
        return float(value)
    if key == "n_items":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return bad("a whole number >= 0 (0 = unknown)")
        return value
    if key in ("published", "exclude"):
        return value if isinstance(value, bool) else bad("true or false")
    if key == "release_date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str) and (value == "" or _iso_date(value)):
            return value
        return bad('a date YYYY-MM-DD (or "" when unknown)')
    if key == "setting_columns":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return bad("a list of column names")
        return tuple(value)
    raise AssertionError(key)  # pragma: no cover - REQUIRED/OPTIONAL cover every key


def consistency_problems(m: BenchmarkMeta, need_file: bool = True) -> list[tuple[str, str]]:
    """Return (key, message) for every cross-field inconsistency of ``m`` (none: []).

    ``need_file`` False skips the keys only a build from raw files needs (``file``,
    ``score_column``): a metadata CSV for ``data import`` may leave them out.
    """
    out = []
    if problem := name_problem(m.name.strip(), "name"):
        out.append(("name", "name is empty" if not m.name.strip() else problem))
    if need_file and not m.file.strip() and not m.exclude:
        out.append(("file", "file is empty"))
    if need_file and not m.score_column.strip() and m.file.strip():
        out.append(("score_column", "score_column is empty"))
    if not (m.scale_min < m.scale_max):
        out.append(
            ("scale_max", f"scale_max ({m.scale_max}) must exceed scale_min ({m.scale_min})")
        )
    if m.transform == "percent_to_proportion" and m.scale != "percent":
        out.append(("transform", "percent_to_proportion needs scale = 'percent'"))
    if m.transform == "log" and m.scale_min < 0:
        out.append(("transform", "log transform needs scale_min >= 0"))
    ceiling, source = ceiling_median(m.benchmark_id)
    if not 0 <= m.chance < 1:
        out.append(("chance", f"chance must be in [0, 1), got {m.chance}"))
    elif m.chance >= ceiling:
        out.append(
            (
                "chance",
                f"chance {m.chance:g} must be below the prior median {ceiling:.3f} of the "
                f"benchmark's ceiling ({source}); chance is on the proportion scale",
            )
        )
    if bool(m.ci_low_column) != bool(m.ci_high_column):
        out.append(("ci_high_column", "give both ci_low_column and ci_high_column, or neither"))
    if m.exclude and not m.exclude_reason.strip():
        out.append(("exclude_reason", "an excluded benchmark needs an exclude_reason"))
    return out


_CSV_OPTIONAL = (
    "file",
    "score_column",
    "stderr_column",
    "ci_low_column",
    "ci_high_column",
    "exclude",
    "exclude_reason",
    "setting_columns",
    "release_date",
)


def _load_csv(path: Path) -> list[BenchmarkMeta]:
    """Load metadata from a CSV with the columns of ``benchmarks.csv``.

    Every problem of the file (missing and unknown columns, bad cells, inconsistent rows) is
    reported in one error.
    """
    table = read_csv(path)
    problems = Problems(table.label)
    needed = ["benchmark_id", *(k for k in REQUIRED if k not in _CSV_OPTIONAL)]
    # columns an imported table's metadata may leave out (filled per row below)
    defaultable = {*FIXED_DEFAULTS, "scale_min", "scale_max", "transform", "chance"}
    missing = [c for c in needed if c not in table.columns and c not in defaultable]
    if len(missing) == 1:
        problems.add("required column is missing", 1, missing[0])
    elif missing:
        problems.add("required columns are missing: " + ", ".join(missing), 1)
    for col in table.columns:
        if col not in needed and col not in _CSV_OPTIONAL:
            problems.add(f"unknown column {col!r}", 1, col)
    metas, seen = [], {}
    f = table.frame
    known = [c for c in table.columns if c in needed or c in _CSV_OPTIONAL]
    for i in range(len(table)):
        before = len(problems)
        values: dict[str, Any] = {"line": table.line(i)}
        for col in known:
            try:
                values[col] = _csv_value(col, f.at[i, col].strip())
            except ValueError as exc:
                problems.add_error(table.error(i, col, str(exc)))
        bid = values.get("benchmark_id", "")
        if "benchmark_id" in values and not _ID.match(bid):
            problems.add_error(table.error(i, "benchmark_id", "benchmark_id must be snake_case"))
        elif bid in seen:
            problems.add_error(
                table.error(i, "benchmark_id", f"duplicate benchmark_id (line {seen[bid]})")
            )
        seen.setdefault(bid, table.line(i))
        if missing or len(problems) > before:
            continue  # a row with a missing or bad field cannot be cross-checked
        for key, value in import_defaults(values).items():
            if key in needed:
                values[key] = _check_value(key, value)
        if absent := [k for k in needed if k not in values]:
            problems.add_error(table.error(i, absent[0], f"{absent[0]} is missing (no default "
                                                        f"for scale {values.get('scale')!r} "
                                                        f"and link {values.get('link')!r})"))
            continue
        for key in _CSV_OPTIONAL:
            values.setdefault(
                key, False if key == "exclude" else () if key == "setting_columns" else ""
            )
        meta = BenchmarkMeta(**values)
        for key, message in consistency_problems(meta, need_file=False):
            problems.add_error(table.error(i, key, message))
        metas.append(meta)
    problems.raise_all()
    return sorted(metas, key=lambda m: m.benchmark_id)


def _csv_value(col: str, text: str) -> Any:
    """Convert one metadata CSV cell; raise ValueError with a readable message."""
    if col in ENUMS:
        if text not in ENUMS[col]:
            raise ValueError(f"{text!r} is not one of: " + ", ".join(ENUMS[col]))
        return text
    if col in FLOAT_KEYS:
        if not text:
            raise ValueError(f"{col} must be a number, got {text!r}")
        return number(text, col, allow_inf=col != "chance")
    if col == "n_items":
        if not text:
            return 0
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"n_items must be a whole number, got {text!r}")
        return int(text)
    if col in ("published", "exclude"):
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{col} must be true or false, got {text!r}")
        return text.lower() == "true"
    if col == "setting_columns":
        return tuple(s.strip() for s in text.split(";") if s.strip())
    if col == "release_date" and text and not _iso_date(text):
        raise ValueError(f"release_date must be a date YYYY-MM-DD (blank when unknown), got "
                         f"{text!r}")
    return text


def _iso_date(text: str) -> bool:
    """Tell whether ``text`` is a calendar date written YYYY-MM-DD."""
    try:
        return len(text) == 10 and dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def benchmarks_frame(metas: list[BenchmarkMeta]) -> pd.DataFrame:
    """Return the typed ``benchmarks.csv`` table of ``metas`` (n_items 0 becomes missing)."""
    rows = []
    for m in metas:
        row = {k: getattr(m, k) for k in BENCHMARK_COLUMNS}
        row["n_items"] = m.n_items if m.n_items > 0 else None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(BENCHMARK_COLUMNS))
    frame["n_items"] = pd.array(frame["n_items"].tolist(), dtype="Int64")
    frame["release_date"] = pd.to_datetime(frame["release_date"].replace("", None))
    for col in ("published", "exclude"):
        frame[col] = frame[col].astype(bool)
    for col in ("scale_min", "scale_max", "chance"):
        frame[col] = frame[col].astype(float)
    return frame.sort_values("benchmark_id", ignore_index=True)
