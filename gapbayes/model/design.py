"""Typed data builder: tidy tables + spec -> the arrays both backends consume.

Everything that depends on the data but not on parameters is computed here once (index
arrays, transformed scores, interpolation matrices), so the PyMC and Stan programs contain
only the density. Shapes are given in the field comments (M models, B benchmarks,
N observations, G grid points, K knots, R report months).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gapbayes.errors import SpecError
from gapbayes.model.links import LinkIndices
from gapbayes.model.spec import Spec

DAYS_PER_YEAR = 365.25
GRID_STEP_YEARS = 1.0 / 12.0
# The frontier must be known where open models stand, up to the largest plausible lag before
# the first model; four years is far beyond any gap the priors allow.
GRID_LEAD_YEARS = 4.0
# Reporting resolution of scores (0.5 point on a percent scale): keeps the likelihood proper
# for exact 0 and 1 scores without clipping them.
REPORTING_SD = 0.005


@dataclass(frozen=True)
class ModelData(LinkIndices):
    """Arrays for one fit. Times are years since ``origin``; gaps are months."""

    origin: pd.Timestamp
    model_ids: list[str]                 # length M
    model_time: np.ndarray               # (M,) release time, years since origin
    model_open: np.ndarray               # (M,) 1 = open weights
    model_chinese: np.ndarray            # (M,) 1 = Chinese organisation
    model_family: np.ndarray             # (M,) index into family_names
    family_names: list[str]
    bench_ids: list[str]                 # length B
    bench_linear: np.ndarray             # (B,) 1 = linear link (log-minutes, Elo, points)
    bench_transform: list[str]           # length B: identity / percent_to_proportion / log
    bench_chance: np.ndarray             # (B,) chance floor on the proportion scale
    bench_n_items: np.ndarray            # (B,) items, 0 = unknown
    bench_public: np.ndarray             # (B,) 1 = public benchmark
    bench_category: np.ndarray           # (B,) index into category_names
    category_names: list[str]
    bench_host: np.ndarray               # (B,) 1 = open models served by third-party hosts
    lin_center: np.ndarray               # (B,) mean of the transformed score (linear links)
    lin_scale: np.ndarray                # (B,) sd of the transformed score (linear links)
    obs_model: np.ndarray                # (N,) model index
    obs_bench: np.ndarray                # (N,) benchmark index
    y: np.ndarray                        # (N,) score on the model scale
    se: np.ndarray                       # (N,) standard error on the model scale, 0 = none
    obs_binomial: np.ndarray             # (N,) 1 = add binomial variance p(1-p)/n_items
    obs_self: np.ndarray                 # (N,) 1 = self-reported score
    obs_host: np.ndarray                 # (N,) 1 = open model served by a third-party host
    grid_time: np.ndarray                # (G,) monthly grid for the frontier
    grid_origin: int                     # index of origin in grid_time
    growth_knots: np.ndarray             # (Kg,) knot times of the log-growth random walk
    growth_interp: np.ndarray            # (G, Kg) linear interpolation grid <- knots
    growth_rw: np.ndarray                # (Kg, Kg-1) increments -> random walk with mean 0
    gap_knots: np.ndarray                # (Kd,) knot times of the gap random walk
    gap_rw: np.ndarray                   # (Kd, Kd-1) increments -> random walk with mean 0
    gap_interp_model: np.ndarray         # (M, Kd) interpolation at model release times
    report_time: np.ndarray              # (R,) first day of each report month
    report_dates: list[str]              # length R, YYYY-MM
    gap_interp_report: np.ndarray        # (R, Kd)
    cell_model: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (C,)
    cell_bench: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (C,)
    cell_observed: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (C,)
    inclusion: pd.DataFrame = field(default_factory=pd.DataFrame)  # benchmark inclusion table

    def coords(self) -> dict[str, list]:
        """Named dimensions shared by both backends."""
        return {
            "model": self.model_ids,
            "benchmark": self.bench_ids,
            "family": self.family_names,
            "category": self.category_names,
            "obs": list(range(len(self.y))),
            "grid": [f"{t:.4f}" for t in self.grid_time],
            "growth_knot": [f"{t:.4f}" for t in self.growth_knots],
            "gap_knot": [f"{t:.4f}" for t in self.gap_knots],
            "month": self.report_dates,
            "sig_benchmark": [self.bench_ids[b] for b in self.sig_benchmarks],
            "lin_benchmark": [self.bench_ids[b] for b in self.lin_benchmarks],
            "growth_step": [f"{t:.4f}" for t in self.growth_knots[1:]],
            "gap_step": [f"{t:.4f}" for t in self.gap_knots[1:]],
            "sig_obs": self.sig_idx.tolist(),
            "lin_obs": self.lin_idx.tolist(),
        }


def years_since(dates: pd.Series | pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    """Return (dates - origin) in years of 365.25 days."""
    delta = pd.to_datetime(dates) - origin
    return np.asarray(delta / pd.Timedelta(days=1), dtype=float) / DAYS_PER_YEAR


def interp_matrix(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Matrix W with ``W @ f(knots)`` = linear interpolation of f at x, flat beyond the ends."""
    W = np.zeros((len(x), len(knots)))
    if len(knots) == 1:
        W[:, 0] = 1.0
        return W
    xc = np.clip(x, knots[0], knots[-1])
    j = np.clip(np.searchsorted(knots, xc, side="right") - 1, 0, len(knots) - 2)
    frac = (xc - knots[j]) / (knots[j + 1] - knots[j])
    W[np.arange(len(x)), j] = 1.0 - frac
    W[np.arange(len(x)), j + 1] = frac
    return W


def random_walk_matrix(knots: np.ndarray, ref: int | None = None) -> np.ndarray:
    """Matrix L with ``L @ z`` a random walk over ``knots``.

    Increment j (between knots j and j+1) has sd sqrt(dt_j), so the walk's scale is per
    sqrt(year) whatever the knot spacing. With ``ref`` the walk is 0 at ``knots[ref]``;
    without it the walk has mean 0 over the knots, so the level parameter added to it is the
    walk's mean: the data pin a mean over the whole window far better than the value at one
    knot, and the level then barely correlates with the increments (faster mixing).
    """
    K = len(knots)
    L = np.zeros((K, max(K - 1, 0)))
    step = np.sqrt(np.diff(knots))
    centre = ref if ref is not None else 0
    for k in range(K):
        if k > centre:
            L[k, centre:k] = step[centre:k]
        elif k < centre:
            L[k, k:centre] = -step[k:centre]
    return L if ref is not None else L - L.mean(axis=0, keepdims=True)


def month_knots(start: float, end: float, origin: pd.Timestamp, months: int) -> np.ndarray:
    """Knot times every ``months`` months aligned on origin, covering [start, end]."""
    first = int(np.floor(start * 12 / months))
    last = int(np.ceil(end * 12 / months))
    dates = [origin + pd.DateOffset(months=k * months) for k in range(first, last + 1)]
    return years_since(pd.DatetimeIndex(dates), origin)


def _transform(scores: pd.DataFrame, bench: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    kind = scores["benchmark_id"].map(bench.set_index("benchmark_id")["transform"])
    y = scores["score"].to_numpy(float).copy()
    se = scores["stderr"].to_numpy(float).copy()
    pct = (kind == "percent_to_proportion").to_numpy()
    y[pct] /= 100.0
    se[pct] /= 100.0
    log = (kind == "log").to_numpy()
    # delta method: sd(log y) ~= sd(y) / y
    se[log] = se[log] / y[log]
    if {"ci_low", "ci_high"} <= set(scores.columns):
        # METR publishes 95% intervals, symmetric on the log scale
        lo, hi = scores["ci_low"].to_numpy(float), scores["ci_high"].to_numpy(float)
        from_ci = log & np.isnan(se) & (lo > 0) & (hi > lo)
        se[from_ci] = (np.log(hi[from_ci]) - np.log(lo[from_ci])) / (2 * 1.959964)
    y[log] = np.log(y[log])
    return y, np.nan_to_num(se, nan=0.0)


def leaves_floor(scores: pd.DataFrame, bench: pd.DataFrame, margin: float) -> np.ndarray:
    """Tell which scores lie above their benchmark's chance floor + ``margin``.

    On the proportion scale, for sigmoid benchmarks; scores of linear-link benchmarks (no
    floor) always count.
    """
    meta = bench.set_index("benchmark_id")
    sigmoid = scores["benchmark_id"].map(meta["link"] != "linear").to_numpy(bool)
    chance = scores["benchmark_id"].map(meta["chance"].fillna(0.0)).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):   # log-scale scores: linear link
        y, _ = _transform(scores, bench)
    return ~sigmoid | (y > chance + margin)


def _models_per_group(scores: pd.DataFrame, benchmark_ids: pd.Series) -> pd.DataFrame:
    """Distinct open and closed models with a score, per benchmark (0 where none)."""
    return (
        scores.drop_duplicates(["benchmark_id", "model_id"])
        .groupby(["benchmark_id", "access"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=["open", "closed"], fill_value=0)
        .reindex(benchmark_ids, fill_value=0)
    )


def select_for_fit(
    models: pd.DataFrame, benchmarks: pd.DataFrame, scores: pd.DataFrame, spec: Spec
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the spec's inclusion rule; return (models, benchmarks, scores, inclusion table).

    Rule: candidate benchmarks are the published ones (``benchmarks = "published"``) or all
    (``"all"``), minus ``exclude_benchmarks`` and benchmarks excluded in the metadata. Models
    need a known access group and a release date on/after ``start_date``. A benchmark is kept
    when at least ``min_models_per_group`` open and as many closed such models have scores on
    it, and at least ``min_above_floor`` of each group leave its floor (on a sigmoid
    benchmark: a score above chance + ``floor_margin``, proportion of the scale). A group
    that never leaves a benchmark's floor says nothing about its capability there, only that
    it is below some level, and the benchmark's link (difficulty, slope) and open shift are
    then not identified: on an independent world with such a benchmark (every closed score 0,
    a few open ones at 0.03-0.07) the fit ran along that ridge with 154 divergent draws
    (docs/studies.md). Models are kept when they have a score on a kept benchmark.
    """
    rule = spec.data
    start = pd.Timestamp(rule["start_date"])
    ok_models = models[
        models["access"].isin(["open", "closed"])
        & models["release_date"].notna()
        & (models["release_date"] >= start)
    ]
    bench = benchmarks.copy()
    if "exclude" in bench:
        bench = bench[~bench["exclude"].astype(bool)]
    if rule["benchmarks"] == "published":
        bench = bench[bench["published"].astype(bool)]
    bench = bench[~bench["benchmark_id"].isin(rule["exclude_benchmarks"])]
    sc = scores[
        scores["benchmark_id"].isin(bench["benchmark_id"])
        & scores["model_id"].isin(ok_models["model_id"])
        & scores["score"].notna()
    ]
    access = sc["model_id"].map(ok_models.set_index("model_id")["access"])
    counts = _models_per_group(sc.assign(access=access), bench["benchmark_id"])
    margin = float(rule["floor_margin"])
    above = _models_per_group(sc[leaves_floor(sc, bench, margin)].assign(access=access),
                              bench["benchmark_id"])
    need, need_above = int(rule["min_models_per_group"]), int(rule["min_above_floor"])
    enough = (counts["open"] >= need) & (counts["closed"] >= need)
    leaves = (above["open"] >= need_above) & (above["closed"] >= need_above)
    keep = enough & leaves
    inclusion = pd.DataFrame(
        {
            "benchmark_id": counts.index,
            "open_models": counts["open"].to_numpy(),
            "closed_models": counts["closed"].to_numpy(),
            "open_above_floor": above["open"].to_numpy(),
            "closed_above_floor": above["closed"].to_numpy(),
            "included": keep.to_numpy(),
            "reason": np.select(
                [~enough.to_numpy(), ~leaves.to_numpy()],
                [f"fewer than {need} open or closed models released since {start:%Y-%m-%d}",
                 f"fewer than {need_above} open or closed models scoring above the chance "
                 f"floor + {margin:g}"],
                "",
            ),
        }
    )
    kept = set(counts.index[keep])
    bench = bench[bench["benchmark_id"].isin(kept)].sort_values("benchmark_id")
    sc = sc[sc["benchmark_id"].isin(kept)]
    fit_models = ok_models[ok_models["model_id"].isin(sc["model_id"])].sort_values("model_id")
    return fit_models, bench, sc, inclusion.reset_index(drop=True)


class EmptySelection(SpecError, ValueError):
    """No score survives the spec's inclusion rule: one line saying which rule and the fix."""

    @classmethod
    def explain(
        cls, benchmarks: pd.DataFrame, inclusion: pd.DataFrame, spec: Spec
    ) -> EmptySelection:
        """Name the step of :func:`select_for_fit` that left nothing (``inclusion``: its table)."""
        rule, start = spec.data, spec.data["start_date"]
        head = f"no scores left after the spec's inclusion rule (spec '{spec.name}'): "
        if inclusion.empty:
            active = benchmarks[~benchmarks["exclude"].astype(bool)] if "exclude" in benchmarks \
                else benchmarks
            if active.empty:
                why = "every benchmark is excluded in the metadata (exclude = true)"
            elif rule["benchmarks"] == "published" and not active["published"].astype(bool).any():
                why = ('no benchmark is marked published in the metadata and [data] benchmarks = '
                       '"published"; set published = true on some benchmarks, or use '
                       'benchmarks = "all" in the spec')
            else:
                why = "[data] exclude_benchmarks removes every remaining benchmark"
        elif (inclusion["open_models"] + inclusion["closed_models"]).eq(0).all():
            why = (f"no open or closed model released on/after [data] start_date {start} has a "
                   "score on the remaining benchmarks; set an earlier start_date, or check the "
                   "models' access labels and release dates")
        else:
            need = rule["min_models_per_group"]
            enough = inclusion[["open_models", "closed_models"]].min(axis=1) >= need
            if enough.any():     # enough models, but one group never leaves the floor
                best = inclusion[enough].assign(n=inclusion[["open_above_floor",
                                                             "closed_above_floor"]].min(axis=1))
                top = best.sort_values("n", ascending=False, kind="stable").iloc[0]
                k = rule["min_above_floor"]
                why = (f"no benchmark has {k} open and {k} closed models scoring above its "
                       f"chance floor + {rule['floor_margin']:g} (best: {top['benchmark_id']}, "
                       f"{top['open_above_floor']} open and {top['closed_above_floor']} "
                       "closed); lower [data] min_above_floor or floor_margin, or add scores")
            else:
                best = inclusion.assign(n=inclusion[["open_models", "closed_models"]].min(axis=1))
                top = best.sort_values("n", ascending=False, kind="stable").iloc[0]
                why = (f"no benchmark has {need} open and {need} closed models released since "
                       f"{start} (best: {top['benchmark_id']}, {top['open_models']} open and "
                       f"{top['closed_models']} closed); lower [data] min_models_per_group, set "
                       "an earlier start_date, or add scores")
        return cls(head + why)


def nonempty_selection(
    models: pd.DataFrame, benchmarks: pd.DataFrame, scores: pd.DataFrame, spec: Spec
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return :func:`select_for_fit`'s tables, refusing a selection without scores.

    Raises
    ------
    EmptySelection
        When no score survives; the message names the step of the rule that left nothing.
    """
    models, bench, sc, inclusion = select_for_fit(models, benchmarks, scores, spec)
    if sc.empty:
        raise EmptySelection.explain(benchmarks, inclusion, spec)
    return models, bench, sc, inclusion


def build_model_data(
    models: pd.DataFrame, benchmarks: pd.DataFrame, scores: pd.DataFrame, spec: Spec
) -> ModelData:
    """Build the arrays of one fit from tidy tables (see docs/data-format.md).

    Parameters
    ----------
    models, benchmarks, scores
        Tidy tables; ``release_date`` as datetime64.
    spec
        The model specification (inclusion rule and time settings).

    Returns
    -------
    ModelData
        Everything both backends need, with named dimensions.
    """
    models, bench, sc, inclusion = nonempty_selection(models, benchmarks, scores, spec)
    origin = pd.Timestamp(spec.time["origin"])
    model_ids = models["model_id"].tolist()
    bench_ids = bench["benchmark_id"].tolist()
    m_index = {m: i for i, m in enumerate(model_ids)}
    b_index = {b: i for i, b in enumerate(bench_ids)}
    sc = sc.sort_values(["benchmark_id", "model_id", "raw_row"] if "raw_row" in sc else
                        ["benchmark_id", "model_id"]).reset_index(drop=True)

    t = years_since(models["release_date"], origin)
    families = sorted(models["family"].fillna("other").unique())
    categories = sorted(bench["category"].unique())
    linear = (bench["link"] == "linear").to_numpy(int)

    y, se = _transform(sc, bench)
    ob = sc["benchmark_id"].map(b_index).to_numpy(int)
    om = sc["model_id"].map(m_index).to_numpy(int)
    center = np.zeros(len(bench_ids))
    scale = np.ones(len(bench_ids))
    for b in np.flatnonzero(linear):
        rows = ob == b
        center[b] = y[rows].mean()
        scale[b] = y[rows].std() if rows.sum() > 1 and y[rows].std() > 0 else 1.0
        y[rows] = (y[rows] - center[b]) / scale[b]
        se[rows] = se[rows] / scale[b]
    n_items = bench["n_items"].fillna(0).to_numpy(float).astype(int)
    binomial = ((se == 0) & (n_items[ob] > 0) & (linear[ob] == 0)).astype(int)
    is_open = (models["access"] == "open").to_numpy(int)
    host_b = (bench["third_party_hosts"] == "yes").to_numpy(int)
    obs_host = is_open[om] * np.maximum(
        host_b[ob], sc.get("third_party_host", pd.Series(False, index=sc.index)).to_numpy(int)
    )
    obs_self = sc.get("self_reported", pd.Series(False, index=sc.index)).to_numpy(int)

    t0, t1 = float(t.min()), float(t.max())
    g_first = int(np.floor((t0 - GRID_LEAD_YEARS) * 12))
    g_last = int(np.ceil(t1 * 12)) + 1
    grid = np.arange(g_first, g_last + 1) / 12.0
    grid_origin = int(np.flatnonzero(np.isclose(grid, 0.0))[0])
    gk = month_knots(t0, t1, origin, spec.time["growth_knot_months"])
    dk = month_knots(t0, t1, origin, spec.time["gap_knot_months"])
    months = pd.date_range(
        pd.Timestamp(models["release_date"].min()).to_period("M").to_timestamp(),
        pd.Timestamp(models["release_date"].max()).to_period("M").to_timestamp(),
        freq="MS",
    )
    r_time = years_since(months, origin)

    cells = _selection_cells(om, ob, t, len(bench_ids))
    return ModelData(
        origin=origin,
        model_ids=model_ids,
        model_time=t,
        model_open=is_open,
        model_chinese=models["chinese"].astype(bool).to_numpy(int),
        model_family=models["family"].fillna("other").map(
            {f: i for i, f in enumerate(families)}).to_numpy(int),
        family_names=families,
        bench_ids=bench_ids,
        bench_linear=linear,
        bench_transform=bench["transform"].tolist(),
        bench_chance=np.where(linear == 1, 0.0, bench["chance"].fillna(0).to_numpy(float)),
        bench_n_items=n_items,
        bench_public=(bench["access_type"] == "public").to_numpy(int),
        bench_category=bench["category"].map({c: i for i, c in enumerate(categories)}).to_numpy(
            int),
        category_names=categories,
        bench_host=host_b,
        lin_center=center,
        lin_scale=scale,
        obs_model=om,
        obs_bench=ob,
        y=y,
        se=se,
        obs_binomial=binomial,
        obs_self=obs_self,
        obs_host=obs_host,
        grid_time=grid,
        grid_origin=grid_origin,
        growth_knots=gk,
        growth_interp=interp_matrix(grid, gk),
        growth_rw=random_walk_matrix(gk),
        gap_knots=dk,
        gap_rw=random_walk_matrix(dk),
        gap_interp_model=interp_matrix(t, dk),
        report_time=r_time,
        report_dates=[f"{d:%Y-%m}" for d in months],
        gap_interp_report=interp_matrix(r_time, dk),
        cell_model=cells[0],
        cell_bench=cells[1],
        cell_observed=cells[2],
        inclusion=inclusion,
    )


def _selection_cells(
    om: np.ndarray, ob: np.ndarray, t: np.ndarray, n_bench: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(model, benchmark) cells that could have been evaluated, and whether they were.

    A model could have been evaluated on a benchmark when it was released within the span
    of release dates of the models that were.
    """
    cm, cb, co = [], [], []
    seen = set(zip(om.tolist(), ob.tolist(), strict=True))
    for b in range(n_bench):
        tb = t[om[ob == b]]
        for m in np.flatnonzero((t >= tb.min()) & (t <= tb.max())):
            cm.append(m)
            cb.append(b)
            co.append(int((int(m), b) in seen))
    return np.array(cm, int), np.array(cb, int), np.array(co, int)
