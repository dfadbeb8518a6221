"""``gapbayes data info``: plain-text counts of the tidy tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from gapbayes.data.defaults import start_date_note
from gapbayes.data.schema import REASONS
from gapbayes.data.tidy import load_tidy, read_tables

COUNTRY_GROUPS = ("China", "USA", "other", "unknown")


def country_group(models: pd.DataFrame) -> pd.Series:
    """Return China / USA / other / unknown per model (China if any listed country is)."""
    country = models["country"]
    group = pd.Series("other", index=models.index, dtype="str")
    group = group.mask(country == "", "unknown")
    group = group.mask(country.str.startswith("United States"), "USA")
    return group.mask(models["chinese"], "China")


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[object]], indent: int = 2
) -> list[str]:
    """Align ``rows`` under ``header``: first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(header))]
    out = []
    for r in cells:
        parts = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        out.append(" " * indent + "  ".join(parts).rstrip())
    return out


def _crosstab(
    rows: pd.Series, cols: pd.Series, row_order: Sequence[str], col_order: Sequence[str]
) -> list[list[object]]:
    tab = pd.crosstab(rows, cols).reindex(index=row_order, columns=col_order, fill_value=0)
    out: list[list[object]] = [[r, *tab.loc[r].tolist(), int(tab.loc[r].sum())] for r in row_order]
    out.append(["total", *tab.sum().tolist(), int(tab.to_numpy().sum())])
    return out


def info_lines(data_dir: Path | None = None) -> list[str]:
    """Return the report printed by ``gapbayes data info`` for the tables of ``data_dir``."""
    tidy = load_tidy(data_dir)
    extra, _, _ = read_tables(tidy.tidy_dir, ("unclassified", "dropped_models"))
    models, bench, scores = tidy.models, tidy.benchmarks, tidy.scores
    out = [f"tidy tables: {tidy.tidy_dir}  (data hash {tidy.data_hash})", ""]

    out.append(f"models: {len(models)}  (dropped as unreleased: {len(extra['dropped_models'])})")
    out += format_table(
        ["access", *COUNTRY_GROUPS, "total"],
        _crosstab(
            models["access"], country_group(models), ["open", "closed", "unknown"], COUNTRY_GROUPS
        ),
    )
    sources = models["access_source"].value_counts().sort_index()
    out.append("  access decided by: " + ", ".join(f"{k} {v}" for k, v in sources.items()))
    dated = models["release_date"].dropna()
    if len(dated):
        out.append(
            f"  release dates: {dated.min():%Y-%m-%d} to {dated.max():%Y-%m-%d} "
            f"({len(dated)} dated, {len(models) - len(dated)} undated)"
        )
    if note := start_date_note(models):
        out.append("  " + note)
    out.append("")

    active = bench[~bench["exclude"]]
    out.append(
        f"benchmarks: {len(bench)}  ({int(bench['exclude'].sum())} excluded, "
        f"{int(active['published'].sum())} of the published analysis)"
    )
    cats = sorted(active["category"].unique())
    out += format_table(
        ["category", "public", "private", "total"],
        _crosstab(active["category"], active["access_type"], cats, ["public", "private"]),
    )
    out.append("")

    info = models.set_index("model_id")
    access = scores["model_id"].map(info["access"])
    usable = access.isin(["open", "closed"]) & scores["model_id"].map(info["release_date"]).notna()
    out.append(
        f"scores: {len(scores)} total, {int(usable.sum())} usable (known access and "
        f"release date): {int((usable & (access == 'open')).sum())} open, "
        f"{int((usable & (access == 'closed')).sum())} closed"
    )
    out.append(
        f"  self-reported {int(scores['self_reported'].sum())}, third-party host "
        f"{int(scores['third_party_host'].sum())}"
    )
    used_dates = scores.loc[usable, "model_id"].map(info["release_date"])
    if len(used_dates):
        out.append(
            f"  usable scores span releases {used_dates.min():%Y-%m-%d} to "
            f"{used_dates.max():%Y-%m-%d}"
        )
    out.append("")

    out.append(
        "score rows per benchmark (raw rows not in scores.csv, and rows in it that are not usable):"
    )
    un = extra["unclassified"].pivot_table(
        index="benchmark_id", columns="reason", values="rows", aggfunc="sum", fill_value=0
    )
    reasons = [r for r in REASONS if r in un.columns]
    n_scores = scores.groupby("benchmark_id").size()
    n_usable = scores[usable].groupby("benchmark_id").size()
    rows = []
    for bid in active["benchmark_id"]:
        counts = [int(un.at[bid, r]) if bid in un.index else 0 for r in reasons]
        rows.append([bid, int(n_scores.get(bid, 0)), int(n_usable.get(bid, 0)), *counts])
    rows.append(["total", len(scores), int(usable.sum()), *(int(un[r].sum()) for r in reasons)])
    out += format_table(["benchmark", "scores", "usable", *reasons], rows)
    return out
