"""The peer estimators' numbers as table rows: read from their summary.json, printed alike.

Every estimate becomes a :class:`PeerRow` with one :class:`Cell` at the last month of the data
and one near 2025-01-20. A cell's value may be infinite: +inf is a Kaplan-Meier median that was
not reached (more than half of the levels still unmatched), -inf an open running best above
every closed model (ECI-style gap "open ahead"); both print as words, never as numbers.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass

import pandas as pd

DESCRIPTIONS = {
    "threshold": "backward-looking, months: per benchmark threshold, first open minus first "
                 "closed crossing date, dated at the open release, kernel-smoothed "
                 "(Ihle 2026; published benchmarks, private and public pooled)",
    "eci": "backward-looking, months: t minus the date the closed running-best ability first "
           "reached the open running best at t (ECI-style item-response abilities)",
    "censored": "forward-looking, months: Kaplan-Meier median time until an open model matches "
                "a closed frontier level, unmatched levels right-censored; at a date: levels "
                "set in the year up to it",
    "posterior backward": "backward-looking, months: the fit's latent open frontier equals the "
                          "closed frontier this long before",
    "posterior forward": "forward-looking, months: until the fit's open frontier reaches the "
                         "closed frontier's level at the date",
}
LABELS = {"threshold": "threshold", "eci": "ECI-style", "censored": "censored (KM)",
          "posterior backward": "posterior backward", "posterior forward": "posterior forward"}
HEADER = ("Open-weight gap in months. Peers: full-data estimate [90% bootstrap interval]; "
          "posterior: median [90% ETI]. n.r. = median not reached (censored).")


@dataclass(frozen=True)
class Cell:
    """One estimate: value and 90% bounds (NaN: none, +inf: not reached, -inf: open ahead)."""

    date: str
    value: float
    lo: float = math.nan
    hi: float = math.nan
    note: str = ""

    def text(self) -> str:
        """Return ``7.5 [6.6, 8.3] at 2026-02-06`` (words for infinite or missing values)."""
        if math.isnan(self.value):
            core = "n/a"
        else:
            core = _num(self.value)
            if not (math.isnan(self.lo) and math.isnan(self.hi)):
                core += f" [{_num(self.lo)}, {_num(self.hi)}]"
        note = f" ({self.note})" if self.note else ""
        return f"{core} at {self.date}{note}"

    def record(self) -> dict:
        """Return the cell as JSON-ready values (infinite and NaN become null plus a flag)."""
        out = asdict(self)
        for k in ("value", "lo", "hi"):
            v = out[k]
            out[k] = None if not math.isfinite(v) else v
            if v == math.inf:
                out[f"{k}_not_reached"] = True
            elif v == -math.inf:
                out[f"{k}_open_ahead"] = True
        return out


@dataclass(frozen=True)
class PeerRow:
    """One method's estimates at the last month and near 2025-01-20."""

    method: str
    source: str
    last: Cell | None
    near: Cell | None

    @property
    def label(self) -> str:
        """Display name."""
        return LABELS.get(self.method, self.method)


def _num(x: float) -> str:
    if x == math.inf:
        return "n.r."
    if x == -math.inf:
        return "open ahead"
    return "n/a" if math.isnan(x) else f"{x:.1f}"


def _f(x: object) -> float:
    """JSON number or null -> float (null -> NaN)."""
    return math.nan if x is None else float(x)


def threshold_row(summary: dict, source: str, group: str = "all") -> PeerRow:
    """Return the threshold method's row from its summary.json (the ``group`` curve)."""
    g = summary["groups"][group]

    def cell(p: dict | None) -> Cell | None:
        if p is None:
            return None
        note = "" if p["gap"] is not None else "kernel n_eff < 2"
        return Cell(p["date"], _f(p["gap"]), _f(p["lo90"]), _f(p["hi90"]), note)

    return PeerRow("threshold", source, cell(g["last"]), cell(g["near_2025_01_20"]))


def eci_cell(p: dict | None) -> Cell | None:
    """Return an ECI-style summary point as a cell (open ahead: -inf)."""
    if p is None:
        return None
    ahead = set(p["open_ahead"])
    vals = [-math.inf if k in ahead else _f(p[k]) for k in ("gap", "lo90", "hi90")]
    return Cell(p["date"], *vals)


def eci_row(summary: dict, source: str) -> PeerRow:
    """Return the ECI-style row from its summary.json."""
    return PeerRow("eci", source, eci_cell(summary["last"]), eci_cell(summary["near_2025_01_20"]))


def median_cell(m: dict | None, date: str) -> Cell | None:
    """Return a censored-estimator median (summary ``medians`` entry) as a cell."""
    if m is None:
        return None
    inf = set(m["not_reached"])
    vals = [math.inf if k in inf else _f(m[k]) for k in ("median", "lo90", "hi90")]
    note = f"{m['n_levels']} levels, {m['n_censored']} censored"
    if m["too_few_levels"]:
        note = f"too few levels: {m['n_levels']}"
    elif vals[0] == math.inf:
        note += f"; median > {m['max_months']:.1f}"
    return Cell(date, *vals, note=note)


def censored_row(summary: dict, source: str) -> PeerRow:
    """Return the censored row: medians over the levels of the year up to each date."""
    med = summary["medians"]
    near = med.get("near_2025_01_20")
    return PeerRow("censored", source, median_cell(med["last"], med["last"]["window"][1]),
                   median_cell(near, near["window"][1]) if near else None)


def eci_lines(summary: dict) -> list[str]:
    """Return the printed summary of an ECI-style result (counts, dates, Epoch-window mean)."""
    n = summary["n_models"]
    par = summary["parameters"]
    lines = [f"ECI-style gap: abilities of {n['fitted']} models ({n['open']} open, "
             f"{n['closed']} closed) on {summary['n_benchmarks']} benchmarks, "
             f"{summary['n_scores']} scores; {par['n_bootstrap']} benchmark-bootstrap refits"]
    for key, label in (("last", "last month "), ("near_2025_01_20", "~2025-01-20")):
        p = summary[key]
        if p is not None:
            lines.append(f"  {label}: {eci_cell(p).text()} (open {p['open_model']}, "
                         f"closed {p['closed_model']})")
    lines.append("  " + eci_mean_line(summary))
    skipped = summary["skipped_benchmarks"]
    if skipped:
        lines.append("  skipped benchmarks: " + "; ".join(f"{b} ({why})"
                                                          for b, why in skipped.items()))
    return lines


def eci_mean_line(summary: dict) -> str:
    """Return the ECI-style mean over Epoch's window next to Epoch's published number."""
    w = summary["epoch_window_mean"]
    mean = Cell(w["until"], _f(w["gap"]), _f(w["lo90"]), _f(w["hi90"]))
    return (f"ECI-style mean gap over the levels both curves reached {w['since']}..{w['until']}: "
            f"{mean.text().rsplit(' at ', 1)[0]} (published: {w['published']})")


def censored_lines(summary: dict) -> list[str]:
    """Return the printed summary of a censored result: medians overall, by era and by date."""
    med = summary["medians"]
    lines = [f"Censored time-to-match: {summary['n_levels']} closed frontier levels, "
             f"{summary['n_censored']} unmatched (censored) at {summary['data_end']}; "
             f"{summary['parameters']['n_bootstrap']} bootstrap replicates"]
    named = [("all", "all levels", summary["data_end"]),
             ("before_2025", "set before 2025", summary["data_end"]),
             ("from_2025", "set from 2025", summary["data_end"])]
    named += [(k, f"set in the year to {med[k]['window'][1]}", med[k]["window"][1])
              for k in ("last", "near_2025_01_20") if med.get(k)]
    for key, label, date in named:
        cell = median_cell(med[key], date)
        lines.append(f"  {label + ':':33s} {cell.text().replace(f' at {date}', '')}")
    return lines


def posterior_rows(gap_at_dates: pd.DataFrame, source: str) -> list[PeerRow]:
    """Return the fit's overall backward and forward rows from its ``gap_at_dates`` table."""
    t = gap_at_dates[gap_at_dates["group"] == "overall"]
    rows = []
    for direction in ("backward", "forward"):
        sel = t[t["direction"] == direction]
        last = sel[sel["date"].astype(str).str.startswith("last")]
        near = sel[sel["date"].astype(str) == "2025-01-20"]

        def cell(r: pd.DataFrame) -> Cell | None:
            if r.empty:
                return None
            x = r.iloc[0]
            forecast = bool(x.get("forecast", False)) and str(x.get("forecast")) != "False"
            return Cell(str(x["date"]), float(x["median"]), float(x["eti90_lo"]),
                        float(x["eti90_hi"]), "forecast" if forecast else "")

        rows.append(PeerRow(f"posterior {direction}", source, cell(last), cell(near)))
    return rows


def format_rows(rows: list[PeerRow], fmt: str = "text", notes: list[str] | None = None,
                out=None) -> None:
    """Print ``rows`` as text, markdown or json, with the one-line descriptions and ``notes``."""
    out = out or sys.stdout
    notes = notes or []
    if fmt == "json":
        json.dump({"header": HEADER, "rows": [
            {"method": r.method, "label": r.label, "source": r.source,
             "measures": DESCRIPTIONS.get(r.method, ""),
             "last": r.last.record() if r.last else None,
             "near_2025_01_20": r.near.record() if r.near else None} for r in rows],
            "notes": notes}, out, indent=2)
        out.write("\n")
        return
    cells = [(r.label, r.last.text() if r.last else "n/a", r.near.text() if r.near else "n/a")
             for r in rows]
    if fmt == "markdown":
        out.write(f"{HEADER}\n\n| method | last month of the data | near 2025-01-20 |\n"
                  "|---|---|---|\n")
        out.writelines(f"| {a} | {b} | {c} |\n" for a, b, c in cells)
        out.write("\n")
        out.writelines(f"- **{r.label}**: {DESCRIPTIONS.get(r.method, '')}\n" for r in rows)
        # An indented note continues the one above it: a nested bullet.
        out.writelines(f"{'  ' if n[:1].isspace() else ''}- {' '.join(n.split())}\n"
                       for n in notes)
        return
    w = max(len(c[1]) for c in cells) + 2
    out.write(HEADER + "\n")
    out.write(f"{'method':20s}{'last month of the data':{w}s}near 2025-01-20\n")
    out.writelines(f"{a:20s}{b:{w}s}{c}\n" for a, b, c in cells)
    out.write("\n")
    out.writelines(f"{r.label:20s}{DESCRIPTIONS.get(r.method, '')}\n" for r in rows)
    out.write("\n")
    out.writelines(f"{n}\n" for n in notes)
