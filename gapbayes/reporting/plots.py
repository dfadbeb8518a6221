"""Figures of a fit result, written into ``<result>/plots/``.

- ``gap_by_access.png/.svg``: backward-looking gap over time, overall / private / public, with
  the threshold-crossing baseline's datapoints when available (the Bayesian counterpart of the
  published figure);
- ``gap_by_category.png/.svg``: the same per benchmark category, small multiples, and
  ``gap_vector.png/.svg``: each category and benchmark at the last month
  (:mod:`gapbayes.reporting.plots_vector`);
- ``lab_lags.png/.svg``: each lab's lag behind the closed frontier over time, when the fit has
  lab lags (:mod:`gapbayes.reporting.plots_lab`); ``lab_curves.png/.svg`` the same for the
  labs' typical-model curves when the fit has the ``lab_curves`` term;
- ``gap_forward_vs_backward.png``: overall backward- vs forward-looking gap;
- ``benchmark_curves.png``, ``rank_plots.png``, ``ppc.png``: how the model meets the data and
  how the sampler did (:mod:`gapbayes.reporting.plots_checks`).

Every band is an equal-tailed interval (ETI) over the posterior draws. Figures are built on
:class:`matplotlib.figure.Figure` directly (Agg canvas, no pyplot state), so nothing leaks
between calls and the output is deterministic.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gapbayes.model.design import ModelData
from gapbayes.reporting.plot_helpers import (  # noqa: F401  (GROUP_COLORS, CATEGORY_COLOR: public)
    BAND_ALPHA,
    BASELINE_COLUMNS,
    CATEGORY_COLOR,
    DPI,
    GROUP_COLORS,
    _baseline_handles,
    _baseline_in_window,
    _finish_gap_axes,
    _scatter_baseline,
    band_handles,
    draw_band,
    outline_handle,
)

GROUP_LABELS = {
    "overall": "All benchmarks",
    "private": "Private benchmarks",
    "public": "Public benchmarks",
}
FORWARD_COLOR = "#1b7837"
# Fixed salt for the ids matplotlib writes into SVGs: same figure, same bytes.
SVG_SALT = "gapbayes"
BASELINE_FILE = "datapoints.csv"


def save_figure(fig: Figure, base: Path, svg: bool = False) -> list[Path]:
    """Write ``base.png`` (and ``base.svg``); return the paths."""
    out = [base.with_suffix(".png")]
    if svg:
        out.append(base.with_suffix(".svg"))
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
        fig.savefig(out[0], dpi=DPI, facecolor="white")
        if svg:
            # No creation date in the SVG, so re-plotting the same result gives the same file.
            fig.savefig(out[1], facecolor="white", metadata={"Date": None})
    return out


def load_baseline_points(folder: str | Path) -> pd.DataFrame | None:
    """Read the baseline's ``datapoints.csv`` from ``folder``; None when there is none.

    ``open_date`` is parsed as a date; rows without a date or gap are dropped.
    """
    path = Path(folder) / BASELINE_FILE
    if not path.is_file():
        return None
    points = pd.read_csv(path)
    missing = [c for c in BASELINE_COLUMNS if c not in points.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    points["open_date"] = pd.to_datetime(points["open_date"], errors="coerce")
    return points.dropna(subset=["open_date", "gap_months"]).reset_index(drop=True)


# ---- gap over time --------------------------------------------------------------------------


def gap_intervals(
    dt: xr.DataTree, tables: dict[str, pd.DataFrame], direction: str
) -> pd.DataFrame:
    """Median and 50%/90% ETI of the gap per (group, month), with a ``date`` column.

    Taken from the result's ``gap_over_time`` table (so figure and CSV agree), computed from
    the posterior when the table is missing.
    """
    table = tables.get("gap_over_time")
    if table is not None and not table.empty and "direction" in table:
        frame = table[table["direction"] == direction].copy()
    else:
        from gapbayes.inference.diagnostics import interval_table

        frame = interval_table(dt["posterior"][f"gap_{direction}"])
    frame["month"] = frame["month"].astype(str)
    frame["date"] = pd.to_datetime(frame["month"], format="%Y-%m")
    return frame.sort_values(["group", "date"]).reset_index(drop=True)


def _last_value(frame: pd.DataFrame, group: str) -> str:
    row = frame[frame["group"] == group].iloc[-1]
    return (f"{row['median']:.1f} months (90% ETI {row['eti90_lo']:.1f} to "
            f"{row['eti90_hi']:.1f}) in {row['month']}")


def gap_by_access_figure(frame: pd.DataFrame, points: pd.DataFrame | None) -> Figure:
    """Backward gap over time for overall, private and public benchmarks (+ baseline).

    Only the private and public 50% bands are filled (two colours that stay apart where they
    overlap); every 90% band is drawn as its two bounds in the group's colour, and the legend
    sits under the axes, off the data.
    """
    fig = Figure(figsize=(11, 6.8), layout="constrained")
    ax = fig.add_subplot()
    pts = _baseline_in_window(points, frame)
    _scatter_baseline(ax, pts)
    for group, dash in (("private", (0, (5, 2))), ("public", (0, (1.5, 1.5))),
                        ("overall", (0, (4, 2)))):
        sel = frame[frame["group"] == group]
        if sel.empty:
            continue
        color = GROUP_COLORS[group]
        for edge in ("eti90_lo", "eti90_hi"):
            ax.plot(sel["date"], sel[edge], color=color, lw=1.0, ls=dash, alpha=0.9)
        if group != "overall":
            ax.fill_between(sel["date"], sel["eti50_lo"], sel["eti50_hi"], color=color,
                            alpha=0.22, lw=0)
        ax.plot(sel["date"], sel["median"], color=color, lw=2.6 if group == "overall" else 1.8,
                label=f"{GROUP_LABELS[group]} (posterior median)")
    handles = ax.get_legend_handles_labels()[0] + [
        Patch(facecolor=GROUP_COLORS["private"], alpha=0.22, label="Private: 50% ETI"),
        Patch(facecolor=GROUP_COLORS["public"], alpha=0.22, label="Public: 50% ETI"),
    ] + [Line2D([], [], color=GROUP_COLORS[g], lw=1.0, ls=d, label=f"{GROUP_LABELS[g]}: 90% ETI")
         for g, d in (("private", (0, (5, 2))), ("public", (0, (1.5, 1.5))),
                      ("overall", (0, (4, 2))))] + _baseline_handles(pts)
    handles += _shade_before_closed_data(ax, frame)
    _finish_gap_axes(ax, frame)
    ax.set_xlabel("Date (open model release month)")
    ax.set_ylabel("Gap (months)")
    fig.suptitle("How far open-weight models trail the closed frontier (backward-looking gap)",
                 fontweight="bold")
    weighting = (" Each group: equal weight over its benchmarks identified that month."
                 if "n_identified" in frame else "")
    ax.set_title(f"All benchmarks: {_last_value(frame, 'overall')}. Gap = months since the "
                 f"closed frontier stood at the open frontier's level.{weighting}",
                 fontsize=9.5, wrap=True)
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8.5,
               frameon=False)
    return fig


def _shade_before_closed_data(ax, frame: pd.DataFrame) -> list[Patch]:
    """Shade the months whose overall backward gap reads the closed curve before its data.

    There (``before_closed_data`` of the gap table) the closed curve is its prior
    extrapolation; returns the legend handle, or nothing when no month is flagged.
    """
    if "before_closed_data" not in frame:
        return []
    sel = frame[(frame["group"] == "overall") & frame["before_closed_data"].astype(bool)]
    if sel.empty:
        return []
    ax.axvspan(sel["date"].min(), sel["date"].max(), color="0.85", alpha=0.5, lw=0, zorder=0)
    return [Patch(facecolor="0.85", alpha=0.5,
                  label="Reads the closed curve before its first release (prior-led)")]


def gap_direction_figure(back: pd.DataFrame, fwd: pd.DataFrame) -> Figure:
    """Overall backward- vs forward-looking gap."""
    fig = Figure(figsize=(11, 5.8), layout="constrained")
    ax = fig.add_subplot()
    b = back[back["group"] == "overall"]
    f = fwd[fwd["group"] == "overall"]
    draw_band(ax, b, GROUP_COLORS["overall"], "Backward-looking (median)")
    draw_band(ax, f, FORWARD_COLOR, "Forward-looking (median)", ls="--", outline90=True)
    _finish_gap_axes(ax, b)
    ax.set_xlabel("Date")
    ax.set_ylabel("Gap (months)")
    ax.legend(handles=ax.get_legend_handles_labels()[0] + band_handles()
              + [outline_handle(FORWARD_COLOR, "Forward-looking")], loc="upper left",
              fontsize=9)
    fig.suptitle("Overall gap, backward- vs forward-looking (all benchmarks)",
                 fontweight="bold")
    if "forecast" in f and f["forecast"].any():
        first = pd.to_datetime(f.loc[f["forecast"], "month"]).min()
        ax.axvspan(first, pd.to_datetime(f["month"]).max(), color="0.85", alpha=0.5, lw=0,
                   zorder=0, label="Forward gap is a forecast")
        how = ("shaded months: the forward gap rests on the open curve's extrapolation past "
               "the last open release (a forecast)")
    elif "forecast" in f:
        how = "no month's forward gap rests on extrapolation"
    else:
        how = "beyond the last data month the gap is held at its last value"
    ax.set_title("Backward: months since closed models were at the open frontier's level. "
                 f"Forward: months until open models reach\ntoday's closed level ({how}). "
                 f"Forward at the end: {_last_value(fwd, 'overall')}.", fontsize=9)
    return fig


# ---- entry points -------------------------------------------------------------------------


def write_fit_plots(
    out_dir: Path,
    dt: xr.DataTree,
    data: ModelData,
    tables: dict[str, pd.DataFrame],
    baseline_points: pd.DataFrame | None = None,
) -> list[Path]:
    """Write every figure of a fit directly into ``out_dir``; return the paths written.

    Parameters
    ----------
    out_dir
        Existing folder for the figures.
    dt
        Posterior DataTree of the fit (with the derived gap variables).
    data
        The fit's :class:`~gapbayes.model.design.ModelData`.
    tables
        The result's summary tables (``gap_over_time`` is used when present).
    baseline_points
        The baseline's datapoints (``datapoints.csv``), overlaid on the gap figures.
    """
    from gapbayes.inference.fit_tables import gap_over_time, with_vector
    from gapbayes.reporting.plots_checks import (
        benchmark_curves_figure,
        ppc_figure,
        rank_figure,
    )
    from gapbayes.reporting.plots_lab import lab_lags_figure
    from gapbayes.reporting.plots_vector import gap_by_category_figure, gap_vector_figure

    if "matplotlib.pyplot" not in sys.modules:
        # arviz-plots draws through pyplot; without an interactive session pick the
        # non-interactive backend (an existing session keeps its own).
        matplotlib.use("Agg")
    # results written before the gap vector get it recomputed (their folder is not changed)
    post = with_vector(dt["posterior"].to_dataset(), data)
    table = tables.get("gap_over_time")
    if "gap_identified_backward" in post and (table is None or "n_identified" not in table):
        tables = {**tables, "gap_over_time": gap_over_time(post, data)}
    back = gap_intervals(dt, tables, "backward")
    fwd = gap_intervals(dt, tables, "forward")
    written = save_figure(gap_by_access_figure(back, baseline_points),
                          out_dir / "gap_by_access", svg=True)
    fig = gap_by_category_figure(back, data, baseline_points)
    if fig is not None:
        written += save_figure(fig, out_dir / "gap_by_category", svg=True)
    if "gap_identified_at_date" in post:
        label = str(post["gap_identified_at_date"]["date"].values[-1])
        written += save_figure(gap_vector_figure(post, data, label.removeprefix("last (")
                                                 .removesuffix(")")),
                               out_dir / "gap_vector", svg=True)
    fig = lab_lags_figure(post)
    if fig is not None:
        written += save_figure(fig, out_dir / "lab_lags", svg=True)
    fig = lab_lags_figure(post, "lab_curve_lag")
    if fig is not None:
        written += save_figure(fig, out_dir / "lab_curves", svg=True)
    written += save_figure(gap_direction_figure(back, fwd), out_dir / "gap_forward_vs_backward")
    written += save_figure(benchmark_curves_figure(dt, data), out_dir / "benchmark_curves")
    written += rank_figure(dt, out_dir / "rank_plots")
    fig = ppc_figure(dt, data)
    if fig is not None:
        written += save_figure(fig, out_dir / "ppc")
    if "prior_gap_over_time" in tables and "prior_predictive_scores" in tables:
        from gapbayes.model.prior_predictive import prior_predictive_figure

        fig = prior_predictive_figure(tables["prior_gap_over_time"], tables["gap_over_time"],
                                      tables["prior_predictive_scores"])
        written += save_figure(fig, out_dir / "prior_predictive")
    return written


def fit_plotter(baseline_dir: Path | None = None, log: Callable[[str], Any] = print
                ) -> Callable[[Path, xr.DataTree, Any, dict[str, pd.DataFrame]], None]:
    """Return the figure step a fit runs before publishing its folder (into ``<folder>/plots``).

    ``baseline_dir``: the threshold baseline's datapoints are overlaid when its summary is
    there (a damaged one is noted and left out).
    """
    def plot(folder: Path, dt: xr.DataTree, data: Any, tables: dict[str, pd.DataFrame]
             ) -> None:
        try:
            points = load_baseline_points(baseline_dir) if baseline_dir else None
        except ValueError as exc:
            log(f"note: baseline datapoints not overlaid ({exc})")
            points = None
        out = Path(folder) / "plots"
        out.mkdir(parents=True, exist_ok=True)
        write_fit_plots(out, dt, data, tables, points)

    return plot
