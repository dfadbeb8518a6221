"""The rules every number, date and name of the data layer obeys, for one cell or a column.

One rule, two speeds: each ``*_problem`` function says what is wrong with one value (or None),
and the column parsers find the failing cells of a whole column with pandas, then name the
first one with that same function, so a row-wise and a vectorised reader report alike.

- Numbers are plain decimals (``12``, ``-0.5``, ``1e-3``). Python's ``float`` also takes
  ``4_5`` (digit grouping: 45), ``١٢`` (other scripts' digits) and ``nan``/``inf``; a score
  table holding those is mistyped, so they are refused.
- Release dates are ``YYYY-MM-DD`` between :data:`EARLIEST_RELEASE` and today.
- Names (models, benchmarks) hold no control characters: a line break inside a quoted cell
  makes an id that no one can type and that splits lines in every report.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gapbayes.data.csvfile import CsvTable

#: Release dates before this day are refused as typos (1899 for 1999 or 2023...). The oldest
#: model of the Epoch dump is from 2019; language models worth comparing start around 2018.
EARLIEST_RELEASE = dt.date(2010, 1, 1)

NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(NUMBER)
#: A number, or ``inf`` / ``-inf`` where an open scale end is allowed.
INF = f"{NUMBER}|[+-]?inf"
_INF_WORD = "[+-]?inf"
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE = re.compile(DATE)
#: C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
CONTROL = "[\x00-\x1f\x7f-\x9f\u2028\u2029]"
_CONTROL = re.compile(CONTROL)


def number_problem(text: str, what: str = "value") -> str | None:
    """Return why the stripped cell ``text`` is not a finite plain number, or None.

    Examples
    --------
    >>> number_problem("4_5", "score")
    "score '4_5' is not a number (write plain digits: no '_' or other digit grouping)"
    >>> number_problem("-1.5e3") is None
    True
    """
    if _NON_FINITE.fullmatch(text):
        return (
            f"{what} {text!r} is not a finite number; leave the cell empty when there is no value"
        )
    if not _NUMBER.fullmatch(text):
        hint = " (write plain digits: no '_' or other digit grouping)" if "_" in text else ""
        return f"{what} {text!r} is not a number{hint}"
    if not math.isfinite(float(text)):
        return f"{what} {text!r} is too large to be a finite number"
    return None


def number(text: str, what: str = "value", allow_inf: bool = False) -> float:
    """Parse the stripped cell ``text``; blank gives NaN; raise ValueError with the reason.

    ``allow_inf`` admits ``inf`` and ``-inf`` (an open scale end such as ``scale_max``).
    """
    if not text:
        return math.nan
    if allow_inf and text.lower() in ("inf", "+inf", "-inf"):
        return float(text)
    problem = number_problem(text, what)
    if problem:
        raise ValueError(problem)
    return float(text)


def release_date_problem(value: dt.date, today: dt.date) -> str | None:
    """Return why ``value`` cannot be a release date (before 2010 or after ``today``), or None.

    The one rule of ``data build``, ``data import`` and ``data validate``.
    """
    if value < EARLIEST_RELEASE:
        return (
            f"date {value} is before {EARLIEST_RELEASE}, the earliest release date accepted "
            "(a typo in the year?)"
        )
    if value > today:
        return f"date {value} is in the future (today is {today})"
    return None


def date_problem(text: str, today: dt.date) -> str | None:
    """Return why the stripped cell ``text`` is not a valid release date, or None."""
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        value = dt.date.fromisoformat(text)
    except ValueError:
        return f"date {text!r} is not a valid YYYY-MM-DD date"
    return release_date_problem(value, today)


def name_problem(text: str, what: str) -> str | None:
    """Return why ``text`` cannot be a name (empty, or a control character inside), or None."""
    if not text:
        return f"blank {what}"
    if _CONTROL.search(text):
        return (
            f"{what} {text!r} contains a control character (a line break or tab inside a "
            "quoted cell?); names must be one line of text"
        )
    return None


def first(mask: pd.Series | np.ndarray) -> int | None:
    """Return the position of the first True of ``mask``, or None."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[0]) if len(hits) else None


def stripped(table: CsvTable, column: str) -> pd.Series:
    """Return the cells of ``column`` stripped of surrounding whitespace."""
    return table.frame[column].str.strip()


def numbers(text: pd.Series, allow_inf: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Parse stripped cells like :func:`number`: (values, bad); blank and bad cells are NaN."""
    blank = (text == "").to_numpy()
    ok = text.str.fullmatch(INF if allow_inf else NUMBER).to_numpy(dtype=bool)
    values = np.full(len(text), np.nan)
    values[ok] = text[ok].astype(float).to_numpy()
    infinite = ok & ~np.isfinite(values)
    if allow_inf:  # "inf" itself is fine there; "1e999" still is a typo
        infinite &= ~text.str.fullmatch(_INF_WORD).to_numpy(dtype=bool)
    bad = ~(blank | ok) | infinite
    values[bad] = np.nan
    return values, bad


def dates(text: pd.Series, today: dt.date) -> tuple[pd.Series, np.ndarray]:
    """Parse stripped cells like :func:`date_problem`: (datetime64 with NaT, bad)."""
    shaped = text.str.fullmatch(DATE)
    parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    low, high = pd.Timestamp(EARLIEST_RELEASE), pd.Timestamp(today)
    bad = (text != "") & (parsed.isna() | (parsed < low) | (parsed > high))
    return parsed.where(~bad).astype("datetime64[ns]"), bad.to_numpy()


def bad_names(text: pd.Series) -> np.ndarray:
    """Return the mask of stripped cells :func:`name_problem` refuses (blank, control chars)."""
    return ((text == "") | text.str.contains(CONTROL, regex=True)).to_numpy()


def release_dates_problem(values: pd.Series, today: dt.date) -> tuple[int, str] | None:
    """Return (position, message) of the first date breaking :func:`release_date_problem`.

    ``values`` is datetime64 (NaT allowed); None when every date is fine.
    """
    low, high = pd.Timestamp(EARLIEST_RELEASE), pd.Timestamp(today)
    if (i := first(values.notna() & ((values < low) | (values > high)))) is None:
        return None
    return i, release_date_problem(values.iloc[i].date(), today) or "bad date"


@dataclass
class RowChecks:
    """Failing cells of several column-wise checks of one table.

    :meth:`raise_first` reports the cell a row-by-row reader would meet first: the lowest row,
    and within a row the check added first. So the vectorised import names the same cell as
    the row-wise one it replaced.
    """

    table: CsvTable
    found: list[tuple[int, int, str, str]] = field(default_factory=list)

    def add(self, bad: np.ndarray | pd.Series, column: str, message: Callable[[int], str]) -> None:
        """Record the first row of ``bad``; ``message(i)`` says what is wrong at row ``i``."""
        if (i := first(bad)) is not None:
            self.found.append((i, len(self.found), column, message(i)))

    def raise_first(self) -> None:
        """Raise the :class:`InputError` of the earliest failing cell, if any."""
        if self.found:
            i, _, column, message = min(self.found)
            raise self.table.error(i, column, message)
