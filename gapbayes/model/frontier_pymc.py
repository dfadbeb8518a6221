"""The frontier model (model v2) in PyMC; the Stan twin is models/frontier.stan.

Structure (docs/model.md has the full story and the measurements behind each choice):

- Frontier curves F_g(t), g = closed, open: a level at the origin plus the integral of
  exp(r_g), r_g the log growth rate, a random walk over the growth knots. Inside the data
  window the knot values are sampled directly (the data pin frontier levels, so each
  interval's rate is pinned locally), partially centred in the walk's sd
  (``GROWTH_CENTRING``); outside it the walk continues non-centred from the window's edges
  (no data there: prior extrapolation, widening with distance).
- Category trends h_c(t): category c's frontier is F_g(t) + h_c(t); h is 0 at the origin knot,
  sums to zero across categories with the data's weights at every knot (so the general
  frontier is the data-weighted average category) and follows a random walk: a centred
  Gaussian with a fixed covariance (design.trend_chol) times a half-normal scale. With
  ``monotone_categories`` (off by default) the same walk is the log ratio of the category's
  growth rate to its group's, so F_g,c rises wherever F_g does
  (:mod:`gapbayes.model.category_rates`).
- Soft frontier: the ability of base model k is skew-normal around F_g(t_k): a symmetric term
  v minus a half-normal shortfall u (composed error), u's scale hierarchical by family (switch
  ``shortfall = "gamma"``: a Gamma(2) u, :mod:`gapbayes.model.composed_error`). Effort
  variants of a base model share its ability up to an effort effect (by category, zero-sum
  around the mean effect); a model scored in several categories has centred or non-centred
  deviations per category, one scored in a single category has them folded into v (exact
  marginalisation).
- Open-vs-closed capability shifts per benchmark (public, category, benchmark parts, each
  summing to zero over the benchmarks) give the gap by benchmark, category and access type.
- Contamination (switch ``contamination``): open models gain ``contamination`` x exposure on
  public benchmarks, exposure rising from 0 at the benchmark's release to 1 a year later
  (:func:`gapbayes.model.frontier_design.exposure`). A bias term like the provider penalty:
  it acts on the scores, not on the curves, so the gaps are free of it.
- Selection (switch ``selection``, :mod:`gapbayes.model.selection`): which frame models get
  evaluated on which benchmarks depends on access and on capability relative to the closed
  frontier; unscored frame models get abilities from the same population.
- Sums to zero are built in (zero-sum bases) where a direction would otherwise be pinned by a
  prior alone (measured: the mean of raw benchmark shifts and the public shift correlated
  +0.83).
- Link and noise per benchmark as in v1, with zero-sum difficulties (location) and zero-sum
  log slopes (scale) and ceilings with label-error priors. The benchmarks that the spec lists
  in ``asymmetric_link_benchmarks`` (by default FrontierMath Tiers 1-3, built from tiers of
  very different difficulty, and MMLU, flat at 0.86-0.88 over a year of frontier
  models), or every sigmoid benchmark with the switch ``asymmetric_link`` (off by default:
  slow sampling), get a link with a shape, so a slow approach to the
  ceiling is not mistaken for a low ceiling (:mod:`gapbayes.model.frontier_likelihood`).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from gapbayes.model.category_rates import cell_rate_trend, rate_trend_grid, uses_rate_trends
from gapbayes.model.composed_error import composed_ability, shortfall_shape
from gapbayes.model.country import country_offsets, frame_country_weights, uses_country
from gapbayes.model.design import interp_matrix
from gapbayes.model.frontier_design import (
    FrontierData,
    has_deviation,
    own_shift_benchmarks,
    single_category,
)
from gapbayes.model.frontier_grid import GRID_STEP_YEARS
from gapbayes.model.frontier_likelihood import add_score_likelihood
from gapbayes.model.host_effects import host_weights, uses_host_effects
from gapbayes.model.lab_curves import frame_trend_weights, lab_walks, uses_lab_curves
from gapbayes.model.selection import add_selection, frontier_at, uses_selection
from gapbayes.model.spec import Spec

OBSERVED = ("y_sig", "y_lin")
GROWTH_CENTRING = 0.5   # power of the walk's sd kept in its sampled steps (1 centred, 0 not)


def _normal(name: str, spec: Spec, prior: str | None = None, **kw) -> pt.TensorVariable:
    p = spec.prior(prior or name)
    return pm.Normal(name, mu=p["mu"], sigma=p["sigma"], **kw)


def _half(name: str, spec: Spec, prior: str | None = None) -> pt.TensorVariable:
    return pm.HalfNormal(name, sigma=spec.prior(prior or name)["sigma"])


def trend_map(data: FrontierData) -> np.ndarray:
    """Matrix (Kt*C, P): free trend coordinates -> trend values at the knots (row-major)."""
    K, C = len(data.trend_knots), len(data.category_names)
    free = [j for j in range(K) if j != data.trend_origin]
    T = np.zeros((K * C, len(free) * (C - 1)))
    for i, j in enumerate(free):
        T[j * C:(j + 1) * C, i * (C - 1):(i + 1) * (C - 1)] = data.trend_basis[j]
    return T


def uses_trends(data: FrontierData, spec: Spec) -> bool:
    """Category trends need the switch and at least two categories."""
    return bool(spec.switches["category_trends"]) and len(data.category_names) > 1


def uses_contamination(data: FrontierData, spec: Spec) -> bool:
    """Tell whether the contamination term exists: its switch and an exposed (open) score."""
    return bool(spec.switches["contamination"]) and bool(np.any(data.obs_exposure > 0))


def uses_public_shift(data: FrontierData) -> bool:
    """Tell whether a public/private contrast exists (both kinds of benchmark are fitted)."""
    return 0 < int(data.bench_public.sum()) < len(data.bench_ids)


def frontier_curves(data: FrontierData, spec: Spec
                    ) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """Add the frontier parameters; return F and its growth rate, (2, G) each.

    F is registered as ``frontier``.
    """
    lo, hi = data.window
    knots = data.growth_knots
    dt = float(knots[1] - knots[0])
    sd = _half("growth_rw_sd", spec, "growth_rw")
    start = spec.prior("log_growth_start")
    # partially centred (Papaspiliopoulos, Roberts & Skold 2007): the sampled knot values
    # have steps of sd^c sqrt(dt), and the walk is their spread around the first knot times
    # sd^(1 - c). c = 1 is the centred walk, whose funnel neck at a small sd stranded a chain
    # (independent world 5: sd 0.002, 1,000 divergent draws); c = 0 the non-centred one,
    # whose steps the data pin at a large sd (divergences in its upper tail); docs/model.md
    partial = pm.GaussianRandomWalk(
        "log_growth_partial", init_dist=pm.Normal.dist(start["mu"], start["sigma"], shape=2),
        sigma=sd ** GROWTH_CENTRING * np.sqrt(dt), steps=hi - lo, shape=(2, hi - lo + 1),
        dims=("access", "window_knot"))
    first = partial[:, :1]
    window = pm.Deterministic("log_growth", first + sd ** (1 - GROWTH_CENTRING) * (partial - first),
                              dims=("access", "window_knot"))
    parts = []
    if lo > 0:
        z = pm.Normal("growth_back_z", 0.0, 1.0, dims=("access", "back_knot"))
        back = window[:, 0][:, None] - sd * np.sqrt(dt) * pt.cumsum(z[:, ::-1], axis=1)
        parts.append(back[:, ::-1])
    parts.append(window)
    if hi < len(knots) - 1:
        z = pm.Normal("growth_ahead_z", 0.0, 1.0, dims=("access", "ahead_knot"))
        parts.append(window[:, -1][:, None] + sd * np.sqrt(dt) * pt.cumsum(z, axis=1))
    log_rate = pt.dot(pt.concatenate(parts, axis=1), data.growth_interp.T)   # (2, G)
    rate = pt.exp(log_rate)
    cum = pt.concatenate(
        [pt.zeros((2, 1)), pt.cumsum(0.5 * (rate[:, 1:] + rate[:, :-1]) * GRID_STEP_YEARS,
                                     axis=1)], axis=1)
    closed = _normal("closed_level", spec)
    gap0 = _normal("open_level", spec)
    level = pt.stack([closed, closed + gap0])
    F = cum - cum[:, data.grid_origin][:, None] + level[:, None]
    return pm.Deterministic("frontier", F, dims=("access", "grid")), rate


def category_trends(data: FrontierData, spec: Spec) -> pt.TensorVariable:
    """Category trends at the trend knots (Kt, C); zeros when switched off.

    Level trends (``category_trend_knots``), or with ``monotone_categories`` the log ratios of
    the categories' growth rates to the general one (``category_rate_knots``,
    :mod:`gapbayes.model.category_rates`); both with the same random-walk prior structure.
    """
    K, C = len(data.trend_knots), len(data.category_names)
    if not uses_trends(data, spec):
        return pt.zeros((K, C))
    rates = uses_rate_trends(spec)
    scale = _half("category_trend_sd", spec, "category_rate" if rates else "category_trend")
    # Non-centred: where the data say little about the trends (scale near 0) the centred
    # form is a funnel that a chain can enter and not leave (one chain at trend sd 0.001
    # and 994 divergent draws on an independent world: docs/studies.md)
    z = pm.Normal("category_trend_z", 0.0, 1.0, dims="trend_coord")
    eta = pm.Deterministic("category_trend", scale * pt.dot(data.trend_chol, z),
                           dims="trend_coord")
    h = pt.dot(trend_map(data), eta).reshape((K, C))
    name = "category_rate_knots" if rates else "category_trend_knots"
    return pm.Deterministic(name, h, dims=("trend_knot", "category"))


def base_abilities(data: FrontierData, spec: Spec, frontier: pt.TensorVariable,
                   dev_sd: pt.TensorVariable) -> tuple[pt.TensorVariable, tuple | None]:
    """Abilities of the base models around the general frontier (composed error).

    The shortfall's shape is the spec switch ``shortfall`` (:mod:`gapbayes.model.composed_error`:
    half-normal, so skew-normal abilities, or gamma(2)).

    With the ``country`` switch, Chinese open base models sit around the open frontier plus
    the Chinese offset curve (:mod:`gapbayes.model.country`); with ``lab_curves`` the family
    shortfall scale follows a walk in time (:mod:`gapbayes.model.lab_curves`).

    A model scored in one category has its category deviation folded into the symmetric
    term (exact for the scores). The selection term needs the general ability apart, so
    there the deviation is sampled as ``single_dev_z`` (standardised): ``ability`` ~
    skew-normal around frontier + dev_sd z, the cell ability that the scores pin, and the
    general ability is ``ability`` - dev_sd z. The same density as a general ability plus
    an explicit deviation, without the ridge along which only their sum is informed.

    Returns
    -------
    ability, general, frame_prior
        The base abilities (for single-category models the cell ability), the general
        abilities (the same tensor without the selection term), and with the selection term
        the (frontier, shortfall scale, symmetric sd, shortfall shape) of the unscored frame
        models' composed error: the same prior with the same lab, walk and country terms,
        else None.
    """
    G = len(data.grid_time)
    flat = frontier.reshape((2 * G,))
    idx = data.base_open * G + data.base_cell_left
    f = data.base_cell_frac
    at_release = flat[idx] * (1.0 - f) + flat[idx + 1] * f
    frame = uses_selection(data, spec) and len(data.frame_ids) > 0
    if frame:
        at_frame = frontier_at(frontier, data.frame_open, data.frame_cell_left,
                               data.frame_cell_frac)
    if uses_country(data, spec):
        at_release = at_release + country_offsets(data, spec)
        if frame:
            at_frame = at_frame + pt.dot(frame_country_weights(data),
                                         pm.modelcontext(None)["china_offset_knots"])
    # log-normal, not half-normal: sv = 0 is the hard envelope that the soft frontier excludes,
    # and a half-normal's mode sits there (docs/model.md, "Seed-keyed starts and the hard envelope")
    noise = spec.prior("frontier_noise")
    sv = pm.LogNormal("frontier_noise_sd", mu=noise["mu"], sigma=noise["sigma"])
    mu_u = _normal("shortfall_log_scale", spec)
    tau_u = _half("shortfall_family_sd", spec)
    fam_z = pm.Normal("shortfall_family_z", 0.0, 1.0, dims="family")
    log_su = (mu_u + tau_u * fam_z)[data.base_family]
    if frame:
        log_su_frame = (mu_u + tau_u * fam_z)[data.frame_family]
    if uses_lab_curves(data, spec):
        log_su = log_su + lab_walks(data, spec)
        if frame:
            walk = pm.modelcontext(None)["lab_shortfall_walk"]
            log_su_frame = log_su_frame + pt.sum(
                walk[data.frame_family] * frame_trend_weights(data), axis=1)
    su = pt.exp(log_su)
    single = single_category(data)
    apart = pt.zeros(len(data.base_ids))
    if uses_selection(data, spec) and single.any():
        z = pm.Normal("single_dev_z", 0.0, 1.0, dims="single_base")
        apart = pt.set_subtensor(apart[np.flatnonzero(single)], dev_sd * z)
        at_release, sv_k = at_release + apart, sv
    else:
        # a base model scored in one category: its category deviation joins the symmetric term
        sv_k = pt.sqrt(sv**2 + single * dev_sd**2)
    shape = shortfall_shape(spec.switches)
    ability = composed_ability("ability", shape, at_release, su, sv_k, dims="base")
    if not frame:
        return ability, ability - apart, None
    su_f = pt.exp(log_su_frame)
    return ability, ability - apart, (at_frame, su_f, sv, shape)


def category_deviations(data: FrontierData, dev_sd: pt.TensorVariable) -> pt.TensorVariable:
    """Deviation of each (base model, category) cell: 0 for single-category base models.

    Centred for cells with enough scores, non-centred otherwise. A model scored in a single
    category has its deviation folded into the symmetric frontier term instead (exact
    marginalisation, see :func:`base_abilities`). Measured alternatives that were slower on
    the bundled data (4 x (1000 + 1000), seed 0): deviations summing to zero within each
    model, as zero-sum coordinates (every draw at tree depth 6, minimum ESS 100) or as cell
    terms minus their model mean (minimum ESS 152 against 289 here).
    """
    rich = np.flatnonzero(has_deviation(data) & (data.cell_rich == 1))
    poor = np.flatnonzero(has_deviation(data) & (data.cell_rich == 0))
    pieces, order = [pt.zeros(1)], []
    if len(rich):
        pieces.append(pm.Normal("category_dev", 0.0, dev_sd, dims="rich_cell"))
        order.append(rich)
    if len(poor):
        pieces.append(dev_sd * pm.Normal("category_dev_z", 0.0, 1.0, dims="poor_cell"))
        order.append(poor)
    position = np.zeros(len(data.cell_base), int)   # cells without a deviation read slot 0
    start = 1
    for cells in order:
        position[cells] = start + np.arange(len(cells))
        start += len(cells)
    return pt.concatenate(pieces)[position]


def effort_effects(data: FrontierData, spec: Spec) -> pt.TensorVariable:
    """Effort effect of each score (0 for the provider default)."""
    E, C = data.n_effort, len(data.category_names)
    if E == 1:
        return pt.zeros(len(data.y))
    gamma = _normal("effort", spec, dims="effort_class")
    table = pt.tile(gamma[:, None], (1, C))
    if spec.switches["effort_by_category"] and C > 1:
        # zero sum over the categories: ``effort`` is the mean effect across categories
        sd = _half("effort_category_sd", spec, "effort_category")
        z = pm.ZeroSumNormal("effort_category_z", sigma=1.0, n_zerosum_axes=1,
                             dims=("effort_class", "category"))
        table = table + sd * z
    table = pt.concatenate([pt.zeros((1, C)), table], axis=0).reshape((E * C,))
    e = data.model_effort[data.obs_model]
    return table[e * C + data.bench_category[data.obs_bench]]


def open_shifts(data: FrontierData, spec: Spec) -> pt.TensorVariable:
    """Open-vs-closed capability shift per benchmark, mean zero over the benchmarks.

    A public contrast (centred over the benchmarks), a category part that sums to zero over
    the benchmarks, and zero-sum benchmark terms for the benchmarks that share their category
    (:func:`~gapbayes.model.frontier_design.own_shift_benchmarks`: a benchmark alone in its
    category has its category's shift): the mean over benchmarks is zero by construction,
    with no direction left to the priors alone (the open frontier's level carries the mean).
    """
    B, C = len(data.bench_ids), len(data.category_names)
    shift = pt.zeros(B)
    if uses_public_shift(data):
        pub = data.bench_public - data.bench_public.mean()
        shift = shift + _normal("public_shift", spec) * pub
    if C > 1:
        sd = _half("category_shift_sd", spec, "category_shift")
        z = pm.Normal("category_shift_z", 0.0, 1.0, dims="category_contrast")
        shift = shift + (sd * pt.dot(data.shift_category_basis, z))[data.bench_category]
    own = own_shift_benchmarks(data)
    term = pt.zeros(B)
    if len(own) > 1:
        b_sd = _half("benchmark_shift_sd", spec, "benchmark_shift")
        # non-centred: on the 16 published benchmarks the shift sd sits near 0 (posterior 5%
        # quantile 0.014) and the centred form was a funnel (sd's ESS 111, R-hat 1.045)
        z = pm.ZeroSumNormal("benchmark_shift_z", sigma=1.0, dims="shift_benchmark")
        term = pt.set_subtensor(term[own], b_sd * z)
    shift = shift + pm.Deterministic("benchmark_shift", term, dims="benchmark")
    return pm.Deterministic("open_shift", shift, dims="benchmark")


def build_frontier_model(data: FrontierData, spec: Spec) -> pm.Model:
    """Build the PyMC frontier model for ``data`` under ``spec``.

    Returns
    -------
    pymc.Model
        Observed ``y_sig`` and ``y_lin`` hold pm.Data containers (new data can be swapped in).
    """
    sw = spec.switches
    with pm.Model(coords=data.coords()) as model:
        F, rate = frontier_curves(data, spec)
        h = category_trends(data, spec)
        # switch category_deviations = "none": no deviation term, so no sd to sample either
        dev_sd = (_half("category_dev_sd", spec, "category_dev") if data.deviations != "none"
                  else pt.as_tensor_variable(0.0))
        ability, general, frame_prior = base_abilities(data, spec, F, dev_sd)
        w = category_deviations(data, dev_sd)
        if uses_trends(data, spec) and uses_rate_trends(spec):
            h_cell = cell_rate_trend(data, rate_trend_grid(data, h, rate))
        else:
            # category trend at each cell's release time (trend knots interpolated linearly)
            Wt = interp_matrix(data.base_time, data.trend_knots)[data.cell_base]   # (L, Kt)
            h_cell = (Wt * h.T[data.cell_category]).sum(axis=1)
        cell = ability[data.cell_base] + h_cell + w
        theta = cell[data.obs_cell] + effort_effects(data, spec)
        theta = theta + data.base_open[data.obs_base] * open_shifts(data, spec)[data.obs_bench]
        if sw["provider_degradation"] and data.obs_host.any():
            penalty = _half("provider_penalty", spec)
            weight = data.obs_host
            if uses_host_effects(data, spec):
                weight = weight * host_weights(data, spec, penalty)
            theta = theta - penalty * weight
        if sw["self_report"] and data.obs_self.any():
            theta = theta + _normal("self_report_offset", spec) * data.obs_self
        if uses_contamination(data, spec):
            theta = theta + _normal("contamination", spec) * data.obs_exposure
        add_score_likelihood(data, spec, theta)
        if uses_selection(data, spec):
            add_selection(data, spec, F, general, frame_prior)
    return model
