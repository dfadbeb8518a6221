"""The result of a model comparison: its table, the gaps side by side, text and figure.

:func:`gapbayes.comparison.compare.compare_fits` fills a :class:`ComparisonResult`; this module
renders it (text, markdown, csv, json), draws ``compare.png`` and writes the folder's tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.errors import GapbayesError

GAP_GROUPS = ("overall", "private", "public")
INTERVALS = "posterior median, 50% and 90% equal-tailed intervals (ETI)"
SCORE_NOTE = ("compared on the score likelihood only (y_sig + y_lin, one observation per "
              "score); the selection spec's 'evaluated' likelihood models extra data and is "
              "left out")


@dataclass
class ComparisonResult:
    """The comparison of several fits on the same data.

    Attributes
    ----------
    table
        One row per spec, best first: elpd (of ``criterion``), its se, elpd difference to the
        best and its se, stacking weight, PSIS-LOO elpd/se/p, Pareto-k counts, the gap at the
        last data month per access group, diagnostics verdict and the fit folder.
    gaps
        Long table: spec, group, date, direction and the gap's median and ETIs (months).
    criterion
        ``psis-loo`` or ``kfold-<k>``.
    data
        Label, hash, benchmarks and number of scores the fits share.
    warnings
        Lines to show the user (high Pareto k, failed diagnostics...).
    notes
        What was compared and how.
    pointwise
        One column of pointwise elpd per spec (rows: the design's observations).
    """

    table: pd.DataFrame
    gaps: pd.DataFrame
    criterion: str
    data: dict
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pointwise: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def last_date(self) -> str:
        """Label of the last-data-month date in the gap tables."""
        return next(d for d in self.gaps["date"].unique() if str(d).startswith("last"))

    @property
    def last_month(self) -> str:
        """The last data month, e.g. ``2026-03``."""
        return str(self.last_date).removeprefix("last").strip(" ()")

    def gap_wide(self, direction: str = "backward") -> pd.DataFrame:
        """Gaps side by side: rows (group, date), one 'median [90% ETI]' column per spec."""
        g = self.gaps[self.gaps["direction"] == direction]
        cell = eti_cells(g)
        wide = g.assign(cell=cell).pivot_table(index=["group", "date"], columns="spec",
                                               values="cell", aggfunc="first", sort=False)
        return wide[list(self.table["spec"])].reset_index()

    def format(self, fmt: str = "text") -> str:
        """Render the comparison as ``text``, ``markdown``, ``csv`` or ``json``."""
        if fmt != "text" and fmt != "markdown":
            return machine_format(fmt, self.table, self.as_dict)
        d = self.data
        head = (f"Model comparison on data '{d['label']}' {d['hash']} ({len(d['benchmarks'])} "
                f"benchmarks, {d['n_scores']} scores); criterion {self.criterion}, stacking "
                f"weights; {SCORE_NOTE}.")
        cols = ["spec", "elpd", "se", "elpd_diff", "dse", "weight",
                *(["elpd_loo", "se_loo"] if self.criterion != "psis-loo" else []),
                "p_loo", "k_gt_0.7", "k_gt_good"]
        shown = self.table[cols].copy()
        for g in GAP_GROUPS:
            if f"gap_{g}_median" in self.table:
                shown[f"gap_{g}"] = eti_cells(self.table, f"gap_{g}_")
        good = self.table["good_k"].iloc[0]
        gap_head = (f"gap at the last data month ({self.last_month}), backward-looking, months: "
                    "posterior median [90% ETI]")
        legend = (f"elpd/se: {self.criterion} expected log predictive density and its standard "
                  "error; elpd_diff/dse: difference to the best spec and its standard error; "
                  f"weight: stacking weight; k_gt_0.7 / k_gt_good: scores with PSIS Pareto k "
                  f"above 0.7 / above min(1 - 1/log10 S, 0.7) = {good:.2f}; gap_*: {gap_head}.")
        render = markdown_table if fmt == "markdown" else text_table
        out = [f"**{head}**" if fmt == "markdown" else head, "", render(shown), "", legend, "",
               "Gap in months, backward-looking: posterior median [90% equal-tailed interval]",
               "", render(self.gap_wide())]
        if self.notes:
            out += [""] + [f"note: {n}" for n in self.notes]
        if self.warnings:
            out += [""] + [f"warning: {w}" for w in self.warnings]
        return "\n".join(out) + "\n"

    def as_dict(self) -> dict:
        """Plain data (the JSON output)."""
        return {
            "criterion": self.criterion, "data": self.data, "compared": SCORE_NOTE,
            "intervals": INTERVALS, "table": self.table.to_dict("records"),
            "gaps": self.gaps.to_dict("records"), "warnings": self.warnings, "notes": self.notes,
        }

    def figure(self, path: Path) -> Path:
        """``compare.png``: gap at the last data month per spec, overall/private/public."""
        from matplotlib.figure import Figure

        from gapbayes.reporting.plots import GROUP_COLORS, GROUP_LABELS, save_figure

        g = self.gaps[(self.gaps["direction"] == "backward")
                      & (self.gaps["date"] == self.last_date)
                      & self.gaps["group"].isin(GAP_GROUPS)]
        specs = list(self.table["spec"])
        groups = [x for x in GAP_GROUPS if x in set(g["group"])]
        fig = Figure(figsize=(max(6.0, 1.5 + 0.75 * len(specs) * len(groups)), 4.6))
        ax = fig.add_subplot()
        width = 0.8 / max(len(groups), 1)
        for j, grp in enumerate(groups):
            rows = g[g["group"] == grp].set_index("spec").reindex(specs)
            x = np.arange(len(specs)) + (j - (len(groups) - 1) / 2) * width
            color = GROUP_COLORS.get(grp, "#606060")
            ax.vlines(x, rows["eti90_lo"], rows["eti90_hi"], color=color, lw=1.2)
            ax.vlines(x, rows["eti50_lo"], rows["eti50_hi"], color=color, lw=4.5)
            ax.plot(x, rows["median"], "o", color="white", mec=color, ms=5,
                    label=GROUP_LABELS.get(grp, grp))
        ax.set_xticks(np.arange(len(specs)), [
            f"{s}\nstacking weight {w:.2f}"
            for s, w in zip(specs, self.table["weight"], strict=True)])
        ax.set_xlim(-0.6, len(specs) - 0.4)
        ax.axhline(0, color="#b0b0b0", lw=0.8)
        month = self.last_month
        ax.set_ylabel(f"gap at {month} (months, backward-looking)")
        ax.set_title(f"Open-weight gap at the last data month ({month}) by spec\n"
                     "dot: posterior median; bars: 50% and 90% equal-tailed intervals",
                     fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, frameon=False, ncol=len(groups), loc="upper center",
                  bbox_to_anchor=(0.5, -0.16))
        fig.tight_layout()
        return save_figure(fig, Path(path).with_suffix(""))[0]

    def write(self, folder: Path) -> list[Path]:
        """Write comparison.csv, gaps.csv, pointwise_elpd.csv and compare.png into ``folder``."""
        folder = Path(folder)
        self.table.to_csv(folder / "comparison.csv", index=False, float_format="%.6g")
        self.gaps.to_csv(folder / "gaps.csv", index=False, float_format="%.6g")
        self.pointwise.to_csv(folder / "pointwise_elpd.csv", float_format="%.6g")
        self.figure(folder / "compare.png")
        return [folder / n for n in ("comparison.csv", "gaps.csv", "pointwise_elpd.csv",
                                     "compare.png")]


def _json_default(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else str(value)


def machine_format(fmt: str, table: pd.DataFrame, as_dict: Callable[[], dict]) -> str:
    """Render a result as ``csv`` (its table) or ``json`` (``as_dict()``).

    Raises
    ------
    GapbayesError
        Any other format.
    """
    if fmt == "csv":
        return table.to_csv(index=False, float_format="%.3f")
    if fmt == "json":
        return json.dumps(as_dict(), indent=2, default=_json_default) + "\n"
    raise GapbayesError(f"unknown format '{fmt}': use text, markdown, csv or json")


# Printed precision per column: elpd-scale numbers to 0.1, weights to 0.01.
DIGITS = {"weight": 2, "good_k": 2}


def _cell(column: str, x: Any) -> str:
    if isinstance(x, float | np.floating):
        return "" if np.isnan(x) else f"{x:.{DIGITS.get(column, 1)}f}"
    return str(x)


def eti_cells(frame: pd.DataFrame, prefix: str = "") -> pd.Series:
    """'median [eti90_lo, eti90_hi]' per row of ``frame`` (columns ``<prefix>median`` ...)."""
    return pd.Series([f"{m:.1f} [{lo:.1f}, {hi:.1f}]" for m, lo, hi in zip(
        frame[f"{prefix}median"], frame[f"{prefix}eti90_lo"], frame[f"{prefix}eti90_hi"],
        strict=True)], index=frame.index, dtype=object)


def text_table(frame: pd.DataFrame) -> str:
    """Plain-text table of ``frame``, floats rounded per :data:`DIGITS` (default 0.1)."""
    shown = frame.copy()
    for c in shown.columns:
        shown[c] = [_cell(c, x) for x in shown[c]]
    return shown.to_string(index=False)


def markdown_table(frame: pd.DataFrame) -> str:
    """GitHub markdown table of ``frame``, floats rounded like :func:`text_table`."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(_cell(c, x) for c, x in zip(frame.columns, row, strict=True))
              + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)
