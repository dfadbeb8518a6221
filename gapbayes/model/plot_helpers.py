"""Small figure helpers: draws as arrays, thinning, date axes, wrapped panel grids.

Shared by the fit figures (plots.py) and the check figures (plots_checks.py); both modules
import from here and not from each other.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from gapbayes.model.design import DAYS_PER_YEAR, ModelData

ACCESS_COLORS = {"closed": "#404040", "open": "#e66101"}
DPI = 150

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
    import pandas as pd

    from gapbayes.paths import tidy_dir

    path = tidy_dir() / "benchmarks.csv"
    try:
        table = pd.read_csv(path, usecols=["benchmark_id", "scale"])
    except (OSError, ValueError):
        return {}
    known = dict(zip(table["benchmark_id"], table["scale"], strict=True))
    return {b: str(known[b]) for b in data.bench_ids if isinstance(known.get(b), str)}
