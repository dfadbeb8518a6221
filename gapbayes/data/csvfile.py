"""Read a CSV file as text cells, remembering the physical line where each record starts.

Every reader in the data layer goes through :func:`read_csv` so that all input errors can name
the file, the 1-based line (header = line 1) and the column. Line numbers are *physical*
lines: several Epoch files have quoted notes spanning many lines, so the record number and the
line number differ, and an editor shows the line number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gapbayes.errors import InputError, os_reason

_WHITESPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\udc80-\udcff]")


_FORMULA_START = ("=", "+", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Prefix ``'`` to a text cell a spreadsheet would run as a formula.

    Cells starting with ``= + @``, a tab or a carriage return, or ``-`` not followed by a
    number (OWASP's CSV-injection rule; ``-5`` stays a number) could execute when a user opens
    the CSV in a spreadsheet. The apostrophe makes the spreadsheet show the text as it is.
    """
    if text.startswith(_FORMULA_START) or (
            text.startswith("-") and not re.match(r"-\.?\d", text)):
        return "'" + text
    return text


def neutralise_series(text: pd.Series) -> list[str]:
    """Return :func:`neutralise_formula` of every cell of a text column, column-wise."""
    starts = text.str.startswith(_FORMULA_START) | (
        text.str.startswith("-") & ~text.str.match(r"-\.?\d")
    )
    return np.where(starts.to_numpy(bool), "'" + text, text).tolist()


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with :func:`neutralise_formula` applied to its text cells."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = [neutralise_formula(v) if isinstance(v, str) else v for v in out[col]]
    return out


def squash(text: str) -> str:
    """Return ``text`` with runs of whitespace (newlines included) collapsed to one space."""
    return _WHITESPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read as strings.

    Attributes
    ----------
    label
        The file as named in error messages (the path as given).
    columns
        Header names, stripped of surrounding whitespace.
    frame
        One row per record, every cell a ``str`` ("" when empty), ``RangeIndex``.
    lines
        Physical line number where each record starts (header = line 1).
    """

    label: str
    columns: tuple[str, ...]
    frame: pd.DataFrame
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.frame)

    def line(self, i: int) -> int:
        """Return the physical line number of record ``i`` (0-based position)."""
        return int(self.lines[i])

    def error(self, i: int | None, column: str | None, message: str) -> InputError:
        """Build an :class:`InputError` located at record ``i`` (None: whole file)."""
        return InputError(
            self.label, message, row=None if i is None else self.line(i), column=column
        )

    def require(self, columns: Iterable[str], why: str = "") -> None:
        """Raise :class:`InputError` (line 1) naming the first of ``columns`` that is missing."""
        for col in columns:
            if col and col not in self.columns:
                hint = f" ({why})" if why else ""
                raise InputError(
                    self.label,
                    f"required column is missing{hint}; header has: {', '.join(self.columns)}",
                    row=1,
                    column=col,
                )


def _decode(data: bytes, label: str) -> str:
    """Decode UTF-8 strictly; on failure name the line and, if possible, the column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        column = _column_of_bad_byte(data)
        raise InputError(
            label,
            f"not valid UTF-8 (byte 0x{bad}); re-save the file as UTF-8",
            row=line,
            column=column,
        ) from None


def _column_of_bad_byte(data: bytes) -> str | None:
    """Return the header name of the first cell holding an undecodable byte, if any."""
    text = data.decode("utf-8", errors="surrogateescape")
    try:
        rows = csv.reader(io.StringIO(text, newline=""))
        header = next(rows)
        for row in rows:
            for name, cell in zip(header, row, strict=False):
                if _SURROGATE.search(cell):
                    return name.strip()
    except (csv.Error, StopIteration):
        pass
    return None


def read_csv(path: str | Path, label: str | None = None) -> CsvTable:
    """Read ``path`` into a :class:`CsvTable`.

    Parameters
    ----------
    path
        The CSV file (UTF-8, optional BOM, any line ending).
    label
        How to name the file in errors; defaults to ``str(path)``.

    Returns
    -------
    CsvTable
        Cells as strings; blank lines are skipped.

    Raises
    ------
    InputError
        File missing, empty, not UTF-8, malformed quoting, a blank or repeated header name,
        or a record whose number of fields differs from the header's.
    """
    label = str(path) if label is None else label
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(label, "file not found") from None
    except IsADirectoryError:
        raise InputError(label, "is a folder, expected a CSV file") from None
    except OSError as exc:
        raise InputError(label, os_reason(exc)) from None
    return parse_csv(data, label)


def _records(
    text: str, label: str
) -> tuple[list[list[str]], list[int] | np.ndarray, list[str], int]:
    """Return (records, their first lines, header, header line), blank lines skipped.

    Most files have one record per physical line; for them a single ``list(csv.reader)``
    suffices (a million rows in about two seconds) and the line of a record is its position.
    A quoted cell spanning lines, a malformed or a ragged record takes the slower walk, which
    tracks each record's first line and names the bad one.
    """
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        rows = []
    physical = text.count("\n") + text.count("\r") - text.count("\r\n")
    physical += not text.endswith(("\n", "\r"))
    if not rows or len(rows) != physical:
        return _walk(text, label)
    keep = [n for n, row in enumerate(rows) if row and (len(row) > 1 or row[0].strip())]
    if not keep:
        return _walk(text, label)
    header = [h.strip() for h in rows[keep[0]]]
    records = [rows[n] for n in keep[1:]]
    if set(map(len, records)) - {len(header)}:
        return _walk(text, label)
    return records, np.asarray(keep[1:], dtype=np.int64) + 1, header, keep[0] + 1


def _walk(text: str, label: str) -> tuple[list[list[str]], list[int], list[str], int]:
    """Read record by record for :func:`_records`: exact lines, the first error raised."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    header_line = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(
                label, f"malformed CSV ({exc}); check the quoting", row=start
            ) from None
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if header is None:
            header, header_line = [h.strip() for h in row], start
            continue
        if len(row) != len(header):
            raise InputError(
                label,
                f"record has {len(row)} fields but the header has "
                f"{len(header)}; check for an unquoted comma",
                row=start,
            )
        records.append(row)
        lines.append(start)
    if header is None:  # only blank lines, or a BOM
        raise InputError(label, "empty file: expected a header line and data rows")
    return records, lines, header, header_line


def parse_csv(data: bytes, label: str) -> CsvTable:
    """Parse CSV bytes into a :class:`CsvTable` (see :func:`read_csv`)."""
    if not data.strip():
        raise InputError(label, "empty file: expected a header line and data rows")
    text = _decode(data, label)
    if text.startswith("\ufeff"):
        text = text[1:]
    records, lines, header, header_line = _records(text, label)
    for j, name in enumerate(header):
        if not name:
            raise InputError(label, f"header field {j + 1} is blank", row=header_line)
        if name in header[:j]:
            raise InputError(
                label, "column name appears twice in the header", row=header_line, column=name
            )
    frame = pd.DataFrame(records, columns=header, dtype="str")
    if not records:
        frame = pd.DataFrame({h: pd.Series([], dtype="str") for h in header})
    return CsvTable(label, tuple(header), frame, np.asarray(lines, dtype=np.int64))
