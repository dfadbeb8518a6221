"""Small figure helpers: draws as arrays, thinning, date axes, wrapped panel grids.

Shared by the fit figures (plots.py, plots_vector.py) and the check figures (plots_checks.py);
they import from here and not from each other. Also the gap-band drawing of the gap figures.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gapbayes.model.design import DAYS_PER_YEAR, ModelData

ACCESS_COLORS = {"closed": "#404040", "open": "#e66101"}
DPI = 150
GROUP_COLORS = {"overall": "#303030", "private": "#b2182b", "public": "#2166ac"}
CATEGORY_COLOR = "#5e3c99"
BASELINE_MARKERS = {"private": "o", "public": "^"}
BAND_ALPHA = {"eti90": 0.13, "eti50": 0.30}
BASELINE_COLUMNS = ("benchmark_id", "access_type", "open_date", "gap_months")


def stack_draws(da: xr.DataArray) -> np.ndarray:
    """(chain, draw, ...) -> (S, ...) numpy array."""
    return da.stack(sample=("chain", "draw")).transpose("sample", ...).values


def draw_index(n_samples: int, max_draws: int) -> np.ndarray:
    """Evenly spaced draw indices (at most ``max_draws``)."""
    return np.unique(np.linspace(0, n_samples - 1, min(n_samples, max_draws)).astype(int))


def to_dates(data: ModelData, t: np.ndarray) -> np.ndarray:
    """Years since ``data.origin`` -> datetime64 (for date axes)."""
    seconds = np.round(np.asarray(t, float) * DAYS_PER_YEAR * 86400.0).astype("int64")
    return np.datetime64(data.origin.to_datetime64(), "s") + seconds.astype("timedelta64[s]")


def date_axis(ax: Axes) -> None:
    """Date ticks on the x axis (call after plotting: the choice depends on the data span).

    Spans of 18 months or more get labelled years with unlabelled quarter ticks; shorter
    ones month labels, so the year is never missing from the axis.
    """
    lo, hi = ax.dataLim.intervalx
    if hi - lo >= 18 * 30.4:
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(4, 7, 10)))
    else:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))


def finish_grid(axes: np.ndarray, n: int, ncols: int, xlabel: str) -> None:
    """Hide the unused panels of a wrapped grid; label the x axis of the lowest panels.

    With ``sharex`` matplotlib hides the tick labels of every panel above another one, so a
    panel standing over an unused slot gets its tick labels back.
    """
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(0, n - ncols):n]:
        ax.set_xlabel(xlabel)
        ax.xaxis.set_tick_params(labelbottom=True)


def benchmark_units(data) -> dict[str, str]:
    """Return the unit of each benchmark's native score (``minutes``, ``elo`` ...), for axis labels.

    From the design's ``bench_scale`` when it has one; otherwise from the bundled tidy
    ``benchmarks.csv`` (``scale`` column) for the benchmark ids it knows. Missing: no entry.
    """
    scale = getattr(data, "bench_scale", None)
    if scale is not None:
        return {b: str(u) for b, u in zip(data.bench_ids, scale, strict=True) if u}
    from gapbayes.paths import tidy_dir

    path = tidy_dir() / "benchmarks.csv"
    try:
        table = pd.read_csv(path, usecols=["benchmark_id", "scale"])
    except (OSError, ValueError):
        return {}
    known = dict(zip(table["benchmark_id"], table["scale"], strict=True))
    return {b: str(known[b]) for b in data.bench_ids if isinstance(known.get(b), str)}


# ---- gap bands and baseline points (gap figures) ----------------------------------------


def draw_band(ax: Axes, frame: pd.DataFrame, color: str, label: str | None, lw: float = 2.0,
              ls: str = "-", outline90: bool = False) -> None:
    """Median line over the 50% and 90% ETI bands of one group.

    With ``outline90`` the 90% band is drawn as two thin lines instead of a fill, so a
    second series' bands stay readable underneath.
    """
    if outline90:
        for edge in ("eti90_lo", "eti90_hi"):
            ax.plot(frame["date"], frame[edge], color=color, lw=0.9, ls=(0, (4, 2)))
    else:
        ax.fill_between(frame["date"], frame["eti90_lo"], frame["eti90_hi"], color=color,
                        alpha=BAND_ALPHA["eti90"], lw=0)
    ax.fill_between(frame["date"], frame["eti50_lo"], frame["eti50_hi"], color=color,
                    alpha=BAND_ALPHA["eti50"], lw=0)
    ax.plot(frame["date"], frame["median"], color=color, lw=lw, ls=ls, label=label)


def outline_handle(color: str, what: str) -> Line2D:
    """Legend entry for a 90% band drawn as thin lines."""
    return Line2D([], [], color=color, lw=0.9, ls=(0, (4, 2)), label=f"{what}: 90% ETI bounds")


def band_handles() -> list[Patch]:
    """Legend entries explaining the shading."""
    return [
        Patch(facecolor="0.45", alpha=BAND_ALPHA["eti50"] + 0.1, label="50% ETI"),
        Patch(facecolor="0.45", alpha=BAND_ALPHA["eti90"], label="90% ETI"),
    ]


def _baseline_in_window(points: pd.DataFrame | None, frame: pd.DataFrame) -> pd.DataFrame:
    """Baseline datapoints whose open model falls inside the fit's months (others off-axis)."""
    if points is None or points.empty:
        return pd.DataFrame(columns=list(BASELINE_COLUMNS))
    lo, hi = frame["date"].min(), frame["date"].max() + pd.offsets.MonthEnd(1)
    return points[(points["open_date"] >= lo) & (points["open_date"] <= hi)]


def _scatter_baseline(ax: Axes, points: pd.DataFrame, color: str | None = None) -> None:
    for access, marker in BASELINE_MARKERS.items():
        sel = points[points["access_type"] == access]
        if not sel.empty:
            ax.scatter(sel["open_date"], sel["gap_months"], marker=marker, s=16, alpha=0.45,
                       color=color or GROUP_COLORS[access], edgecolor="none", zorder=2)


def _baseline_handles(points: pd.DataFrame, color: str | None = None) -> list[Line2D]:
    out = []
    for access, marker in BASELINE_MARKERS.items():
        n = int((points["access_type"] == access).sum())
        if n:
            out.append(Line2D([], [], ls="", marker=marker, ms=5, alpha=0.6,
                              color=color or GROUP_COLORS[access],
                              label=f"Baseline datapoint, {access} benchmark ({n})"))
    return out


def _finish_gap_axes(ax: Axes, frame: pd.DataFrame) -> None:
    ax.axhline(0.0, color="0.2", lw=0.9, ls="--", zorder=1)
    ax.set_xlim(frame["date"].min() - pd.Timedelta(days=10),
                frame["date"].max() + pd.Timedelta(days=40))
    ax.grid(alpha=0.25, lw=0.6)
    date_axis(ax)
