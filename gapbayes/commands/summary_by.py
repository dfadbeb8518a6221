"""``gapbayes summary --by``: the gap vector by access type, category or benchmark.

By access type or category, at the window's last month: each group's gap (posterior median
and 90% equal-tailed interval) as the equal-weight mean over the group's benchmarks that still
discriminate there, how many those are, the mean over all its benchmarks, and for a category
the gap a new benchmark of the category would show (hierarchical predictive). By benchmark:
every benchmark's gap, "not identified" where it is saturated or at its floor, or where a date
it compares lies outside its category's data.

Results written before these columns existed are recomputed from ``posterior.nc`` and
``design.npz`` (a few seconds; nothing in the folder changes).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

from gapbayes.errors import GapbayesError

BY_CHOICES = ("access", "category", "benchmark", "country", "lab")
ACCESS_GROUPS = ("overall", "private", "public")
INTERVAL = "posterior median [90% equal-tailed interval (ETI)]"
RULE = ("group gap = equal weight over the group's benchmarks identified at that month (the "
        "open frontier inside 5-95% of a benchmark's range for the backward gap, the closed "
        "frontier for the forward gap, and the dates compared inside the category's scored "
        "releases; docs/model.md, \"Group gaps and identification\"); "
        "\"not identified\" where none is")
NEW_BENCHMARK = ("new benchmark: the gap of a benchmark of the category not in the data "
                 "(its open-vs-closed shift drawn from the category's part and the fitted "
                 "spread of benchmark terms)")
COLUMNS = ["group", "date", "direction", "median", "eti90_lo", "eti90_hi", "interval",
           "n_identified", "n_benchmarks", "weighting", "new_benchmark_median",
           "new_benchmark_eti90_lo", "new_benchmark_eti90_hi", "all_benchmarks_median",
           "all_benchmarks_eti90_lo", "all_benchmarks_eti90_hi", "forecast"]


def select_groups(gaps: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Rows of the group gap table for ``--by access`` or ``--by category`` (all for None)."""
    if by == "access":
        return gaps[gaps["group"].isin(ACCESS_GROUPS)]
    if by == "category":
        return gaps[gaps["group"].str.startswith("category:")]
    return gaps


def _recompute(loaded) -> dict[str, pd.DataFrame]:
    """Gap-vector tables from the posterior of a result written before they existed."""
    from gapbayes.inference.design_io import load_design
    from gapbayes.inference.fit_tables import benchmark_gaps, gap_at_dates, with_vector

    for name in ("posterior.nc", "design.npz"):
        if not (loaded.path / name).is_file():
            raise GapbayesError(f"{loaded.path}: no {name} to compute the gap vector from "
                                "(results written before gapbayes had it need their posterior)")
    data = load_design(loaded.path / "design.npz")
    dt = loaded.posterior()
    try:
        post = dt["posterior"].to_dataset()
        if "open_shift" not in post:
            raise GapbayesError(f"{loaded.path}: model '{loaded.manifest.get('model', '?')}' "
                                "has no per-benchmark frontier curves, so no gap vector")
        post = with_vector(post, data)
        return {"gap_at_dates": gap_at_dates(post, data),
                "benchmark_gaps": benchmark_gaps(post, data)}
    finally:
        dt.close()


def vector_tables(loaded) -> dict[str, pd.DataFrame]:
    """Return the result's ``gap_at_dates`` (with gap-vector columns) and ``benchmark_gaps``.

    Taken from the folder's CSVs when they have the columns, else recomputed (see module).
    """
    gaps = loaded.tables.get("gap_at_dates")
    bench = loaded.tables.get("benchmark_gaps")
    if gaps is not None and "n_identified" in gaps and bench is not None:
        return {"gap_at_dates": gaps, "benchmark_gaps": bench}
    return _recompute(loaded)


def last_month_rows(gaps: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return the ``--by access|category`` rows at the last month, in the promised columns."""
    rows = select_groups(gaps[gaps["date"].astype(str).str.startswith("last")], by).copy()
    if rows.empty:
        raise GapbayesError(f"this result has no {by} groups at its last month")
    rows["interval"] = "90% equal-tailed"
    for col in COLUMNS:
        if col not in rows:
            rows[col] = np.nan
    return rows[COLUMNS].reset_index(drop=True)


def write_rows(rows: pd.DataFrame, fmt: str, header: dict, out) -> bool:
    """Write ``rows`` as JSON (``header`` plus the rows) or CSV; False for text formats."""
    if fmt == "json":
        json.dump({**header, "rows": json.loads(rows.to_json(orient="records"))}, out,
                  indent=2)
        out.write("\n")
        return True
    if fmt == "csv":
        rows.to_csv(out, index=False, float_format="%.3f")
        return True
    return False


def _ci(median: float, lo: float, hi: float) -> str:
    if not np.isfinite(median):
        return "not identified"
    return f"{median:5.1f} [{lo:5.1f}, {hi:5.1f}]"


def _text_cells(r: pd.Series) -> tuple[str, str, str, str]:
    gap = _ci(r["median"], r["eti90_lo"], r["eti90_hi"])
    if bool(r["forecast"]) and np.isfinite(r["median"]):
        gap += " forecast"
    n = f"{int(r['n_identified'])} of {int(r['n_benchmarks'])}"
    new = (_ci(r["new_benchmark_median"], r["new_benchmark_eti90_lo"],
               r["new_benchmark_eti90_hi"]) if np.isfinite(r["new_benchmark_median"]) else "")
    every = _ci(r["all_benchmarks_median"], r["all_benchmarks_eti90_lo"],
                r["all_benchmarks_eti90_hi"])
    return gap, n, new, every


def print_groups(loaded, by: str, fmt: str = "text", out=None) -> None:
    """Print the gap vector by access type or category at the window's last month.

    Columns: gap (median, 90% ETI; "not identified" when no benchmark of the group
    discriminates), identified benchmarks used (of the group's), a new benchmark's predictive
    interval (categories) and the mean over all the group's benchmarks.
    """
    out = out or sys.stdout
    rows = last_month_rows(vector_tables(loaded)["gap_at_dates"], by)
    label = str(rows["date"].iloc[0])
    date = label[label.find("(") + 1:label.rfind(")")] if "(" in label else label
    if write_rows(rows, fmt, {"result": loaded.manifest.get("name"), "by": by, "date": date,
                              "intervals": INTERVAL, "weighting_rule": RULE,
                              "new_benchmark": NEW_BENCHMARK}, out):
        return
    head = ("| group | direction | gap, median [90% ETI] | identified benchmarks | "
            "new benchmark [90% ETI] | all benchmarks [90% ETI] |\n|---|---|---|---|---|---|\n")
    if fmt == "markdown":
        out.write(f"Gap by {by} at the last month, {date}, in months: {INTERVAL}; {RULE}; "
                  f"{NEW_BENCHMARK}.\n\n{head}")
    else:
        out.write(f"Gap by {by} at the last month of the window, {date}, in months: "
                  f"{INTERVAL}.\n{RULE[0].upper() + RULE[1:]}.\n")
        if by == "category":
            out.write(f"{NEW_BENCHMARK[0].upper() + NEW_BENCHMARK[1:]}.\n")
        out.write(f"\n{'group':28s} {'direction':9s} {'gap':30s} {'identified':10s}  "
                  f"{'new benchmark':22s} all benchmarks\n")
    for _, r in rows.iterrows():
        gap, n, new, every = _text_cells(r)
        group = str(r["group"]).removeprefix("category:")
        if fmt == "markdown":
            out.write(f"| {group} | {r['direction']} | {gap} | {n} | {new} | {every} |\n")
        else:
            out.write(f"{group:28s} {r['direction']:9s} {gap:30s} {n:10s}  {new:22s} "
                      f"{every}\n")


def _cell(row: pd.Series) -> str:
    return (f"{row['median']:5.1f} [{row['eti50_lo']:5.1f}, {row['eti50_hi']:5.1f}]"
            f" [{row['eti90_lo']:5.1f}, {row['eti90_hi']:5.1f}]")


def _direction_cell(row: pd.Series) -> str:
    """Return a benchmark's gap in one direction, or why its scores no longer inform it."""
    if "identified" in row and not bool(row["identified"]):
        from gapbayes.model.saturation import OUTSIDE_DATA

        if row["reason"] == OUTSIDE_DATA:
            return f"not identified ({OUTSIDE_DATA})"
        side = "open" if row["direction"] == "backward" else "closed"
        return (f"not identified ({row['reason']}: {side} frontier at "
                f"{row[f'{side}_position']:.2f} of the range)")
    return _cell(row)


def print_benchmarks(loaded, fmt: str = "text", out=None) -> None:
    """Print every benchmark's backward and forward gap at the named dates.

    A backward gap is "not identified" where the open frontier's expected score sits at the
    benchmark's ceiling (saturated) or floor, a forward gap where the closed frontier's does,
    and either where a date it compares lies outside its category's data
    (:mod:`gapbayes.model.saturation`); forward gaps at the window's last month lie past the
    last open release and are forecasts.
    """
    out = out or sys.stdout
    table = loaded.tables.get("benchmark_gaps")
    if table is None or table.empty:
        table = vector_tables(loaded)["benchmark_gaps"]
    if "identified" in table:
        table = table.assign(identified=table["identified"].astype(str) == "True")
    if fmt == "json":
        json.dump({"result": loaded.manifest["name"], "benchmark_gaps":
                   table.to_dict("records")}, out, indent=2, default=str)
        out.write("\n")
        return
    if fmt == "csv":
        table.to_csv(out, index=False, float_format="%.3f")
        return
    back = table[table["direction"] == "backward"].set_index(["benchmark", "date"])
    fwd = table[table["direction"] == "forward"].set_index(["benchmark", "date"])
    if fmt == "markdown":
        out.write("| benchmark | date | backward | forward |\n|---|---|---|---|\n")
    else:
        out.write("Gap by benchmark in months (posterior median, 50% and 90% equal-tailed "
                  "intervals); forward gaps at the last month are forecasts.\n")
        out.write(f"{'benchmark':34s} {'date':16s} {'backward-looking':32s} forward-looking\n")
    for key, b in back.iterrows():
        f = fwd.loc[key]
        name, date = b["name"], key[1]
        forward = _direction_cell(f)
        if str(date).startswith("last") and forward[:1] != "n":
            forward += " forecast"
        if fmt == "markdown":
            out.write(f"| {name} | {date} | {_direction_cell(b)} | {forward} |\n")
        else:
            out.write(f"{name[:34]:34s} {date:16s} {_direction_cell(b):32s} {forward}\n")
    if "identified" in table:
        last = back[[str(d).startswith("last") for d in back.index.get_level_values("date")]]
        n_out = int((~last["identified"]).sum())
        if fmt == "text":
            out.write(f"\n{n_out} of {len(last)} benchmarks no longer discriminate at the open "
                      "frontier in the last month; their gaps come from the latent curves, "
                      "not from their own scores.\n")
