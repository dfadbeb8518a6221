"""Figures of the gap as a vector: per category and benchmark, and per category over time.

- ``gap_vector.png/.svg``: one row per category and per benchmark (display names) at the
  window's last month: median, 50% and 90% equal-tailed intervals (ETI); a category's new
  benchmark interval under its row; benchmarks whose gap is not identified (saturated, at
  the floor, or outside its category's data) drawn hollow and labelled, categories without
  an identified benchmark labelled.
- ``gap_by_category.png/.svg``: each category's gap over time (small multiples), the mean over
  its identified benchmarks with the new-benchmark 90% interval, months where no benchmark of
  the category is identified shaded.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gapbayes.reporting import plot_helpers as ph
from gapbayes.reporting.plot_helpers import CATEGORY_COLOR

NEW_COLOR = "#e08214"
HOLLOW = "white"
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def category_label(group: str) -> str:
    """``category:coding_agentic`` -> ``Coding agentic``."""
    name = str(group).removeprefix("category:").replace("_", " ")
    return name[:1].upper() + name[1:]


def _quantiles(da: xr.DataArray) -> np.ndarray:
    """(5, ...) quantiles over the draws; NaN where every draw is NaN."""
    x = da.stack(sample=("chain", "draw")).transpose("sample", ...).values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(x, QUANTILES, axis=0)


def vector_rows(post: xr.Dataset, data, direction: str = "backward") -> pd.DataFrame:
    """Rows of the gap-vector figure at the last named date: categories, then benchmarks.

    Columns: ``label`` (display name), ``kind`` (category / new / benchmark), the five
    quantiles ``q05 q25 q50 q75 q95``, ``identified`` and ``note``.
    """
    names = list(getattr(data, "bench_names", data.bench_ids))
    at = post["gap_identified_at_date"].sel(direction=direction).isel(date=-1)
    count = at["n_identified_at_date"].values
    q_group = _quantiles(at.reset_coords(drop=True))
    groups = [str(g) for g in at["group"].values]
    has_new = "gap_new_benchmark_at_date" in post
    if has_new:
        q_new = _quantiles(post["gap_new_benchmark_at_date"].sel(direction=direction)
                           .isel(date=-1))
    per = post["gap_benchmark"].sel(direction=direction).isel(date=-1)
    q_bench = _quantiles(per)
    side = 0 if direction == "backward" else 1
    pos = np.median(post["benchmark_position"].isel(date=-1).stack(
        sample=("chain", "draw")).transpose("sample", ...).values[:, :, side], axis=0)
    from gapbayes.model.saturation import CEILING, FLOOR, OUTSIDE_DATA
    coords = post["gap_benchmark"].coords
    in_data = (coords["in_category_data"].sel(direction=direction).isel(date=-1).values
               .astype(bool) if "in_category_data" in coords else None)

    def row(label, kind, q, identified=True, note=""):
        return {"label": label, "kind": kind, **dict(zip(("q05", "q25", "q50", "q75", "q95"),
                                                         map(float, q), strict=True)),
                "identified": identified, "note": note}

    rows = []
    for g, group in enumerate(groups):
        if not group.startswith("category:"):
            continue
        c = list(data.category_names).index(group.removeprefix("category:"))
        members = np.flatnonzero(np.asarray(data.bench_category) == c)
        n = int(count[g])
        note = "" if n else "not identified: no benchmark discriminates"
        rows.append(row(f"{category_label(group)} ({n} of {len(members)} identified)",
                        "category", q_group[:, g], n > 0, note))
        if has_new:
            rows.append(row("  new benchmark of the category", "new", q_new[:, g]))
        for b in members:
            ok = bool(np.isnan(pos[b]) or FLOOR <= pos[b] <= CEILING)
            why = "" if ok else ("not identified (saturated)" if pos[b] > CEILING
                                 else "not identified (at the floor)")
            if ok and in_data is not None and not in_data[b]:
                ok, why = False, f"not identified ({OUTSIDE_DATA})"
            rows.append(row(f"  {names[b]}", "benchmark", q_bench[:, b], ok, why))
    return pd.DataFrame(rows)


def _row_marks(ax: Axes, y: float, r: pd.Series, color: str) -> None:
    ax.plot([r["q05"], r["q95"]], [y, y], color=color, lw=1.2, solid_capstyle="butt")
    ax.plot([r["q25"], r["q75"]], [y, y], color=color, lw=4.5, alpha=0.55,
            solid_capstyle="butt")
    ax.plot([r["q50"]], [y], ls="", marker="o", ms=6.5, mec=color, mew=1.5,
            mfc=color if r["identified"] else HOLLOW, zorder=3)


def gap_vector_figure(post: xr.Dataset, data, date_label: str) -> Figure:
    """Gap per category and benchmark at the last month (see the module docstring)."""
    rows = vector_rows(post, data)
    n = len(rows)
    fig = Figure(figsize=(11, 0.27 * n + 2.2), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    hi = np.nanmax(rows[["q95"]].values) if rows["q95"].notna().any() else 1.0
    for yy, (_, r) in zip(y, rows.iterrows(), strict=True):
        color = {"category": CATEGORY_COLOR, "new": NEW_COLOR}.get(r["kind"], "0.25")
        if r["kind"] == "category":
            ax.axhspan(yy - 0.5, yy + 0.5, color=CATEGORY_COLOR, alpha=0.07, lw=0)
        if np.isfinite(r["q50"]):
            _row_marks(ax, yy, r, color)
        if r["note"]:
            x = r["q95"] if np.isfinite(r["q95"]) else 0.0
            ax.text(x + 0.01 * hi + 0.3, yy, r["note"], va="center", fontsize=8.5,
                    color="#b2182b")
    ax.set_yticks(y, rows["label"].tolist(), fontsize=9)
    for tick, kind in zip(ax.get_yticklabels(), rows["kind"], strict=True):
        if kind == "category":
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, n - 0.3)
    ax.axvline(0.0, color="0.2", lw=0.9, ls="--")
    ax.grid(axis="x", alpha=0.3, lw=0.6)
    ax.set_xlabel("Backward-looking gap (months)")
    ax.set_xlim(right=hi * 1.45 + 1.0)
    handles = [
        Line2D([], [], color="0.25", lw=4.5, alpha=0.55, label="50% ETI"),
        Line2D([], [], color="0.25", lw=1.2, label="90% ETI"),
        Line2D([], [], ls="", marker="o", mfc="0.25", mec="0.25", label="median, identified"),
        Line2D([], [], ls="", marker="o", mfc=HOLLOW, mec="0.25",
               label="median, not identified (gap from the latent curves only)"),
        Line2D([], [], color=NEW_COLOR, lw=1.2, label="a new benchmark of the category"),
        Patch(facecolor=CATEGORY_COLOR, alpha=0.25,
              label="category: equal weight over its identified benchmarks"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8.5,
               frameon=False)
    fig.suptitle(f"The gap as a vector: each category and benchmark at {date_label}",
                 fontweight="bold")
    return fig


def gap_by_category_figure(frame: pd.DataFrame, data, points: pd.DataFrame | None
                           ) -> Figure | None:
    """Backward gap per benchmark category over time, one panel each (None without any).

    ``frame`` is the backward part of ``gap_over_time`` (with a ``date`` column). With the
    gap-vector columns the panel shows the mean over the identified benchmarks, the new
    benchmark's 90% interval and shades months where none is identified.
    """
    groups = [g for g in dict.fromkeys(frame["group"]) if str(g).startswith("category:")]
    if not groups:
        return None
    ncols = 2 if len(groups) <= 4 else 3
    nrows = int(np.ceil(len(groups) / ncols))
    fig = Figure(figsize=(5.2 * ncols, 3.7 * nrows + 1.2), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    overall = frame[frame["group"] == "overall"]
    pts = ph._baseline_in_window(points, frame)
    bench_cat = {b: data.category_names[c] for b, c in zip(data.bench_ids, data.bench_category,
                                                              strict=True)}
    vector = "n_identified" in frame
    for ax, group in zip(axes, groups, strict=False):
        name = str(group).removeprefix("category:")
        sel = frame[frame["group"] == group]
        ph._scatter_baseline(ax, pts[pts["benchmark_id"].map(bench_cat) == name])
        if not overall.empty:
            ax.plot(overall["date"], overall["median"], color="0.45", lw=1.2, ls=":",
                    label="All benchmarks (median)")
        new = sel.get("new_benchmark_eti90_lo")
        if new is not None and new.notna().any():
            for edge in ("new_benchmark_eti90_lo", "new_benchmark_eti90_hi"):
                ax.plot(sel["date"], sel[edge], color=NEW_COLOR, lw=1.0, ls=(0, (4, 2)),
                        label="New benchmark: 90% ETI" if edge.endswith("lo") else None)
        ph.draw_band(ax, sel, CATEGORY_COLOR, "Category (median)")
        n_bench = sum(c == name for c in bench_cat.values())
        title = f"{category_label(group)} ({n_bench} benchmark{'s' * (n_bench != 1)}"
        if vector:
            off = sel[sel["n_identified"] == 0]["date"]
            for d in off:
                ax.axvspan(d - pd.Timedelta(days=15), d + pd.Timedelta(days=16), color="0.85",
                           lw=0, zorder=0)
            title += f"; {int(sel['n_identified'].iloc[-1])} identified at the end"
        ax.set_title(title + ")", fontsize=11)
        ph._finish_gap_axes(ax, frame)
    ph.finish_grid(axes, len(groups), ncols, "Date")
    for ax in axes[::ncols]:
        ax.set_ylabel("Gap (months)")
    handles = axes[0].get_legend_handles_labels()[0] + ph.band_handles()
    if vector:
        handles.append(Patch(facecolor="0.85", label="No benchmark of the category identified"))
    handles += ph._baseline_handles(pts[pts["benchmark_id"].isin(bench_cat)])
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4),
               fontsize=9, frameon=False)
    what = ("mean over the category's identified benchmarks" if vector
            else "mean over the category's benchmarks")
    fig.suptitle(f"Backward-looking gap of open-weight models by benchmark category ({what})",
                 fontweight="bold")
    return fig
