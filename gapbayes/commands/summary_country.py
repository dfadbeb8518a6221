"""``gapbayes summary --by country``: Chinese vs other open models behind the closed frontier.

With the spec switch ``country`` (off by default, on in the spec ``by-country``), Chinese open
models have their own frontier: the open frontier plus an offset curve
(:mod:`gapbayes.model.country`). This view prints, at the named dates, each open subgroup's
backward gap behind the closed frontier and their difference, from the result's
``country_gaps.csv``.
"""

from __future__ import annotations

import sys

import pandas as pd

from gapbayes.commands.summary_by import write_rows
from gapbayes.errors import GapbayesError
from gapbayes.inference.fit_tables import named_dates_only

INTERVAL = "posterior median [50% and 90% equal-tailed intervals (ETI)]"
READING = ("'chinese minus other open' < 0: the Chinese open models' frontier is closer to the "
           "closed frontier than the other open models' one")


def country_rows(loaded) -> pd.DataFrame:
    """Return the country gaps at the named dates (not every month) of a loaded result."""
    table = loaded.tables.get("country_gaps")
    if table is None or table.empty:
        raise GapbayesError(
            f"{loaded.path}: no country gaps in this result (fitted without the country term: "
            "spec switch 'country' off, or fewer than 3 Chinese or 3 other open base models)")
    return named_dates_only(table, loaded.tables.get("gap_at_dates"))


def _cell(r: pd.Series) -> str:
    return (f"{r['median']:5.1f} [{r['eti50_lo']:5.1f}, {r['eti50_hi']:5.1f}]"
            f" [{r['eti90_lo']:5.1f}, {r['eti90_hi']:5.1f}]")


def print_country(loaded, fmt: str = "text", out=None) -> None:
    """Print each open subgroup's backward gap and their difference at the named dates."""
    out = out or sys.stdout
    rows = country_rows(loaded)
    weighting = str(rows["weighting"].iloc[0])
    if write_rows(rows, fmt, {"result": loaded.manifest.get("name"), "by": "country",
                              "intervals": INTERVAL, "weighting": weighting}, out):
        return
    if fmt == "markdown":
        out.write(f"Backward gap behind the closed frontier by country of the open models, in "
                  f"months: {INTERVAL}; {weighting}; {READING}.\n\n"
                  "| open models | date | gap |\n|---|---|---|\n")
        for _, r in rows.iterrows():
            out.write(f"| {r['country']} | {r['date']} | {_cell(r)} |\n")
        return
    out.write(f"Backward gap behind the closed frontier by country of the open models, in "
              f"months: {INTERVAL}.\nEach gap: {weighting}; {READING}.\n\n")
    out.write(f"{'open models':26s} {'date':16s} gap\n")
    for _, r in rows.iterrows():
        out.write(f"{str(r['country']):26s} {str(r['date']):16s} {_cell(r)}\n")
