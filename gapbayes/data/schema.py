"""Column types and pandera schemas of the tidy tables (contract: ``docs/data-format.md``).

:func:`check_table` validates one typed table and :func:`check_links` the relations between
them; both raise :class:`InputError` naming the file, the line and the column of the first
problem, so a corrupted or hand-edited table is reported in one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from gapbayes.data.cells import CONTROL
from gapbayes.data.metadata import ENUMS
from gapbayes.errors import InputError

ACCESS = ("open", "closed", "unknown")
REASONS = (
    "blank_model",
    "missing_score",
    "unreleased",
    "exact_duplicate",
    "conflict_resolved",
    "unknown_access",
    "no_release_date",
)


@dataclass(frozen=True)
class TableSpec:
    """File name, key and column kinds of one tidy table."""

    name: str
    file: str
    key: tuple[str, ...]
    columns: dict[str, str]  # column -> kind: str | bool | date | float | int | count


SPECS: dict[str, TableSpec] = {
    "models": TableSpec(
        "models",
        "models.csv",
        ("model_id",),
        {
            "model_id": "str",
            "base_model": "str",
            "display_name": "str",
            "organization": "str",
            "country": "str",
            "chinese": "bool",
            "release_date": "date",
            "release_date_source": "str",
            "access": "str",
            "access_source": "str",
            "family": "str",
            "family_source": "str",
        },
    ),
    "benchmarks": TableSpec(
        "benchmarks",
        "benchmarks.csv",
        ("benchmark_id",),
        {
            "benchmark_id": "str",
            "name": "str",
            "file": "str",
            "score_column": "str",
            "stderr_column": "str",
            "ci_low_column": "str",
            "ci_high_column": "str",
            "scale": "str",
            "scale_min": "float",
            "scale_max": "float",
            "transform": "str",
            "link": "str",
            "chance": "float",
            "n_items": "count",
            "access_type": "str",
            "category": "str",
            "provenance": "str",
            "third_party_hosts": "str",
            "published": "bool",
            "exclude": "bool",
            "exclude_reason": "str",
            "release_date": "date",
        },
    ),
    "scores": TableSpec(
        "scores",
        "scores.csv",
        ("benchmark_id", "model_id", "setting", "source"),
        {
            "benchmark_id": "str",
            "model_id": "str",
            "score": "float",
            "stderr": "float",
            "ci_low": "float",
            "ci_high": "float",
            "setting": "str",
            "source": "str",
            "self_reported": "bool",
            "third_party_host": "bool",
            "raw_row": "int",
        },
    ),
    "unclassified": TableSpec(
        "unclassified",
        "unclassified.csv",
        ("benchmark_id", "reason"),
        {
            "benchmark_id": "str",
            "reason": "str",
            "rows": "int",
        },
    ),
    "dropped_models": TableSpec(
        "dropped_models",
        "dropped_models.csv",
        ("model_id",),
        {
            "model_id": "str",
            "reason": "str",
            "access_source": "str",
        },
    ),
}

_NONEMPTY = pa.Check.str_length(min_value=1, error="must not be empty")
#: Names hold no control character (the rule of gapbayes.data.cells.name_problem).
_ONE_LINE = pa.Check.str_matches(
    f"^(?:(?!{CONTROL}).)*$", error="one line of text, no control characters"
)


def _col(kind: str, *checks: pa.Check, nullable: bool = False) -> pa.Column:
    dtype = {
        "str": "str",
        "bool": bool,
        "date": "datetime64[ns]",
        "float": float,
        "int": "int64",
        "count": "Int64",
    }[kind]
    return pa.Column(dtype, list(checks), nullable=nullable or kind in ("date", "count"))


def _isin(values: Sequence[str]) -> pa.Check:
    return pa.Check.isin(list(values), error=f"must be one of: {', '.join(values)}")


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "models": pa.DataFrameSchema(
        {
            "model_id": _col("str", _NONEMPTY, _ONE_LINE),
            "base_model": _col("str", _NONEMPTY, _ONE_LINE),
            "display_name": _col("str", _NONEMPTY),
            "organization": _col("str"),
            "country": _col("str"),
            "chinese": _col("bool"),
            "release_date": _col("date"),
            "release_date_source": _col("str", _isin(["index", "benchmarks", "import", ""])),
            "access": _col("str", _isin(ACCESS)),
            "access_source": _col(
                "str",
                pa.Check.str_matches(
                    r"^(index|override|import|missing|rule:[a-z0-9_]+)$",
                    error="must be index, override, import, missing or rule:<name>",
                ),
            ),
            "family": _col("str", _NONEMPTY),
            "family_source": _col(
                "str",
                pa.Check.str_matches(
                    r"^(organization|none|import|rule:[a-z0-9_]+)$",
                    error="must be organization, none, import or rule:<name>",
                ),
            ),
        },
        strict=True,
        ordered=True,
    ),
    "benchmarks": pa.DataFrameSchema(
        {
            **{
                c: _col("str")
                for c in SPECS["benchmarks"].columns
                if SPECS["benchmarks"].columns[c] == "str"
            },
            "benchmark_id": _col(
                "str", pa.Check.str_matches(r"^[a-z][a-z0-9_]*$", error="must be snake_case")
            ),
            "name": _col("str", _NONEMPTY, _ONE_LINE),
            **{k: _col("str", _isin(v)) for k, v in ENUMS.items()},
            "scale_min": _col("float"),
            "scale_max": _col("float"),
            "chance": _col(
                "float", pa.Check.in_range(0, 1, include_max=False, error="must be in [0, 1)")
            ),
            "n_items": _col("count", pa.Check.gt(0, error="must be > 0 (blank when unknown)")),
            "published": _col("bool"),
            "exclude": _col("bool"),
            "release_date": _col("date"),
        },
        strict=True,
    ),
    "scores": pa.DataFrameSchema(
        {
            "benchmark_id": _col("str", _NONEMPTY),
            "model_id": _col("str", _NONEMPTY, _ONE_LINE),
            "score": _col(
                "float",
                pa.Check(
                    lambda s: np.isfinite(s), element_wise=False, error="must be a finite number"
                ),
            ),
            "stderr": _col("float", pa.Check.ge(0, error="must be >= 0"), nullable=True),
            "ci_low": _col("float", nullable=True),
            "ci_high": _col("float", nullable=True),
            "setting": _col("str"),
            "source": _col("str"),
            "self_reported": _col("bool"),
            "third_party_host": _col("bool"),
            "raw_row": _col("int", pa.Check.ge(1, error="must be >= 1")),
        },
        strict=True,
        ordered=True,
    ),
    "unclassified": pa.DataFrameSchema(
        {
            "benchmark_id": _col("str", _NONEMPTY),
            "reason": _col("str", _isin(REASONS)),
            "rows": _col("int", pa.Check.gt(0, error="must be > 0")),
        },
        strict=True,
        ordered=True,
    ),
    "dropped_models": pa.DataFrameSchema(
        {
            "model_id": _col("str", _NONEMPTY),
            "reason": _col("str", _isin(["unreleased"])),
            "access_source": _col("str"),
        },
        strict=True,
        ordered=True,
    ),
}


def _line(lines: np.ndarray | None, position: int) -> int:
    return int(lines[position]) if lines is not None else position + 2


def check_table(
    name: str, frame: pd.DataFrame, label: str, lines: np.ndarray | None = None
) -> None:
    """Validate a typed tidy table against its schema, key and sort order.

    Parameters
    ----------
    name
        Key of :data:`SPECS` (``models``, ``benchmarks``, ``scores``, ...).
    frame
        The typed table with a ``RangeIndex``.
    label
        The file as named in errors.
    lines
        Physical line of each row (default: position + 2, i.e. one line per row).

    Raises
    ------
    InputError
        The first failing cell: wrong type or value, duplicate key, unsorted rows.
    """
    spec = SPECS[name]
    try:
        SCHEMAS[name].validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fails = exc.failure_cases
        cell = fails[fails["index"].notna()]
        first = (cell.sort_values("index", kind="stable") if len(cell) else fails).iloc[0]
        column = None if pd.isna(first["column"]) else str(first["column"])
        row = None if pd.isna(first["index"]) else _line(lines, int(first["index"]))
        more = f" ({len(fails) - 1} more problems)" if len(fails) > 1 else ""
        check, value = str(first["check"]), first["failure_case"]
        value = value.item() if hasattr(value, "item") else value  # numpy scalar -> Python
        raise InputError(
            label, f"value {value!r} fails check {check!r}{more}", row=row, column=column
        ) from None
    key = list(spec.key)
    dup = frame.duplicated(key)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            label, f"duplicate key {tuple(frame.loc[i, key])}", row=_line(lines, i), column=key[-1]
        )
    order = frame.sort_values(key, kind="stable").index.to_numpy()
    if not (order == np.arange(len(frame))).all():
        i = int(np.flatnonzero(order != np.arange(len(frame)))[0])
        raise InputError(
            label, f"rows are not sorted by {', '.join(key)}", row=_line(lines, i), column=key[0]
        )
    if name == "benchmarks":
        bad = ~(frame["scale_min"] < frame["scale_max"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                label, "scale_max must exceed scale_min", row=_line(lines, i), column="scale_max"
            )


def check_links(
    tables: dict[str, pd.DataFrame],
    labels: dict[str, str],
    lines: dict[str, np.ndarray | None] | None = None,
) -> None:
    """Check that scores refer to known models and benchmarks and lie on their scale."""
    lines = lines or {}
    scores, label = tables["scores"], labels["scores"]
    if scores.empty:
        raise InputError(label, "no scores: the table has no rows below its header (an import "
                                "whose score cells were all empty?)")
    bench = tables["benchmarks"].set_index("benchmark_id")

    def fail(mask: pd.Series, column: str, message: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask.to_numpy())[0])
            raise InputError(
                label,
                message.format(**scores.iloc[i].to_dict()),
                row=_line(lines.get("scores"), i),
                column=column,
            )

    fail(
        ~scores["benchmark_id"].isin(bench.index),
        "benchmark_id",
        "unknown benchmark {benchmark_id!r} (not in benchmarks.csv)",
    )
    fail(
        ~scores["model_id"].isin(tables["models"]["model_id"]),
        "model_id",
        "unknown model {model_id!r} (not in models.csv)",
    )
    lo = scores["benchmark_id"].map(bench["scale_min"])
    hi = scores["benchmark_id"].map(bench["scale_max"])
    fail(
        (scores["score"] < lo) | (scores["score"] > hi),
        "score",
        "score {score} is outside the scale of {benchmark_id!r}",
    )
    fail(
        scores["benchmark_id"].map(bench["exclude"]).astype(bool),
        "benchmark_id",
        "benchmark {benchmark_id!r} is excluded but has scores",
    )
    if "unclassified" in tables:
        un = tables["unclassified"]
        bad = ~un["benchmark_id"].isin(bench.index)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                labels["unclassified"],
                f"unknown benchmark {un['benchmark_id'].iloc[i]!r}",
                row=_line(lines.get("unclassified"), i),
                column="benchmark_id",
            )
