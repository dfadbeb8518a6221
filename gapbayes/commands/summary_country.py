"""``gapbayes summary --by country``: Chinese vs other open models behind the closed frontier.

Two measures, each at the named dates for the Chinese open models, the other open models and
their difference:

- **best model so far** (every fit of the default model, ``country_lags.csv``): the lag of
  each subgroup's best base model released so far behind the closed frontier, as a lab's lag
  (:mod:`gapbayes.model.lab_lags`);
- **frontier (country term)** (spec ``by-country``, switch ``country``, ``country_gaps.csv``):
  Chinese open models have their own frontier, the open frontier plus an offset curve
  (:mod:`gapbayes.model.country`), and each subgroup's backward gap is read off its curve.
"""

from __future__ import annotations

import sys

import pandas as pd

from gapbayes.commands.summary_by import write_rows
from gapbayes.errors import GapbayesError
from gapbayes.inference.fit_tables import named_dates_only

INTERVAL = "posterior median [50% and 90% equal-tailed intervals (ETI)]"
READING = ("'chinese minus other open' < 0: the Chinese open models are closer to the closed "
           "frontier than the other open models")
#: measure label -> (table, how a row is computed)
MEASURES = {
    "best model so far": ("country_lags", "lag of the subgroup's best base model released so "
                                          "far"),
    "frontier (country term)": ("country_gaps", "backward gap of the subgroup's frontier curve"),
}


def country_rows(loaded) -> pd.DataFrame:
    """Return the country measures at the named dates (not every month) of a loaded result.

    Columns ``measure`` (a key of ``MEASURES``), ``country``, ``date``, ``median``, the
    equal-tailed intervals and ``weighting`` (how the row is computed).
    """
    at_dates = loaded.tables.get("gap_at_dates")
    parts = []
    for measure, (name, how) in MEASURES.items():
        table = loaded.tables.get(name)
        if table is None or table.empty:
            continue
        rows = named_dates_only(table, at_dates)
        weighting = (f"{how}, " + rows["weighting"].astype(str) if "weighting" in rows
                     else how)
        parts.append(rows.drop(columns=["direction", "weighting"], errors="ignore").assign(
            measure=measure, weighting=weighting))
    if not parts:
        raise GapbayesError(
            f"{loaded.path}: no country gaps or lags in this result (fewer than 3 Chinese or "
            "3 other open base models, a model without base-model abilities, or a result "
            "written before gapbayes had them)")
    rows = pd.concat(parts, ignore_index=True)
    first = ["measure", "country", "date"]
    return rows[first + [c for c in rows.columns if c not in first]]


def _cell(r: pd.Series) -> str:
    return (f"{r['median']:5.1f} [{r['eti50_lo']:5.1f}, {r['eti50_hi']:5.1f}]"
            f" [{r['eti90_lo']:5.1f}, {r['eti90_hi']:5.1f}]")


def print_country(loaded, fmt: str = "text", out=None) -> None:
    """Print, per measure, each open subgroup's lag or gap and their difference."""
    out = out or sys.stdout
    rows = country_rows(loaded)
    how = dict(zip(rows["measure"], rows["weighting"], strict=False))
    if write_rows(rows, fmt, {"result": loaded.manifest.get("name"), "by": "country",
                              "intervals": INTERVAL, "measures": how}, out):
        return
    title = (f"Chinese vs other open models behind the closed frontier, in months: {INTERVAL}; "
             f"{READING}.")
    if fmt == "markdown":
        out.write(title + "\n\n" + "".join(f"- {m}: {h}.\n" for m, h in how.items()))
        out.write("\n| measure | open models | date | months |\n|---|---|---|---|\n")
        for _, r in rows.iterrows():
            out.write(f"| {r['measure']} | {r['country']} | {r['date']} | {_cell(r)} |\n")
        return
    out.write(title.replace("; ", ".\n", 1) + "\n")
    out.writelines(f"  {m}: {h}.\n" for m, h in how.items())
    out.write(f"\n{'measure':24s} {'open models':26s} {'date':16s} months\n")
    for _, r in rows.iterrows():
        out.write(f"{str(r['measure']):24s} {str(r['country']):26s} {str(r['date']):16s} "
                  f"{_cell(r)}\n")
