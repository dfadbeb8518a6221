"""One figure of the gap over time: a line or band per peer estimator and the fit's posterior.

Backward-looking estimates (threshold, ECI-style, posterior) are lines with their 90% bands,
dated at the date they describe. The censored estimator has no curve: each closed frontier level
is a point at the date it was set, at its time-to-match (forward-looking), hollow where no open
model has matched it yet (the true time is longer than the point shows).
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gapbayes import atomic

COLORS = {"threshold": "#404040", "eci": "#1b9e77", "censored": "#d95f02",
          "posterior": "#7570b3"}
#: File types the figure can be written as.
SUFFIXES = (".png", ".svg")
#: First date drawn: the default spec's start_date. Before it the data hold a few old models,
#: and the ECI-style curve's years-long swings would set the vertical scale.
FIGURE_START = pd.Timestamp("2022-01-01")


def _finite(x: pd.Series) -> np.ndarray:
    """Values as floats with the infinite ones (open ahead, not reached) blanked."""
    v = pd.to_numeric(x, errors="coerce").to_numpy(float)
    return np.where(np.isfinite(v), v, np.nan)


def _band(ax, dates, mid, lo, hi, color: str, label: str, **line) -> None:
    ax.fill_between(dates, _finite(lo), _finite(hi), color=color, alpha=0.15, lw=0, zorder=2)
    ax.plot(dates, _finite(mid), color=color, lw=2.0, label=label, zorder=4, **line)


def make_peers_figure(curves: dict[str, pd.DataFrame],
                      posterior: pd.DataFrame | None = None) -> Figure:
    """Return the figure.

    Parameters
    ----------
    curves
        :attr:`gapbayes.baseline.peers.Peers.curves`.
    posterior
        A fit's ``gap_over_time`` table (``group, month, direction, median, eti90_lo,
        eti90_hi``), or None.
    """
    fig = Figure(figsize=(11, 6), layout="constrained")
    ax = fig.add_subplot()
    ax.axhline(0.0, color="0.3", lw=0.8, zorder=1)
    curves = {k: v[pd.to_datetime(v["set_date" if k == "censored" else "date"]) >= FIGURE_START]
              for k, v in curves.items()}
    th = curves["threshold"]
    _band(ax, th["date"], th["gap"], th["lo90"], th["hi90"], COLORS["threshold"],
          "threshold crossing, pooled (backward, 90% bootstrap band)")
    eci = curves["eci"]
    _band(ax, eci["date"], eci["gap"], eci["lo90"], eci["hi90"], COLORS["eci"],
          "ECI-style running best (backward, 90% benchmark bootstrap)")
    lv = curves["censored"]
    matched = lv["matched"].astype(str).str.lower().eq("true").to_numpy()
    for mask, face, label in ((matched, COLORS["censored"], "censored: time-to-match of a "
                               "closed frontier level (forward)"),
                              (~matched, "none", "censored: not matched yet (at least)")):
        ax.scatter(lv["set_date"][mask], lv["months"][mask], s=40, marker="o" if face != "none"
                   else "^", facecolor=face, edgecolor=COLORS["censored"], lw=1.2, zorder=5,
                   label=label)
    if posterior is not None and not posterior.empty:
        post = posterior[posterior["group"] == "overall"]
        for direction, style in (("backward", "-"), ("forward", "--")):
            p = post[post["direction"] == direction]
            if p.empty:
                continue
            p = p[pd.to_datetime(p["month"]) >= FIGURE_START]
            when = pd.to_datetime(p["month"])
            if direction == "backward":
                _band(ax, when, p["median"], p["eti90_lo"], p["eti90_hi"], COLORS["posterior"],
                      "posterior, backward (median, 90% ETI)")
            else:
                ax.plot(when, p["median"], color=COLORS["posterior"], lw=1.5, ls=style,
                        label="posterior, forward (median)", zorder=4)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator())
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_ylabel("Gap in months")
    ax.grid(True, color="0.9", lw=0.6, zorder=0)
    ax.set_title("Open-weight gap over time: peer estimators and the posterior "
                 f"(from {FIGURE_START:%Y-%m})", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def save_peers_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (``.png`` or ``.svg``) atomically and return the path.

    Metadata carrying the date or a random SVG id salt is fixed, so the same input gives the
    same file.
    """
    path = Path(path)
    buf = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": "gapbayes-peers"}):
        if path.suffix == ".svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        else:
            fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    atomic.write_bytes(path, buf.getvalue())
    return path
