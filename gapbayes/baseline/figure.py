"""Figure of the threshold-crossing baseline, in the style of the published one.

One point per datapoint (coloured by benchmark, marker by private/public benchmark), the
smoothed private and public gaps with their 90% bootstrap bands, date on the horizontal axis and
gap in months on the vertical axis.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

if TYPE_CHECKING:
    from gapbayes.baseline.result import BaselineResult

#: Marker per benchmark access type.
MARKERS = {"private": "o", "public": "^"}
#: Line colour per smoothed group (dark enough to read over the coloured points).
LINE_COLORS = {"private": "#b2182b", "public": "#2166ac", "all": "#404040"}


def make_figure(result: BaselineResult, lines: tuple[str, ...] = ("private", "public")) -> Figure:
    """Return the baseline figure.

    Parameters
    ----------
    result
        Output of :func:`gapbayes.baseline.run.run_baseline`.
    lines
        Groups whose smoothed curves (with 90% bands) are drawn.
    """
    dp = result.datapoints
    bench = result.benchmarks.sort_values(["access_type", "name"])
    # tab20 has enough distinct colours for the 17 published benchmarks; order private first
    # so the legend reads as two blocks.
    cmap = mpl.colormaps["tab20"]
    colors = {b: cmap(i % 20) for i, b in enumerate(bench["benchmark_id"])}
    names = dict(zip(bench["benchmark_id"], bench["name"], strict=True))

    fig = Figure(figsize=(12, 6.5), layout="constrained")
    ax = fig.add_subplot()
    ax.axhline(0.0, color="0.3", lw=0.8, zorder=1)

    handles: list[Line2D | Patch] = []
    for access in ("private", "public"):
        block = bench[bench["access_type"] == access]
        if block.empty:
            continue
        handles.append(Patch(color="none", label=f"{access.capitalize()} benchmarks"))
        for bid in block["benchmark_id"]:
            pts = dp[dp["benchmark_id"] == bid]
            n = len(pts)
            ax.scatter(
                pts["open_date"],
                pts["gap_months"],
                s=36,
                marker=MARKERS.get(access, "o"),
                color=colors[bid],
                edgecolor="0.2",
                linewidth=0.5,
                alpha=0.85,
                zorder=3,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker=MARKERS.get(access, "o"),
                    color=colors[bid],
                    markeredgecolor="0.2",
                    markeredgewidth=0.5,
                    label=f"{names[bid]} ({n})",
                )
            )

    curves = result.curves
    handles.append(Patch(color="none", label="Smoothed gap (90% band)"))
    for group in lines:
        c = curves[curves["group"] == group]
        if c.empty or not np.isfinite(c["gap"].to_numpy(float)).any():
            continue
        color = LINE_COLORS.get(group, "0.2")
        ax.fill_between(c["date"], c["lo90"], c["hi90"], color=color, alpha=0.15, lw=0, zorder=2)
        ax.plot(c["date"], c["gap"], color=color, lw=2.2, zorder=4)
        n = result.summary["groups"].get(group, {}).get("n_datapoints", 0)
        handles.append(Line2D([], [], color=color, lw=2.2, label=f"{group} ({n} points)"))

    ax.xaxis.set_major_locator(mdates.AutoDateLocator())
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_xlabel("Release date of the open model")
    ax.set_ylabel("Gap in months (open release minus first closed release at the same score)")
    ax.grid(True, color="0.9", lw=0.6, zorder=0)
    params = result.summary["parameters"]
    who = "Chinese open-weight models" if params["chinese_only"] else "Open-weight models"
    ax.set_title(
        f"How far behind are open models? {who} vs closed, threshold-crossing baseline\n"
        f"{len(dp)} datapoints; Gaussian kernel sigma = {params['sigma_days']:g} days, "
        f"{params['n_bootstrap']} bootstrap resamples",
        fontsize=11,
    )
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
        borderaxespad=0.0,
        handletextpad=0.4,
    )
    # Block headers (invisible handles) in bold so the legend reads as three groups.
    for text, handle in zip(legend.get_texts(), handles, strict=True):
        if isinstance(handle, Patch):
            text.set_fontweight("bold")
    return fig


def save_figure(result: BaselineResult, stem: str | Path) -> list[Path]:
    """Write ``<stem>.png`` and ``<stem>.svg`` and return their paths.

    Metadata carrying the date or a random SVG id salt is fixed, so the same result gives the
    same files.
    """
    stem = Path(stem)
    fig = make_figure(result)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    with mpl.rc_context({"svg.hashsalt": "gapbayes-baseline"}):
        fig.savefig(paths[0], dpi=150, metadata={"Software": None})
        fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    return paths
