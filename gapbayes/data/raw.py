"""Cell parsers and readers for the raw Epoch AI Benchmarking Hub dump.

The dump is used unchanged; every cell we rely on is parsed here with an error that names the
file, the physical line and the column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gapbayes.data.cells import date_problem, name_problem, number
from gapbayes.data.csvfile import CsvTable, read_csv
from gapbayes.errors import InputError

INDEX_FILE = "epoch_capabilities_index.csv"
OVERRIDES_FILE = "accessibility-overrides.csv"
DUMP_GLOB = "epoch-benchmark-hub-*"

MODEL = "Model version"
RELEASE = "Release date"
ORG = "Organization"
COUNTRY = "Country"
ACCESS = "Model accessibility"
DISPLAY = "Display name"
OVERRIDE_MODEL = "Model version or name"

#: Epoch "Model accessibility" labels -> access group (None: drop the model).
ACCESS_LABELS: dict[str, str | None] = {
    "Open weights (unrestricted)": "open",
    "Open weights (restricted use)": "open",
    "Open weights (non-commercial)": "open",
    "API access": "closed",
    "Hosted access (no API)": "closed",
    "Unreleased": None,
}


def parse_float(table: CsvTable, i: int, column: str, *, what: str = "value") -> float:
    """Parse cell (``i``, ``column``) as a finite plain number; blank gives NaN.

    The rule is :func:`gapbayes.data.cells.number_problem`: "NaN", "inf", "4_5" are errors
    (a missing value must be blank).
    """
    try:
        return number(table.frame.at[i, column].strip(), what)
    except ValueError as exc:
        raise table.error(i, column, str(exc)) from None


def parse_date(table: CsvTable, i: int, column: str, today: dt.date) -> dt.date | None:
    """Parse cell (``i``, ``column``) as a release date; blank gives None.

    The rule is :func:`gapbayes.data.cells.date_problem`: ``YYYY-MM-DD``, from 2010 to ``today``.
    """
    text = table.frame.at[i, column].strip()
    if not text:
        return None
    problem = date_problem(text, today)
    if problem:
        raise table.error(i, column, problem)
    return dt.date.fromisoformat(text)


def model_id(table: CsvTable, i: int, column: str) -> str:
    """Return the stripped model id of cell (``i``, ``column``) ("" when blank).

    Raises
    ------
    InputError
        The id holds a control character (:func:`~gapbayes.data.cells.name_problem`).
    """
    model = table.frame.at[i, column].strip()
    if model and (problem := name_problem(model, "model id")):
        raise table.error(i, column, problem)
    return model


def parse_access(table: CsvTable, i: int, column: str) -> tuple[str, str | None]:
    """Return (label, access group) of an accessibility cell; blank gives ("", "unknown")."""
    label = " ".join(table.frame.at[i, column].split())
    if not label:
        return "", "unknown"
    if label not in ACCESS_LABELS:
        raise table.error(
            i,
            column,
            f"unknown access label {label!r}; expected one of: " + ", ".join(ACCESS_LABELS),
        )
    return label, ACCESS_LABELS[label]


def first_listed(text: str) -> str:
    """Return the first entry of a comma-separated Epoch list ("Google DeepMind,Google")."""
    return text.split(",")[0].strip()


def listed(text: str) -> list[str]:
    """Return every entry of a comma-separated Epoch list, stripped, blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def find_dump(raw: Path) -> Path:
    """Return the Epoch dump folder inside ``raw`` (or ``raw`` itself if it is one).

    With several dated dumps, the newest (by name) is used; the caller prints which.
    """
    if (raw / INDEX_FILE).exists():
        return raw
    dumps = sorted(p for p in raw.glob(DUMP_GLOB) if p.is_dir())
    if not dumps:
        raise InputError(
            str(raw),
            f"no Epoch dump found: expected {INDEX_FILE} here or a "
            f"{DUMP_GLOB}/ folder (pass --raw)",
        )
    return dumps[-1]


@dataclass(frozen=True)
class IndexRow:
    """What the capabilities index (or an override) says about one model."""

    model_id: str
    label: str
    access: str | None
    release_date: dt.date | None
    organization: str
    countries: tuple[str, ...]
    display_name: str
    file: str
    line: int


def _unique_models(table: CsvTable, column: str, blank: str, verb: str
                   ) -> Iterator[tuple[int, str]]:
    """Yield (row, model id) of every row of ``table``, refusing a blank or repeated id.

    ``blank`` is the message for a blank id; ``verb`` completes "model 'x' is <verb> twice".
    Rows are checked one at a time as the caller takes them, so the first bad row is the one
    reported, whichever check it fails.
    """
    first_line: dict[str, int] = {}
    for i in range(len(table)):
        model = model_id(table, i, column)
        if not model:
            raise table.error(i, column, blank)
        if model in first_line:
            raise table.error(
                i, column, f"model {model!r} is {verb} twice (first on line {first_line[model]})"
            )
        first_line[model] = table.line(i)
        yield i, model


def read_index(path: Path, today: dt.date) -> dict[str, IndexRow]:
    """Read ``epoch_capabilities_index.csv`` into one :class:`IndexRow` per model id."""
    table = read_csv(path)
    table.require([MODEL, RELEASE, ORG, COUNTRY, ACCESS])
    f = table.frame
    out: dict[str, IndexRow] = {}
    for i, model in _unique_models(table, MODEL, "blank model id in the index", "listed"):
        label, access = parse_access(table, i, ACCESS)
        display = squash_cell(f, i, DISPLAY)
        out[model] = IndexRow(
            model_id=model,
            label=label,
            access=access,
            release_date=parse_date(table, i, RELEASE, today),
            organization=first_listed(f.at[i, ORG]),
            countries=tuple(listed(f.at[i, COUNTRY])),
            display_name=display,
            file=table.label,
            line=table.line(i),
        )
    return out


def read_overrides(path: Path) -> dict[str, IndexRow]:
    """Read the audited accessibility overrides (model id -> label)."""
    table = read_csv(path)
    table.require([OVERRIDE_MODEL, ACCESS])
    out: dict[str, IndexRow] = {}
    for i, model in _unique_models(table, OVERRIDE_MODEL, "blank model id", "overridden"):
        label, access = parse_access(table, i, ACCESS)
        if not label:
            raise table.error(i, ACCESS, "an override needs an access label")
        out[model] = IndexRow(model, label, access, None, "", (), "", table.label, table.line(i))
    return out


def squash_cell(frame: pd.DataFrame, i: int, column: str) -> str:
    """Return the whitespace-squashed cell, or "" when the column does not exist."""
    if column not in frame.columns:
        return ""
    return " ".join(str(frame.at[i, column]).split())
