"""Prior predictive check of the frontier model: what the priors alone say.

Two tables, written to every fit's result folder, and one figure (``plots/prior_predictive``):

- ``prior_gap_over_time``: the 5/50/95% quantiles of each group's backward gap under the prior
  (1,000 draws of the same PyMC model), per month of the window. Next to the posterior it shows
  how much of a gap band is the data's doing.
- ``prior_predictive_scores``: per sigmoid benchmark, the 5/50/95% quantiles of prior
  predictive scores next to the same quantiles of the observed scores. A prior that cannot
  produce the observed range (or that puts most of its mass at 0 or 1) shows up here.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

QUANTILES = (0.05, 0.5, 0.95)
GROUPS = ("overall", "private", "public")
COLORS = {"overall": "#333333", "private": "#1f77b4", "public": "#d62728"}


def prior_gap_table(prior_gaps: xr.Dataset) -> pd.DataFrame:
    """Quantiles of the prior backward gap per group and month (months)."""
    gap = prior_gaps["gap_backward"]
    rows = []
    for group in gap["group"].values:
        for month in gap["month"].values:
            x = gap.sel(group=group, month=month).values.ravel()
            x = x[np.isfinite(x)]
            if not len(x):
                continue
            q = np.quantile(x, QUANTILES)
            rows.append({"group": str(group), "month": str(month), "q05": q[0], "median": q[1],
                         "q95": q[2]})
    return pd.DataFrame(rows, columns=["group", "month", "q05", "median", "q95"]).round(3)


def prior_score_table(prior_scores: np.ndarray, data) -> pd.DataFrame:
    """Prior predictive against observed score quantiles, per sigmoid benchmark.

    Parameters
    ----------
    prior_scores
        Prior predictive draws of the sigmoid-benchmark scores, shape (draws, n_sig_obs).
    data
        The fit's :class:`~gapbayes.model.frontier_design.FrontierData`.
    """
    bench = data.obs_bench[data.sig_idx]
    observed = data.y[data.sig_idx]
    rows = []
    for b in np.unique(bench):
        cols = bench == b
        pq = np.quantile(prior_scores[:, cols].ravel(), QUANTILES)
        oq = np.quantile(observed[cols], QUANTILES)
        rows.append({"benchmark": data.bench_ids[b], "n_scores": int(cols.sum()),
                     "prior_q05": pq[0], "prior_median": pq[1], "prior_q95": pq[2],
                     "observed_q05": oq[0], "observed_median": oq[1], "observed_q95": oq[2]})
    return pd.DataFrame(rows).round(4)


def prior_predictive_figure(prior_gap: pd.DataFrame, posterior_gap: pd.DataFrame,
                            scores: pd.DataFrame) -> Figure:
    """Prior (90% interval) against posterior gap bands, and prior predictive scores.

    Parameters
    ----------
    prior_gap
        :func:`prior_gap_table` output.
    posterior_gap
        The fit's ``gap_over_time`` table (backward rows are used).
    scores
        :func:`prior_score_table` output.
    """
    fig = Figure(figsize=(12, 5.5), layout="constrained")
    ax_gap, ax_score = fig.subplots(1, 2, width_ratios=(1.1, 1))
    post = posterior_gap[posterior_gap["direction"] == "backward"]
    for group in GROUPS:
        pr = prior_gap[prior_gap["group"] == group]
        po = post[post["group"] == group]
        if pr.empty:
            continue
        x = pd.to_datetime(pr["month"])
        color = COLORS[group]
        ax_gap.plot(x, pr["q05"], color=color, lw=0.8, ls=":")
        ax_gap.plot(x, pr["q95"], color=color, lw=0.8, ls=":",
                    label=f"{group}: prior 90% ETI")
        if not po.empty:
            xp = pd.to_datetime(po["month"])
            ax_gap.fill_between(xp, po["eti90_lo"], po["eti90_hi"], color=color, alpha=0.3,
                                label=f"{group}: posterior 90% ETI")
    ax_gap.axhline(0, color="grey", lw=0.6)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=10)
    ax_gap.xaxis.set_major_locator(locator)
    ax_gap.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax_gap.set_ylabel("backward gap (months)")
    ax_gap.set_title("Gap: prior against posterior (equal-tailed 90% intervals)")
    ax_gap.legend(fontsize=7, ncols=2, loc="upper right")
    ordered = scores.sort_values("observed_median").reset_index(drop=True)
    y = np.arange(len(ordered))
    ax_score.hlines(y - 0.15, ordered["prior_q05"], ordered["prior_q95"], color="#999999",
                    lw=3, label="prior predictive 5-95%")
    ax_score.plot(ordered["prior_median"], y - 0.15, "|", color="#555555")
    ax_score.hlines(y + 0.15, ordered["observed_q05"], ordered["observed_q95"],
                    color="#1f77b4", lw=3, label="observed scores 5-95%")
    ax_score.plot(ordered["observed_median"], y + 0.15, "|", color="#0b3d66")
    ax_score.set_yticks(y, ordered["benchmark"], fontsize=7)
    ax_score.set_xlim(0, 1)
    ax_score.set_xlabel("score (proportion correct)")
    ax_score.set_title("Scores: prior predictive against observed")
    ax_score.legend(fontsize=7, loc="lower right")
    return fig
