"""``gapbayes summary --by``: the gap vector by access type, category or benchmark."""

from __future__ import annotations

import json
import sys

import pandas as pd

BY_CHOICES = ("access", "category", "benchmark")
ACCESS_GROUPS = ("overall", "private", "public")


def select_groups(gaps: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Rows of the group gap table for ``--by access`` or ``--by category`` (all for None)."""
    if by == "access":
        return gaps[gaps["group"].isin(ACCESS_GROUPS)]
    if by == "category":
        return gaps[gaps["group"].str.startswith("category:")]
    return gaps


def _cell(row: pd.Series) -> str:
    return (f"{row['median']:5.1f} [{row['eti50_lo']:5.1f}, {row['eti50_hi']:5.1f}]"
            f" [{row['eti90_lo']:5.1f}, {row['eti90_hi']:5.1f}]")


def _backward_cell(row: pd.Series) -> str:
    """Backward gap of a benchmark, or why its scores no longer inform it."""
    if "identified" in row and row["identified"] is False:
        return (f"not identified ({row['reason']}: open frontier at "
                f"{row['open_position']:.2f} of the range)")
    return _cell(row)


def print_benchmarks(loaded, fmt: str = "text", out=None) -> None:
    """Print every benchmark's backward and forward gap at the named dates.

    A backward gap is "not identified" where the open frontier's expected score sits at the
    benchmark's ceiling (saturated) or floor (:mod:`gapbayes.model.saturation`); forward gaps
    at the window's last month lie past the last open release and are forecasts.
    """
    from gapbayes.errors import GapbayesError

    out = out or sys.stdout
    table = loaded.tables.get("benchmark_gaps")
    if table is None or table.empty:
        raise GapbayesError(f"{loaded.folder}: this result has no per-benchmark gaps "
                            "(benchmark_gaps.csv); refit it with this version of gapbayes")
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
        forward = _cell(f) + (" forecast" if str(date).startswith("last") else "")
        if fmt == "markdown":
            out.write(f"| {name} | {date} | {_backward_cell(b)} | {forward} |\n")
        else:
            out.write(f"{name[:34]:34s} {date:16s} {_backward_cell(b):32s} {forward}\n")
    if "identified" in table:
        last = back[[str(d).startswith("last") for d in back.index.get_level_values("date")]]
        n_out = int((~last["identified"]).sum())
        if fmt == "text":
            out.write(f"\n{n_out} of {len(last)} benchmarks no longer discriminate at the open "
                      "frontier in the last month; their gaps come from the latent curves, "
                      "not from their own scores.\n")
