"""Typed data builder of the frontier model (spec ``model = "frontier"``).

Tidy tables + spec -> the arrays that the PyMC model, the Stan twin and the derived gap code
share. Everything that depends on the data but not on parameters is computed here once: the
base-model and (base model, category) indices, effort classes, the monthly frontier grid with
its knots and data window, the category-trend basis and the reporting window. Shapes in the
field comments: M model ids, K base models, B benchmarks, C categories, N scores, L cells
(base model x category with a score), G grid months, W window knots.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gapbayes.model.design import _transform, interp_matrix, nonempty_selection, years_since
from gapbayes.model.effort_classes import EFFORT_CLASSES, effort_class, effort_suffix
from gapbayes.model.frontier_grid import (
    GRID_STEP_YEARS,
    aligned_knots,
    month_start,
    time_grid,
    trend_prior,
    zero_sum_basis,
)
from gapbayes.model.host_effects import score_hosts
from gapbayes.model.label_errors import ceiling_priors
from gapbayes.model.links import LinkIndices
from gapbayes.model.selection import coherent_units, selection_frame, selects
from gapbayes.model.spec import Spec

# A (base model, category) cell with at least this many scores gets a centred deviation: the
# data pin it far more tightly than the prior does.
RICH_CELL = 3
# Years after a benchmark's release over which an open model's exposure to its items rises
# from 0 to 1 (the contamination term): training-data cut-offs precede releases by months.
EXPOSURE_RAMP_YEARS = 1.0
@dataclass(frozen=True)
class FrontierData(LinkIndices):
    """Arrays of one fit of the frontier model. Times are years since ``origin``."""

    origin: pd.Timestamp
    model_ids: list[str]                 # M model ids (effort and host variants)
    model_base: np.ndarray               # (M,) base-model index
    model_effort: np.ndarray             # (M,) index into effort_names
    effort_names: list[str]              # effort classes present, "default" first
    base_ids: list[str]                  # K base models (weights)
    base_time: np.ndarray                # (K,) release time (earliest variant)
    base_open: np.ndarray                # (K,) 1 = open weights
    base_chinese: np.ndarray             # (K,) 1 = Chinese organisation
    base_family: np.ndarray              # (K,) index into family_names
    family_names: list[str]
    bench_ids: list[str]                 # B benchmarks
    bench_names: list[str]               # display names
    bench_linear: np.ndarray             # (B,) 1 = linear link
    bench_transform: list[str]
    bench_chance: np.ndarray             # (B,) chance floor (proportion scale)
    bench_n_items: np.ndarray            # (B,) items, 0 = unknown
    bench_public: np.ndarray             # (B,) 1 = public benchmark
    bench_category: np.ndarray           # (B,) index into category_names
    category_names: list[str]
    ceiling_mu: np.ndarray               # (B,) prior mean of logit(1 - ceiling)
    ceiling_sigma: np.ndarray            # (B,) prior sd of logit(1 - ceiling)
    ceiling_source: list[str]            # (B,) where the label-error fact comes from
    lin_center: np.ndarray               # (B,) mean of the transformed score (linear links)
    lin_scale: np.ndarray                # (B,) sd of the transformed score (linear links)
    obs_model: np.ndarray                # (N,)
    obs_base: np.ndarray                 # (N,)
    obs_bench: np.ndarray                # (N,)
    obs_cell: np.ndarray                 # (N,) index into cells
    y: np.ndarray                        # (N,) score on the model scale
    se: np.ndarray                       # (N,) standard error, 0 = none
    obs_binomial: np.ndarray             # (N,) 1 = add binomial variance p(1-p)/n_items
    obs_self: np.ndarray                 # (N,) 1 = self-reported score
    obs_host: np.ndarray                 # (N,) 1 = open model served by a third-party host
    # (N,) exposure of an open model's score on a public benchmark to contamination: 0 before
    # the benchmark's release, rising to 1 a year after it (exposure(); 0 without a date)
    obs_exposure: np.ndarray
    cell_base: np.ndarray                # (L,) base model of each cell
    cell_category: np.ndarray            # (L,) category of each cell
    cell_multi: np.ndarray               # (L,) 1 = its base model has several categories
    cell_rich: np.ndarray                # (L,) 1 = at least RICH_CELL scores
    shift_category_basis: np.ndarray     # (C, C-1) zero sum under benchmark counts per category
    grid_time: np.ndarray                # (G,) monthly frontier grid, years since origin
    grid_origin: int                     # index of origin in grid_time
    growth_knots: np.ndarray             # (Kg,) knots of the log growth rate
    growth_interp: np.ndarray            # (G, Kg) linear interpolation grid <- knots
    window: tuple[int, int]              # knot indices [lo, hi] covering the data
    base_cell_left: np.ndarray           # (K,) grid index left of each release time
    base_cell_frac: np.ndarray           # (K,) position between that point and the next
    trend_knots: np.ndarray              # (Kt,) knots of the category trends
    trend_interp: np.ndarray             # (G, Kt)
    trend_origin: int                    # knot where every trend is 0
    trend_basis: np.ndarray              # (Kt, C, C-1) data-weighted zero-sum bases
    trend_chol: np.ndarray               # (P, P) Cholesky of the trend prior covariance
    report_time: np.ndarray              # (R,) first day of each report month
    report_dates: list[str]              # YYYY-MM
    last_open_time: float                # last open release, years since origin
    last_closed_time: float              # last closed release
    inclusion: pd.DataFrame = field(default_factory=pd.DataFrame)
    # switch category_deviations: "all" (every cell of a multi-category base model),
    # "identified" (only cells scored on two or more benchmarks), "none"
    deviations: str = "all"
    host_names: list[str] = field(default_factory=list)   # third-party hosts the data name
    # (N,) host of each score: 0 none or unnamed, h + 1 for host_names[h] (host_effects.py)
    obs_host_id: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    # Selection frame (switch ``selection``, gapbayes/model/selection.py): base models of the
    # models table inside the window with no fitted score, and the candidate pairs.
    frame_ids: list[str] = field(default_factory=list)
    frame_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    frame_open: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    frame_cell_left: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    frame_cell_frac: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cand_unit: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (S,) k or K + j
    cand_bench: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    cand_evaluated: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    cand_era: np.ndarray = field(default_factory=lambda: np.zeros(0))  # position in the era
    frame_family: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # family index
    frame_chinese: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    sel_family_names: list[str] = field(default_factory=list)  # labs of the frame
    unit_family: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (K + K_frame,)

    @property
    def n_effort(self) -> int:
        """Effort classes present (the default class always counts)."""
        return len(self.effort_names)

    def coords(self) -> dict[str, list]:
        """Named dimensions shared by both backends."""
        C = len(self.category_names)
        free_knots = [f"{t:.2f}" for j, t in enumerate(self.trend_knots) if j != self.trend_origin]
        lo, hi = self.window
        return {
            "access": ["closed", "open"],
            "base": self.base_ids,
            "single_base": [self.base_ids[k] for k in np.flatnonzero(single_category(self))],
            "benchmark": self.bench_ids,
            "family": self.family_names,
            "host": self.host_names,
            "category": self.category_names,
            "effort_class": list(self.effort_names[1:]),
            "grid": [f"{t:.4f}" for t in self.grid_time],
            "window_knot": [f"{t:.2f}" for t in self.growth_knots[lo:hi + 1]],
            "back_knot": [f"{t:.2f}" for t in self.growth_knots[:lo]],
            "ahead_knot": [f"{t:.2f}" for t in self.growth_knots[hi + 1:]],
            "trend_knot": [f"{t:.2f}" for t in self.trend_knots],
            "trend_step": [f"{a:.2f}..{b:.2f}" for a, b in zip(self.trend_knots[:-1],
                                                               self.trend_knots[1:],
                                                               strict=True)],
            "trend_coord": [f"{k}:{j}" for k in free_knots for j in range(C - 1)],
            "rich_cell": [str(i) for i in np.flatnonzero(has_deviation(self)
                                                         & (self.cell_rich == 1))],
            "poor_cell": [str(i) for i in np.flatnonzero(has_deviation(self)
                                                         & (self.cell_rich == 0))],
            "category_contrast": [f"contrast {j}" for j in range(max(C - 1, 0))],
            "shift_benchmark": [self.bench_ids[b] for b in own_shift_benchmarks(self)],
            "sig_benchmark": [self.bench_ids[b] for b in self.sig_benchmarks],
            "lin_benchmark": [self.bench_ids[b] for b in self.lin_benchmarks],
            "sig_obs": self.sig_idx.tolist(),
            "lin_obs": self.lin_idx.tolist(),
            "month": self.report_dates,
            "frame_model": self.frame_ids,
            "selection_family": self.sel_family_names,
            "era_term": ["linear", "quadratic"],
        }


def build_frontier_data(
    models: pd.DataFrame, benchmarks: pd.DataFrame, scores: pd.DataFrame, spec: Spec,
    candidates: pd.DataFrame | None = None,
) -> FrontierData:
    """Build the arrays of one frontier-model fit from tidy tables (docs/data-format.md).

    ``candidates`` fixes the selection frame (:func:`gapbayes.model.selection.candidate_table`;
    used by the selection SBC), which then also fixes the time grid to span every unit.

    The tables are those of :func:`gapbayes.model.design.build_model_data`, selected by the
    same inclusion rule (:func:`gapbayes.model.design.nonempty_selection`); ``spec`` is a
    frontier-family spec (inclusion rule and ``[time]`` settings).

    Returns
    -------
    FrontierData

    Raises
    ------
    ValueError
        When no score, no open or no closed model survives the inclusion rule.
    """
    table = models   # the whole table: the selection frame (gapbayes/model/selection.py)
    models, bench, sc, inclusion = nonempty_selection(models, benchmarks, scores, spec)
    origin = pd.Timestamp(spec.time["origin"])
    models = models.sort_values("model_id").reset_index(drop=True)
    bench = bench.sort_values("benchmark_id").reset_index(drop=True)
    sort_cols = ["benchmark_id", "model_id"] + (["raw_row"] if "raw_row" in sc else [])
    sc = sc.sort_values(sort_cols).reset_index(drop=True)

    base_col = models["base_model"] if "base_model" in models else models["model_id"]
    base_col = base_col.where(base_col.astype(str) != "", models["model_id"]).astype(str)
    models = models.assign(base_model=base_col)
    bases = (models.groupby("base_model", sort=True)
             .agg(access=("access", "first"), release=("release_date", "min"),
                  family=("family", "first"), chinese=("chinese", "first"))
             .reset_index())
    if not {"open", "closed"} <= set(bases["access"]):
        raise ValueError("the frontier model needs open and closed models after the inclusion "
                         "rule; found only " + ", ".join(sorted(set(bases["access"]))))
    k_index = {b: i for i, b in enumerate(bases["base_model"])}
    m_index = {m: i for i, m in enumerate(models["model_id"])}
    b_index = {b: i for i, b in enumerate(bench["benchmark_id"])}
    model_base = models["base_model"].map(k_index).to_numpy(int)
    efforts = [effort_class(effort_suffix(m, b))
               for m, b in zip(models["model_id"], models["base_model"], strict=True)]
    effort_names = [c for c in EFFORT_CLASSES if c in set(efforts) or c == "default"]
    model_effort = np.array([effort_names.index(e) for e in efforts], int)

    families = sorted(bases["family"].fillna("other").replace("", "other").unique())
    categories = sorted(bench["category"].unique())
    C = len(categories)
    linear = (bench["link"] == "linear").to_numpy(int)
    y, se = _transform(sc, bench)
    ob = sc["benchmark_id"].map(b_index).to_numpy(int)
    om = sc["model_id"].map(m_index).to_numpy(int)
    ok = model_base[om]
    center, scale = np.zeros(len(bench)), np.ones(len(bench))
    for b in np.flatnonzero(linear):
        rows = ob == b
        center[b] = y[rows].mean()
        sd = y[rows].std()
        scale[b] = sd if rows.sum() > 1 and sd > 0 else 1.0
        y[rows] = (y[rows] - center[b]) / scale[b]
        se[rows] = se[rows] / scale[b]
    n_items = bench["n_items"].fillna(0).to_numpy(float).astype(int)
    bcat = bench["category"].map({c: i for i, c in enumerate(categories)}).to_numpy(int)
    is_open = (bases["access"] == "open").to_numpy(int)
    host_b = (bench["third_party_hosts"] == "yes").to_numpy(int)
    host_row = sc.get("third_party_host", pd.Series(False, index=sc.index)).astype(bool)
    obs_host = is_open[ok] * np.maximum(host_b[ob], host_row.to_numpy(int))
    obs_self = sc.get("self_reported", pd.Series(False, index=sc.index)).astype(bool)
    host_names, obs_host_id = score_hosts(sc["model_id"].astype(str).tolist(),
                                          host_row.to_numpy(int), obs_host)

    cell_key = ok * C + bcat[ob]
    cells, obs_cell = np.unique(cell_key, return_inverse=True)
    cell_base, cell_cat = cells // C, cells % C
    n_cat = np.bincount(cell_base, minlength=len(bases))
    cell_multi = (n_cat[cell_base] > 1).astype(int)
    cell_rich = (np.bincount(obs_cell, minlength=len(cells)) >= RICH_CELL).astype(int)

    t = years_since(bases["release"], origin)
    frame = selection_frame(table, bases["base_model"].tolist(), t, ok, ob, len(bench),
                            lambda dates: years_since(pd.to_datetime(dates), origin),
                            candidates, bench["benchmark_id"].tolist())
    on = selects(frame, spec) or (candidates is not None and spec.switches.get("selection"))
    families, frame_family = coherent_units(frame, families, bool(on))
    del frame["frame_labs"]
    # a fixed frame fixes the time grid too: its curves' prior must not depend on which
    # units a simulated evaluation pattern happened to score
    grid, growth_knots, window = time_grid(
        t if candidates is None else np.concatenate([t, frame["frame_time"]]), spec)
    pos = (t - grid[0]) / GRID_STEP_YEARS
    left = np.clip(np.floor(pos + 1e-9).astype(int), 0, len(grid) - 2)
    frame_pos = (frame["frame_time"] - grid[0]) / GRID_STEP_YEARS
    frame_left = np.clip(np.floor(frame_pos + 1e-9).astype(int), 0, len(grid) - 2)
    trend_knots = aligned_knots(t.min(), t.max(), int(spec.time["trend_knot_months"]))
    if len(trend_knots) < 2:
        trend_knots = np.array([trend_knots[0], trend_knots[0] + 1.0])
    trend_origin = int(np.argmin(np.abs(trend_knots)))
    obs_t = t[ok]
    half = spec.time["trend_knot_months"] / 24.0
    weights = np.array([[np.sum((bcat[ob] == c) & (np.abs(obs_t - k) <= half)) for c in range(C)]
                        for k in trend_knots])
    bases_q = np.stack([zero_sum_basis(w) for w in weights]) if C > 1 else np.zeros(
        (len(trend_knots), 1, 0))
    chol = trend_prior(trend_knots, trend_origin, bases_q) if C > 1 else np.zeros((0, 0))

    open_t, closed_t = t[is_open == 1], t[is_open == 0]
    first = max(open_t.min(), closed_t.min())
    months = pd.date_range(month_start(origin, first), month_start(origin, open_t.max()), freq="MS")
    mu, sigma, source = ceiling_priors(bench["benchmark_id"].tolist(), spec)
    no_date = pd.Series(pd.NaT, index=bench.index)
    released = years_since(pd.to_datetime(bench.get("release_date", no_date)), origin)
    public = (bench["access_type"] == "public").to_numpy(int)
    return FrontierData(
        origin=origin,
        model_ids=models["model_id"].tolist(),
        model_base=model_base,
        model_effort=model_effort,
        effort_names=effort_names,
        base_ids=bases["base_model"].tolist(),
        base_time=t,
        base_open=is_open,
        base_chinese=bases["chinese"].astype(bool).to_numpy(int),
        base_family=bases["family"].fillna("other").replace("", "other").map(
            {f: i for i, f in enumerate(families)}).to_numpy(int),
        family_names=families,
        bench_ids=bench["benchmark_id"].tolist(),
        bench_names=bench["name"].tolist() if "name" in bench else bench["benchmark_id"].tolist(),
        bench_linear=linear,
        bench_transform=bench["transform"].tolist(),
        bench_chance=np.where(linear == 1, 0.0, bench["chance"].fillna(0).to_numpy(float)),
        bench_n_items=n_items,
        bench_public=public,
        bench_category=bcat,
        category_names=categories,
        ceiling_mu=mu,
        ceiling_sigma=sigma,
        ceiling_source=source,
        lin_center=center,
        lin_scale=scale,
        obs_model=om,
        obs_base=ok,
        obs_bench=ob,
        obs_cell=obs_cell,
        y=y,
        se=se,
        obs_binomial=((se == 0) & (n_items[ob] > 0) & (linear[ob] == 0)).astype(int),
        obs_self=obs_self.to_numpy(int),
        obs_host=obs_host.astype(int),
        host_names=host_names,
        obs_host_id=obs_host_id,
        obs_exposure=is_open[ok] * public[ob] * exposure(obs_t, released[ob]),
        cell_base=cell_base,
        cell_category=cell_cat,
        cell_multi=cell_multi,
        cell_rich=cell_rich,
        shift_category_basis=(zero_sum_basis(np.bincount(bcat, minlength=C).astype(float))
                              if C > 1 else np.zeros((1, 0))),
        grid_time=grid,
        grid_origin=int(np.argmin(np.abs(grid))),
        growth_knots=growth_knots,
        growth_interp=interp_matrix(grid, growth_knots),
        window=window,
        base_cell_left=left,
        base_cell_frac=pos - left,
        trend_knots=trend_knots,
        trend_interp=interp_matrix(grid, trend_knots),
        trend_origin=trend_origin,
        trend_basis=bases_q,
        trend_chol=chol,
        report_time=years_since(months, origin),
        report_dates=[f"{d:%Y-%m}" for d in months],
        last_open_time=float(open_t.max()),
        last_closed_time=float(closed_t.max()),
        inclusion=inclusion,
        deviations=str(spec.switches["category_deviations"]),
        frame_cell_left=frame_left,
        frame_cell_frac=frame_pos - frame_left,
        frame_family=frame_family,
        **frame,
    )


def has_deviation(data: FrontierData) -> np.ndarray:
    """Return (L,) True for the cells with a sampled category deviation.

    Cells of base models scored in several categories (switch ``category_deviations =
    "all"``); with ``"identified"`` only those scored on two or more benchmarks of their
    category: a cell seen through one benchmark is that benchmark's residual, which its noise
    already describes (docs/model.md, "Categories with one benchmark"); ``"none"``: no cell.
    """
    out = (data.cell_multi == 1) & (data.deviations != "none")
    if data.deviations == "identified":
        B = len(data.bench_ids)
        pairs = np.unique(data.obs_cell * B + data.obs_bench)   # (cell, benchmark) pairs
        out &= np.bincount(pairs // B, minlength=len(data.cell_base)) >= 2
    return out


def own_shift_benchmarks(data: FrontierData) -> np.ndarray:
    """Return the benchmarks that get an open-shift term of their own (indices, ascending).

    A benchmark alone in its category (of several) has an open shift whose category part and
    benchmark part only the sum of is seen: sampling both left a ridge that the hierarchy's
    sds turned into a funnel (MMLU, the only knowledge benchmark: divergent draws beyond its
    benchmark term's 99% quantile; docs/model.md, "Open-vs-closed shifts per benchmark").
    Its shift is its category's, so only benchmarks that share their category get a term
    (all of them when there is one category).
    """
    C = len(data.category_names)
    if C <= 1:
        return np.arange(len(data.bench_ids))
    counts = np.bincount(data.bench_category, minlength=C)
    return np.flatnonzero(counts[data.bench_category] > 1)


def single_category(data: FrontierData) -> np.ndarray:
    """Return (K,) 1.0 for base models scored in a single category, else 0.0.

    Their one cell has ``cell_multi`` 0: the deviation is folded into the symmetric frontier
    term, or, with the selection term, sampled apart as ``single_dev_z``
    (:func:`gapbayes.model.frontier_pymc.base_abilities`). All 0.0 when the switch
    ``category_deviations`` is "none": there is no deviation to fold.
    """
    if data.deviations == "none":
        return np.zeros(len(data.base_ids))
    folded = np.bincount(data.cell_base, weights=1 - data.cell_multi,
                         minlength=len(data.base_ids))
    return (folded > 0).astype(float)


def exposure(model_time: np.ndarray, bench_release: np.ndarray) -> np.ndarray:
    """Share of a benchmark's contamination that a model released at ``model_time`` carries.

    0 for a model released before the benchmark, rising linearly to 1 for models released
    :data:`EXPOSURE_RAMP_YEARS` or more after it (items have to be on the web before a
    model's training-data cut-off, which precedes its release by months); 0 where the
    benchmark's release date is unknown (NaN). Times in years.
    """
    lag = np.asarray(model_time, float) - np.asarray(bench_release, float)
    return np.nan_to_num(np.clip(lag / EXPOSURE_RAMP_YEARS, 0.0, 1.0), nan=0.0)
