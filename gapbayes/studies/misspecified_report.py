"""Tables, figure and markdown of the misspecified study.

Scoring (per setting, method and group): errors are estimate - truth at each date of each
world. A model estimate that the fit itself flags as read before its closed data (more than
10% of the draws read the closed curve before the first closed release: the ``*`` of
``gapbayes summary``, a number from the growth walk's prior) is left out of the scores and
counted in ``n_flagged``; ``bias_with_flagged`` is the bias with those estimates kept. Dates
of one world share that world's data, so uncertainty is computed over worlds: ``bias_se`` is
the sd of the per-world mean errors over sqrt(worlds), ``coverage90_se`` the same for the
per-world share of dates covered. Issue 15's tolerance is |bias| < 0.3 months; how finely a
study can resolve that is stated with each row: ``p_within_tolerance`` is the probability
that an unbiased model's bias estimate lands inside +-0.3 with this many worlds and this
world-to-world spread (normal approximation, 2 Phi(0.3 / bias_se) - 1), and
``worlds_for_tolerance`` the number of worlds at which that probability reaches 0.9. With
the spread measured at the real fit's sampler (per-world sd of about 2 months) 30 worlds give
0.57, so a single setting's pass or fail then says little. The paired contrasts (the host
term, and the selection term when the study fits it) are computed per world (mean over
dates of the error with the term minus the error without it), then averaged over worlds with
their standard error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gapbayes.inference.fit_tables import FORECAST_SHARE
from gapbayes.studies import common

KEYS = ["ratio", "host", "method", "group"]
WITH, WITHOUT = "model", "model (no host term)"
SELECTION = "model (selection)"
# paired contrasts: name -> (method with the term, method without it, host settings it uses)
CONTRASTS = {"host term": (WITH, WITHOUT, ("on",)),
             "selection term": (SELECTION, WITH, ("off", "on"))}
TABLE_COLUMNS = [*KEYS, "n_worlds", "n_estimates", "n_flagged", "truth_mean", "bias",
                 "bias_se", "rmse", "coverage90", "coverage90_se", "width90",
                 "bias_with_flagged", "fits_with_divergences", "rhat_max", "fit_seconds",
                 "p_within_tolerance", "worlds_for_tolerance"]
BIAS_TOLERANCE = 0.3   # months: issue 15's |bias| criterion
RESOLUTION_PROBABILITY = 0.9
PAIRED_COLUMNS = ["contrast", "ratio", "host", "group", "n_worlds", "bias_with",
                  "bias_without", "diff_mean", "diff_se"]


def rows_table(results: Sequence[dict]) -> pd.DataFrame:
    """One row per (world, method, group, date) with error, coverage and width."""
    rows = [{"ratio": r["ratio"], "host": "on" if r["host"] else "off", "rep": r["rep"], **m}
            for r in results for m in r["rows"]]
    df = pd.DataFrame(rows)
    for col in ("fit_seconds", "divergences", "rhat", "provider_penalty", "note",
                "before_data_share"):
        if col not in df:
            df[col] = np.nan
    df["error"] = df["estimate"] - df["truth"]
    df["flagged"] = df["before_data_share"].fillna(0.0) > FORECAST_SHARE
    ok = np.isfinite(df["lo90"]) & np.isfinite(df["hi90"])
    df["covered"] = np.where(ok, (df["lo90"] <= df["truth"]) & (df["truth"] <= df["hi90"]),
                             np.nan)
    df["width90"] = df["hi90"] - df["lo90"]
    return df


def _se(per_world: pd.Series) -> float:
    per_world = per_world.dropna()
    return float(per_world.std(ddof=1) / np.sqrt(len(per_world))) if len(per_world) > 1 \
        else np.nan


def tolerance_resolution(bias_se: float, n_worlds: int) -> tuple[float, float]:
    """How well a study of ``n_worlds`` resolves |bias| < :data:`BIAS_TOLERANCE`.

    Returns the probability that an unbiased method's bias estimate falls inside the
    tolerance (normal approximation with the measured ``bias_se``), and the number of worlds
    at which that probability reaches :data:`RESOLUTION_PROBABILITY` (the per-world sd,
    ``bias_se * sqrt(n_worlds)``, held fixed). NaN when the se is unknown.
    """
    from scipy.stats import norm

    if not np.isfinite(bias_se) or bias_se <= 0 or n_worlds < 2:
        return np.nan, np.nan
    p = float(2 * norm.cdf(BIAS_TOLERANCE / bias_se) - 1)
    sd = bias_se * np.sqrt(n_worlds)
    z = norm.ppf(0.5 + RESOLUTION_PROBABILITY / 2)
    return p, float(np.ceil((z * sd / BIAS_TOLERANCE) ** 2))


def _score(g: pd.DataFrame) -> dict:
    every = g[np.isfinite(g["estimate"])]
    g = every[~every["flagged"]]
    worlds = g.groupby("rep")
    fits = every.drop_duplicates("rep")
    cov = g["covered"].dropna()
    bias_se = _se(worlds["error"].mean())
    p_within, needed = tolerance_resolution(bias_se, int(g["rep"].nunique()))
    return {
        "n_worlds": int(g["rep"].nunique()), "n_estimates": len(g),
        "n_flagged": int(every["flagged"].sum()),
        "bias_with_flagged": every["error"].mean(),
        "truth_mean": g["truth"].mean(), "bias": g["error"].mean(),
        "bias_se": bias_se,
        "rmse": float(np.sqrt((g["error"] ** 2).mean())) if len(g) else np.nan,
        "coverage90": float(cov.mean()) if len(cov) else np.nan,
        "coverage90_se": _se(worlds["covered"].mean()),
        "width90": g["width90"].mean(),
        "fits_with_divergences": (int((fits["divergences"] > 0).sum())
                                  if fits["divergences"].notna().any() else np.nan),
        "rhat_max": g["rhat"].max(), "fit_seconds": fits["fit_seconds"].mean(),
        "p_within_tolerance": p_within, "worlds_for_tolerance": needed,
    }


def summary_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per setting, method and group: bias (+ se over worlds), RMSE, coverage (+ se), width."""
    out = [{**dict(zip(KEYS, key, strict=True)), **_score(g)}
           for key, g in rows.groupby(KEYS, sort=True)]
    return pd.DataFrame(out, columns=TABLE_COLUMNS)


def by_date_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Score per date as :func:`summary_table` does per setting."""
    out = [{**dict(zip([*KEYS, "date"], key, strict=True)), **_score(g)}
           for key, g in rows.groupby([*KEYS, "date"], sort=True)]
    return pd.DataFrame(out, columns=[*KEYS, "date", *TABLE_COLUMNS[len(KEYS):]])


def paired_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Each term's contrast: the error with minus without it, paired by world and date.

    The host term with host degradation on; the selection term (when the study fitted it)
    in every setting. Dates where either fit is flagged (read before its closed data) are
    left out of that world's pair.
    """
    out = []
    for contrast, (with_, without, hosts) in CONTRASTS.items():
        sub = rows[rows["host"].isin(hosts) & rows["method"].isin([with_, without])
                   & ~rows["flagged"]]
        for (ratio, host, group), g in sub.groupby(["ratio", "host", "group"], sort=True):
            wide = g.pivot_table(index=["rep", "date"], columns="method", values="error")
            if not {with_, without} <= set(wide.columns):
                continue
            wide = wide.dropna()
            per_world = (wide[with_] - wide[without]).groupby(level="rep").mean()
            out.append({"contrast": contrast, "ratio": ratio, "host": host, "group": group,
                        "n_worlds": len(per_world), "bias_with": wide[with_].mean(),
                        "bias_without": wide[without].mean(), "diff_mean": per_world.mean(),
                        "diff_se": _se(per_world)})
    return pd.DataFrame(out, columns=PAIRED_COLUMNS)


def figure(table: pd.DataFrame, base: Path) -> list[str]:
    """Bias (+-2 se) and 90% coverage against the ratio; host off and on side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gapbayes.reporting.plots import save_figure

    hosts = sorted(table["host"].unique())
    fig, axes = plt.subplots(2, len(hosts), figsize=(5 * len(hosts), 7), squeeze=False)
    methods = sorted(table["method"].unique())
    for col, host in enumerate(hosts):
        sub = table[table["host"] == host]
        lines = list(sub.groupby(["method", "group"], sort=True))
        span = max(float(np.ptp(table["ratio"])), 1.0)
        for i, ((method, group), g) in enumerate(lines):
            g = g.sort_values("ratio")
            style = {"color": f"C{methods.index(method)}", "marker": "o", "capsize": 3,
                     "ls": "-" if group == "overall" else ":", "label": f"{method}, {group}"}
            shift = 0.012 * span * (i - (len(lines) - 1) / 2)   # dodge: bars must not overlap
            axes[0, col].errorbar(g["ratio"] + shift, g["bias"],
                                  yerr=2 * g["bias_se"].fillna(0), **style)
            cov, err = g["coverage90"], 2 * g["coverage90_se"].fillna(0)
            axes[1, col].errorbar(g["ratio"] + shift, cov,
                                  yerr=[np.minimum(err, cov), np.minimum(err, 1 - cov)],
                                  **style)
        axes[0, col].axhline(0, color="grey", lw=0.8)
        axes[0, col].set_title(f"host degradation {host}")
        axes[0, col].set_ylabel("gap bias (months)")
        axes[1, col].axhline(0.9, color="grey", lw=0.8, ls="--")
        axes[1, col].set_ylim(-0.05, 1.05)
        axes[1, col].set_ylabel("coverage of the 90% interval")
        for ax in axes[:, col]:
            ax.set_xlabel("closed:open evaluation ratio")
            ax.set_xticks(sorted(table["ratio"].unique()))
    axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    written = save_figure(fig, base, svg=True)
    plt.close(fig)
    return [p.name for p in written]


def markdown(sid: str, table: pd.DataFrame, paired: pd.DataFrame, n_worlds: int) -> str:
    """``table.md``: the summary table and the paired host contrast."""
    text = (f"# misspecified ({sid})\n\nIndependent worlds (gapbayes.worlds); {n_worlds} "
            "worlds finished. Bias = estimate - true backward gap D(t), months, over the "
            "study's dates; se over worlds. p_within_tolerance: the chance that an unbiased "
            f"method's bias estimate is within +-{BIAS_TOLERANCE} months with these worlds; "
            "worlds_for_tolerance: worlds needed for that chance to reach "
            f"{RESOLUTION_PROBABILITY}.\n\n" + common.markdown_table(table))
    titles = {"host term": "Host degradation on: model with minus without the host term",
              "selection term": "Model with minus without the selection term"}
    for contrast, g in paired.groupby("contrast", sort=False):
        text += f"\n## {titles[contrast]}\n\n" + common.markdown_table(
            g.drop(columns="contrast"))
    return text
