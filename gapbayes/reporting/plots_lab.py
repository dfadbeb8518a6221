"""The lab-lag figure: each lab's lag behind the closed frontier over time.

``lab_lags.png/.svg``: one panel per kind of lab (labs with only closed base models, labs with
any open one), one line per lab (posterior median of ``lab_lag``) over its 50% equal-tailed
interval (ETI), from the lab's first base model on; the zero line is the closed frontier (a
lab above it trails the frontier; below it, the lab's best model so far sits above the curve).
The lag is a running best, so it rises by a month a month between a lab's releases and drops
at a release that beats its best (:mod:`gapbayes.model.lab_lags`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gapbayes.inference.fit_tables import lab_lags
from gapbayes.reporting.plot_helpers import BAND_ALPHA, date_axis

#: labs drawn per panel (most base models first); more would not be told apart
MAX_LABS = 10
PANELS = (("closed", "Labs with only closed base models"),
          ("open", "Labs with any open base model"))
TITLE = "Lab lags: months behind the closed frontier (posterior median, 50% ETI)"
#: the two lags the figure draws: variable -> (title, footnote)
KINDS = {
    "lab_lag": (TITLE, "Lag: months since the closed frontier stood at the level of the lab's "
                "best base model released so far; below 0 that model sits above the closed "
                "frontier."),
    "lab_curve_lag": ("Lab curves: months behind the closed frontier of each lab's typical "
                      "model (posterior median, 50% ETI)",
                      "Curve lag: months since the closed frontier stood at the lab's group "
                      "frontier minus its mean shortfall (spec switch lab_curves; "
                      "docs/model.md, \"Lab curves\")."),
}


def lab_lag_months(post: xr.Dataset, name: str = "lab_lag") -> pd.DataFrame:
    """Median and ETIs of ``name`` per lab and month, with ``date`` as a timestamp.

    The rows of :func:`gapbayes.inference.fit_tables.lab_lags` at the months (not the named
    dates), so the figure and ``lab_lags.csv`` (``lab_curves.csv`` for ``lab_curve_lag``)
    agree; empty without them.
    """
    if name not in post:
        return pd.DataFrame()
    table = lab_lags(post, name)
    months = {str(m) for m in post[name]["month"].values}
    rows = table[table["date"].astype(str).isin(months)].copy()
    rows["date"] = pd.to_datetime(rows["date"].astype(str), format="%Y-%m")
    return rows.reset_index(drop=True)


def _panel_labs(rows: pd.DataFrame) -> dict[str, list[str]]:
    """Labs per panel, most base models first (then by name)."""
    counts = rows.drop_duplicates("lab").assign(
        total=lambda f: f["closed_models"] + f["open_models"]).sort_values(
        ["total", "lab"], ascending=[False, True])
    return {"closed": counts.loc[counts["open_models"] == 0, "lab"].tolist(),
            "open": counts.loc[counts["open_models"] > 0, "lab"].tolist()}


def _lab_label(r: pd.Series) -> str:
    parts = [f"{int(r[f'{k}_models'])} {k}" for k in ("closed", "open")
             if int(r[f"{k}_models"])]
    return f"{r['lab']} ({', '.join(parts)})"


def _draw_panel(ax: Axes, rows: pd.DataFrame, labs: list[str], title: str) -> None:
    colors = colormaps["tab10" if min(len(labs), MAX_LABS) <= 10 else "tab20"].colors
    for i, lab in enumerate(labs[:MAX_LABS]):
        sel = rows[rows["lab"] == lab].sort_values("date")
        color = colors[i % len(colors)]
        ax.fill_between(sel["date"], sel["eti50_lo"], sel["eti50_hi"], color=color,
                        alpha=BAND_ALPHA["eti50"] * 0.6, lw=0)
        ax.plot(sel["date"], sel["median"], color=color, lw=1.8, label=_lab_label(sel.iloc[0]))
    ax.axhline(0.0, color="0.15", lw=1.1, ls="--", zorder=1)
    left = rows["date"].min()
    ax.annotate("closed frontier", (left, 0.0), xytext=(4, -11), textcoords="offset points",
                fontsize=8.5, color="0.15")
    more = len(labs) - MAX_LABS
    ax.set_title(title + (f" ({more} smaller not drawn)" if more > 0 else ""), fontsize=11)
    ax.set_ylabel("Lag behind the closed frontier (months)")
    ax.grid(alpha=0.25, lw=0.6)
    handles = ax.get_legend_handles_labels()[0] + [
        Line2D([], [], color="0.15", lw=1.1, ls="--", label="closed frontier (lag 0)"),
        Patch(facecolor="0.45", alpha=BAND_ALPHA["eti50"], label="50% ETI")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5,
              frameon=False, title="lab (base models in the fit)", title_fontsize=8.5)


def lab_lags_figure(post: xr.Dataset, name: str = "lab_lag") -> Figure | None:
    """Each lab's lag behind the closed frontier over time (see the module); None without.

    Parameters
    ----------
    post
        Posterior with ``lab_lag`` (chain, draw, lab, month) and its per-lab model counts.
    name
        ``lab_lag`` (best model so far) or ``lab_curve_lag`` (the typical-model curve of the
        ``lab_curves`` switch, :mod:`gapbayes.model.lab_curves`).
    """
    heading, footnote = KINDS[name]
    rows = lab_lag_months(post, name)
    if rows.empty:
        return None
    panels = [(labs, title) for (key, title), labs in
              zip(PANELS, _panel_labs(rows).values(), strict=True) if labs]
    fig = Figure(figsize=(11.5, 4.4 * len(panels) + 1.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True, sharey=True))
    for ax, (labs, title) in zip(axes, panels, strict=True):
        _draw_panel(ax, rows, labs, title)
    axes[-1].set_xlabel("Date (month)")
    axes[-1].set_xlim(rows["date"].min() - pd.Timedelta(days=10),
                      rows["date"].max() + pd.Timedelta(days=40))
    date_axis(axes[-1])
    fig.suptitle(heading, fontweight="bold")
    fig.supxlabel(footnote, fontsize=9)
    return fig
