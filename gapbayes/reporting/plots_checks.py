"""Figures that check a fit: frontier curves against the scores, rank plots, predictive checks.

``benchmark_curves.png`` puts the latent closed and open frontier curves on each benchmark's
score scale over the observed scores. ``rank_plots.png`` uses arviz-plots' ``plot_rank``
(rank-ECDF differences per chain with the multi-chain uniformity test, deterministic).
``ppc.png`` is plain matplotlib: observed vs predicted score histograms per link and the
coverage of central posterior predictive intervals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gapbayes.model.design import ModelData, interp_matrix
from gapbayes.model.links import link_share
from gapbayes.reporting.plot_helpers import (
    ACCESS_COLORS,
    DPI,
    benchmark_units,
    date_axis,
    draw_index,
    finish_grid,
    stack_draws,
    to_dates,
)

RANK_PARAMETERS = (
    # frontier model
    "growth_rw_sd", "open_level", "category_trend_sd", "frontier_noise_sd",
    "shortfall_log_scale", "public_shift", "contamination",
    # timeshift-v1
    "gap_mean", "gap_rw_sd", "public_offset", "frontier_log_growth",
    # both
    "provider_penalty", "self_report_offset",
)
OBSERVED = {"y_sig": "sigmoid-link benchmarks", "y_lin": "linear-link benchmarks"}
X_LABELS = {"y_sig": "score (proportion)", "y_lin": "standardised score (z)"}
PRED_COLOR = "#2166ac"
LEVELS = (0.5, 0.9)
LEVEL_COLORS = {0.5: "#92c5de", 0.9: "#2166ac"}
HIST_BINS = 30
# Draws used for the benchmark curves (evenly spaced: deterministic, quantiles stable).
CURVE_DRAWS = 400


# ---- benchmark curves -----------------------------------------------------------------------


def _interp_rows(x: np.ndarray, grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation on a uniform ``grid``: x (S, T), values (S, G)."""
    step = grid[1] - grid[0]
    pos = np.clip((x - grid[0]) / step, 0.0, len(grid) - 1.0)
    i = np.minimum(np.floor(pos).astype(int), len(grid) - 2)
    frac = pos - i
    lo = np.take_along_axis(values, i, axis=1)
    hi = np.take_along_axis(values, i + 1, axis=1)
    return lo + frac * (hi - lo)


def _native(data: ModelData, b: int, z: np.ndarray) -> np.ndarray:
    """Standardised linear-link score -> the benchmark's fitted scale (exp if log-transformed).

    ModelData does not (yet) record the transform; a ``bench_transform`` field is used when
    present.
    """
    out = z * data.lin_scale[b] + data.lin_center[b]
    transform = getattr(data, "bench_transform", None)
    if transform is not None and transform[b] == "log":
        out = np.exp(out)
    return out


def _has_log_info(data: ModelData) -> bool:
    return getattr(data, "bench_transform", None) is not None


def benchmark_curves_figure(dt: xr.DataTree, data: ModelData) -> Figure:
    """Draw the closed and open frontier curves on each benchmark's score scale.

    The observed scores are overlaid at their models' release dates, coloured by access.
    """
    post = dt["posterior"]
    take = draw_index(post.sizes["chain"] * post.sizes["draw"], CURVE_DRAWS)
    release, is_open_obs = _release_and_access(data)
    t = np.linspace(min(release.min(), data.report_time[0]),
                    max(release.max(), data.report_time[-1]), 200)
    latent = _latent_curves(post, data, take, t)
    dates = to_dates(data, t)

    n = len(data.bench_ids)
    # three columns: the page shows the figure about 1000 px wide, so panels stay legible
    ncols = min(3, n)
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(4.6 * ncols, 3.5 * nrows + 1.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    units = benchmark_units(data)
    for b, (ax, bid) in enumerate(zip(axes, data.bench_ids, strict=False)):
        F_closed, F_open = latent(b)
        rows = data.obs_bench == b
        y_obs = data.y[rows]
        if data.bench_linear[b]:
            icpt = stack_draws(post["linear_intercept"].sel(lin_benchmark=bid))[take, None]
            slope = stack_draws(post["linear_slope"].sel(lin_benchmark=bid))[take, None]
            closed = _native(data, b, icpt + slope * F_closed)
            opened = _native(data, b, icpt + slope * F_open)
            y_obs = _native(data, b, y_obs)
            unit = units.get(bid, "")
            ax.set_ylabel(f"score ({unit})" if unit else (
                "score (fitted scale)" if not _has_log_info(data) else "score"))
            if _has_log_info(data) and data.bench_transform[b] == "log":
                # fitted on the log scale: on a linear axis most scores sit at 0
                ax.set_yscale("log")
        else:
            k = {v: i for i, v in enumerate(post["difficulty"]["sig_benchmark"].values)}[bid]
            diff, slope, ceil = (stack_draws(post[v].isel(sig_benchmark=k))[take, None]
                                 for v in ("difficulty", "slope", "ceiling"))
            chance = data.bench_chance[b]
            shape = (stack_draws(post["shape"].isel(sig_benchmark=k))[take, None]
                     if "shape" in post else None)

            def link(theta: np.ndarray, diff=diff, slope=slope, ceil=ceil,
                     chance=chance, shape=shape) -> np.ndarray:
                return chance + (ceil - chance) * link_share(slope * (theta - diff), shape)

            closed, opened = link(F_closed), link(F_open)
            if chance > 0:
                ax.axhline(chance, color="0.5", lw=0.8, ls=":")
            ax.set_ylim(-0.03, 1.03)
            ax.set_ylabel("score (proportion)")
        for curve, access in ((closed, "closed"), (opened, "open")):
            lo, med, hi = np.quantile(curve, [0.05, 0.5, 0.95], axis=0)
            ax.fill_between(dates, lo, hi, color=ACCESS_COLORS[access], alpha=0.18, lw=0)
            ax.plot(dates, med, color=ACCESS_COLORS[access], lw=1.8)
        is_open = is_open_obs[rows]
        for access, mask in (("closed", ~is_open), ("open", is_open)):
            ax.scatter(to_dates(data, release[rows][mask]), y_obs[mask],
                       s=12, alpha=0.7, color=ACCESS_COLORS[access], edgecolor="white", lw=0.3,
                       zorder=3)
        kind = "public" if data.bench_public[b] else "private"
        cat = data.category_names[data.bench_category[b]].replace("_", " ")
        link_name = "linear link" if data.bench_linear[b] else "sigmoid link"
        title = getattr(data, "bench_names", data.bench_ids)[b]
        ax.set_title(f"{title}\n{kind}, {cat}, {link_name}, {rows.sum()} scores", fontsize=11)
        ax.tick_params(labelsize=9.5)
        ax.yaxis.label.set_size(10)
        ax.grid(alpha=0.25, lw=0.6)
        date_axis(ax)
    finish_grid(axes, n, ncols, "Release date")
    handles = [
        Line2D([], [], color=ACCESS_COLORS["closed"], lw=1.8,
               label="Closed frontier (median, 90% ETI)"),
        Line2D([], [], color=ACCESS_COLORS["open"], lw=1.8, label=_open_label(data)),
        Line2D([], [], ls="", marker="o", ms=4, color=ACCESS_COLORS["closed"],
               label="Observed score, closed model"),
        Line2D([], [], ls="", marker="o", ms=4, color=ACCESS_COLORS["open"],
               label="Observed score, open model"),
        Line2D([], [], color="0.5", lw=0.8, ls=":", label="Chance level"),
    ]
    note = ("Individual models score below the frontier by their shortfall"
            + (" (and above or below it by the symmetric frontier noise)."
               if hasattr(data, "base_time") else "."))
    if data.bench_linear.any() and not _has_log_info(data):
        note += (" Linear-link benchmarks are shown on the scale the model fits (log for "
                 "log-transformed ones).")
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=10.5,
               frameon=False, title=note, title_fontsize=10)
    fig.suptitle("Latent frontier curves per benchmark: closed vs open frontier on each "
                 "benchmark's score scale", fontweight="bold")
    return fig


def _release_and_access(data) -> tuple[np.ndarray, np.ndarray]:
    """Release time and open flag of each score's model (either model family)."""
    if hasattr(data, "base_time"):
        return data.base_time[data.obs_base], data.base_open[data.obs_base] == 1
    return data.model_time[data.obs_model], data.model_open[data.obs_model] == 1


def _open_label(data) -> str:
    if hasattr(data, "base_time"):
        return "Open frontier of the category, with the benchmark's open shift (median, 90% ETI)"
    return "Open frontier = closed frontier shifted by the gap (median, 90% ETI)"


def _latent_curves(post, data, take: np.ndarray, t: np.ndarray):
    """Return ``b -> (closed, open)``: latent frontier curves (draws, len(t)) on benchmark b."""
    if hasattr(data, "base_time"):
        from gapbayes.model.frontier_gaps import category_curves

        sub = post.to_dataset().stack(sample=("chain", "draw")).isel(sample=take)
        sub = sub.drop_vars(["sample", "chain", "draw"]).rename({"sample": "draw"})
        sub = sub.expand_dims(chain=[0]).transpose("chain", "draw", ...)
        closed, opened = category_curves(sub, data)                      # (S, C, G)
        shift = stack_draws(sub["open_shift"])

        def frontier(b: int) -> tuple[np.ndarray, np.ndarray]:
            c = data.bench_category[b]
            at = np.broadcast_to(t, (len(take), len(t)))
            return (_interp_rows(at, data.grid_time, closed[:, c]),
                    _interp_rows(at, data.grid_time, opened[:, c]) + shift[:, [b]])

        return frontier
    F = stack_draws(post["frontier"])[take]
    gap = stack_draws(post["gap"])[take]
    offset = stack_draws(post["gap_offset"])[take]
    F_closed = _interp_rows(np.broadcast_to(t, (len(take), len(t))), data.grid_time, F)
    # interp_matrix holds the gap flat beyond the report months, as the model does.
    gap_t = gap @ interp_matrix(t, data.report_time).T

    def shifted(b: int) -> tuple[np.ndarray, np.ndarray]:
        return F_closed, _interp_rows(t - (gap_t + offset[:, [b]]) / 12.0, data.grid_time, F)

    return shifted


def rank_figure(dt: xr.DataTree, base: Path) -> list[Path]:
    """Rank-ECDF plots (arviz ``plot_rank``) of the main scalar parameters -> ``base.png``.

    Returns the written path, or nothing when none of the parameters is in the posterior.
    """
    import arviz_plots as azp
    import matplotlib.pyplot as plt

    post = dt["posterior"]
    present = [v for v in RANK_PARAMETERS
               if v in post and set(post[v].dims) == {"chain", "draw"}]
    if not present:
        return []
    ncols = min(4, len(present))
    nrows = int(np.ceil(len(present) / ncols))
    pc = azp.plot_rank(
        dt, var_names=present, backend="matplotlib", col_wrap=ncols,
        figure_kwargs={"figsize": (3.7 * ncols, 2.7 * nrows + 1.2), "layout": "constrained"},
        visuals={"remove_axis": False},
    )
    fig = pc.get_viz("figure")
    try:
        for i, ax in enumerate(fig.axes):
            # Shared x hides the tick labels of upper panels, also over an empty slot.
            ax.xaxis.set_tick_params(labelbottom=True)
            if i % ncols == 0:
                ax.set_ylabel("ECDF minus uniform CDF")
            # the p-value label sits inside the axes over the curves: put it in the title
            for text in list(ax.texts):
                if text.get_text().startswith("p="):
                    ax.set_title(f"{ax.get_title()}   ({text.get_text().strip()})",
                                 fontsize=10.5)
                    text.remove()
        n_chains = post.sizes["chain"]
        colors = [f"C{i}" for i in range(n_chains)]
        handles = [Line2D([], [], color=c, label=f"chain {i}") for i, c in enumerate(colors)]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(n_chains, 8),
                   fontsize=9, frameon=False)
        fig.suptitle(
            "Rank plots of the main parameters: per-chain ECDF of fractional ranks minus the "
            "uniform CDF\n(chains agree when the lines stay flat; p = multi-chain uniformity "
            "test, black points = ranks that drive a rejection)", fontsize=10.5)
        out = base.with_suffix(".png")
        fig.savefig(out, dpi=DPI, facecolor="white")
    finally:
        # arviz-plots creates the figure through pyplot: release it explicitly.
        plt.close(fig)
    return [out]


def _observed(dt: xr.DataTree, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(observed (N,), predicted (S, N), observation indices (N,)) of one likelihood."""
    children = dt.children
    if "posterior_predictive" not in children or "observed_data" not in children:
        return None
    if name not in dt["posterior_predictive"] or name not in dt["observed_data"]:
        return None
    obs = dt["observed_data"][name]
    pred = stack_draws(dt["posterior_predictive"][name])
    return obs.values, pred, np.asarray(obs[obs.dims[0]].values, int)


def coverage(obs: np.ndarray, pred: np.ndarray, level: float) -> np.ndarray:
    """Per observation: inside the central ``level`` posterior predictive interval."""
    lo, hi = np.quantile(pred, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return (obs >= lo) & (obs <= hi)


def _hist_panel(ax: Axes, name: str, obs: np.ndarray, pred: np.ndarray) -> None:
    lo = min(obs.min(), np.quantile(pred, 0.005))
    hi = max(obs.max(), np.quantile(pred, 0.995))
    # Fewer bins for few scores, so the observed histogram is not mostly noise.
    bins = int(np.clip(np.sqrt(len(obs)) * 1.5, 8, HIST_BINS))
    edges = np.linspace(lo, hi, bins + 1)
    width = edges[1] - edges[0]
    dens = np.stack([np.histogram(row, edges)[0] for row in pred]) / (pred.shape[1] * width)
    q05, q50, q95 = np.quantile(dens, [0.05, 0.5, 0.95], axis=0)
    ax.fill_between(edges, np.r_[q05, q05[-1]], np.r_[q95, q95[-1]], step="post",
                    color=PRED_COLOR, alpha=0.25, lw=0)
    ax.stairs(q50, edges, color=PRED_COLOR, lw=1.5)
    ax.stairs(np.histogram(obs, edges)[0] / (len(obs) * width), edges, color="black", lw=1.8)
    ax.set_xlabel(X_LABELS[name])
    ax.set_ylabel("density")
    ax.set_title(f"{OBSERVED[name].capitalize()}: {len(obs)} scores", fontsize=10)
    ax.grid(alpha=0.25, lw=0.6)
    ax.legend(handles=[
        Line2D([], [], color="black", lw=1.8, label="observed"),
        Line2D([], [], color=PRED_COLOR, lw=1.5, label="predicted (median per bin)"),
        Patch(facecolor=PRED_COLOR, alpha=0.25, label="predicted, 90% ETI per bin"),
    ], fontsize=8, loc="upper right")


def _calibration_panel(ax: Axes, parts: dict[str, tuple], data: ModelData) -> None:
    labels = [*parts, "all"] if len(parts) > 1 else list(parts)
    x = np.arange(len(labels))
    width = 0.36
    inside: dict[float, dict[str, np.ndarray]] = {lv: {} for lv in LEVELS}
    bench: dict[str, np.ndarray] = {}
    for name, (obs, pred, idx) in parts.items():
        bench[name] = data.obs_bench[idx]
        for lv in LEVELS:
            inside[lv][name] = coverage(obs, pred, lv)
    if len(parts) > 1:
        bench["all"] = np.concatenate([bench[n] for n in parts])
        for lv in LEVELS:
            inside[lv]["all"] = np.concatenate([inside[lv][n] for n in parts])
    for j, lv in enumerate(LEVELS):
        share = np.array([inside[lv][k].mean() for k in labels])
        pos = x + (j - 0.5) * width
        ax.bar(pos, share, width * 0.92, color=LEVEL_COLORS[lv],
               label=f"{lv:.0%} interval: share inside")
        ax.hlines(np.full(len(pos), lv), pos - width / 2, pos + width / 2, color="black",
                  lw=1.5, ls="--")
        for p, s in zip(pos, share, strict=True):
            # Label at the bar's foot: the top is busy with the nominal line and the dots.
            ax.text(p, 0.02, f"{s:.0%}", ha="center", va="bottom", fontsize=8.5,
                    color="black" if lv == LEVELS[0] else "white", fontweight="bold")
        # One dot per benchmark (spread deterministically) shows whether a few benchmarks
        # carry the miscalibration.
        for i, k in enumerate(labels):
            per = [inside[lv][k][bench[k] == b].mean() for b in np.unique(bench[k])]
            spread = np.linspace(-width * 0.3, width * 0.3, len(per)) if len(per) > 1 else [0]
            ax.scatter(x[i] + (j - 0.5) * width + np.asarray(spread), per, s=14,
                       color="#fdb863", edgecolor="0.15", lw=0.5, zorder=3,
                       label="per benchmark" if i == j == 0 else None)
    ax.set_xticks(x, [OBSERVED.get(k, "all scores").replace(" benchmarks", "") for k in labels])
    ax.set_ylim(0, 1.32)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("share of observed scores inside the interval")
    total = inside[LEVELS[0]][labels[-1]]
    ax.set_title(
        "Calibration, " + ", ".join(
            f"{lv:.0%} PI covers {inside[lv][labels[-1]].mean():.0%}" for lv in LEVELS)
        + f"\nof {len(total)} scores (dashed: nominal level)", fontsize=10)
    handles = ax.get_legend_handles_labels()[0] + [
        Line2D([], [], color="black", lw=1.5, ls="--", label="nominal level")]
    ax.legend(handles=handles, fontsize=8, loc="upper center", ncols=2)
    ax.grid(alpha=0.25, lw=0.6, axis="y")


def ppc_figure(dt: xr.DataTree, data: ModelData) -> Figure | None:
    """Posterior predictive check; None when the result has no posterior predictive draws."""
    parts = {name: got for name in OBSERVED if (got := _observed(dt, name)) is not None}
    if not parts:
        return None
    n = len(parts) + 1
    fig = Figure(figsize=(5.0 * n, 4.8), layout="constrained")
    axes = fig.subplots(1, n)
    for ax, (name, (obs, pred, _)) in zip(axes, parts.items(), strict=False):
        _hist_panel(ax, name, obs, pred)
    _calibration_panel(axes[-1], parts, data)
    n_draws = next(iter(parts.values()))[1].shape[0]
    fig.suptitle("Posterior predictive check: observed vs predicted scores "
                 f"({n_draws} posterior predictive draws)", fontweight="bold")
    return fig
