"""Convergence diagnostics through arviz, and posterior summaries with explicit intervals.

All arviz calls of the package live here (arviz 1.x changed defaults: intervals are always
given as equal-tailed with an explicit probability).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

CI_KIND = "eti"
RHAT_MAX = 1.01
ESS_MIN_GAP = 400
BFMI_MIN = 0.3
DEPTH_SATURATION_MAX = 0.01
# Parameters whose R-hat is checked besides the gap quantities: every free parameter.
# Reported gap quantities: R-hat on each, bulk and tail ESS on each (those a family derives).
GAP_VARS = ("gap_backward", "gap_forward", "gap_at_date", "gap_change", "gap_benchmark",
            "gap_identified_backward", "gap_identified_forward", "gap_identified_at_date",
            "gap_new_benchmark", "gap_new_benchmark_at_date", "lab_lag", "lab_lag_at_date",
            "country_lag", "country_lag_at_date")


@dataclass
class Check:
    """One diagnostic: its value, threshold and verdict."""

    name: str
    value: float
    threshold: float
    passed: bool
    detail: str = ""


@dataclass
class Diagnostics:
    """All checks of one fit."""

    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    def failed(self) -> list[Check]:
        """Return the checks that failed."""
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict:
        """Plain data for the manifest (``checks_made`` style)."""
        return {
            "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
            "checks_made": {c.name: bool(c.passed) for c in self.checks},
        }

    def line(self) -> str:
        """One line for the summary: PASS, or FAIL with the failing checks."""
        if self.passed:
            return "diagnostics: PASS (" + ", ".join(
                f"{c.name} {c.value:.3g}" for c in self.checks) + ")"
        return "diagnostics: FAIL: " + "; ".join(
            f"{c.name} = {c.value:.3g} (needs {'<=' if 'rhat' in c.name or 'diverg' in c.name
                                              or 'depth' in c.name else '>='} {c.threshold:g})"
            + (f" {c.detail}" if c.detail else "")
            for c in self.failed())


def _max(tree: xr.DataTree | xr.Dataset) -> float:
    """Largest value; NaN when any value is NaN (a diagnostic that cannot be computed fails)."""
    ds = tree.to_dataset() if isinstance(tree, xr.DataTree) else tree
    vals = [float(np.max(v.values)) for v in ds.data_vars.values() if v.size]
    return max(vals) if vals and not np.isnan(vals).any() else float("nan")


def _min(tree: xr.DataTree | xr.Dataset) -> float:
    """Smallest value; NaN when any value is NaN."""
    ds = tree.to_dataset() if isinstance(tree, xr.DataTree) else tree
    vals = [float(np.min(v.values)) for v in ds.data_vars.values() if v.size]
    return min(vals) if vals and not np.isnan(vals).any() else float("nan")


def _skip_not_identified(diag: xr.DataTree | xr.Dataset, post: xr.Dataset,
                         neutral: float) -> xr.Dataset:
    """Give elements that are NaN in every draw, or the same in every draw, a passing value.

    A NaN element is a group gap at a date where none of the group's benchmarks is
    identified (reported as "not identified"); a constant one is fixed by the model's
    structure (the zero-sum shift of a single benchmark), so R-hat and ESS are undefined
    for it, not bad. Any other NaN still fails the check.
    """
    ds = diag.to_dataset() if isinstance(diag, xr.DataTree) else diag
    out = {}
    for name, values in ds.data_vars.items():
        if name in post and {"chain", "draw"} <= set(post[name].dims):
            draws = post[name]
            empty = draws.isnull().all(("chain", "draw"))
            fixed = (draws.max(("chain", "draw")) == draws.min(("chain", "draw")))
            values = values.where(~(empty | fixed), neutral)
        out[name] = values
    return xr.Dataset(out)


def _label(da: xr.DataArray, flat: int) -> str:
    """``name[coord, ...]`` of element ``flat`` of ``da``, by coordinate labels where known."""
    if not da.dims:
        return str(da.name)
    index = np.unravel_index(flat, da.shape)
    parts = [str(da[d].values[i]) if d in da.coords else str(i)
             for d, i in zip(da.dims, index, strict=True)]
    return f"{da.name}[{', '.join(parts)}]"


def worst_rhat(rhat: xr.Dataset, limit: float = RHAT_MAX, show: int = 3) -> str:
    """How many values exceed ``limit``, of how many, and the ``show`` largest, by name.

    A failed R-hat check names where the chains disagree, so a reader need not open the
    posterior to find the slow corner (a benchmark's link, a frontier month...).
    """
    values, labels = [], []
    for name, da in rhat.data_vars.items():
        flat = np.asarray(da.values, float).ravel()
        values.append(flat)
        named = da.rename(name)
        labels.extend((named, i) for i in range(flat.size))
    allv = np.concatenate(values) if values else np.zeros(0)
    bad = np.nan_to_num(allv, nan=np.inf)
    over = int(np.sum(bad > limit))
    top = [i for i in np.argsort(-bad, kind="stable")[:show] if bad[i] > limit]
    worst = ", ".join(f"{_label(*labels[i])} {allv[i]:.3f}" for i in top)
    return f"({over} of {allv.size} values over {limit:g}; largest: {worst})"


# Samplers' own flags for a trajectory cut off at the depth limit before it turned: nutpie,
# PyMC's NUTS. Stan records none; its depth reaches the limit only when cut off.
_TRUNCATION_FLAGS = ("maxdepth_reached", "reached_max_treedepth")


def truncated_share(stats: xr.DataTree | xr.Dataset, max_treedepth: int) -> float:
    """Share of draws whose trajectory the depth limit stopped before it turned.

    The sampler's own flag where it records one: nutpie's ``extra_doublings`` keep doubling a
    trajectory *after* it turned, so its depth reaches the limit without being cut off (the
    default fit: 75 of 4,000 draws at depth 10, 2 of them cut off). Otherwise (Stan) a draw at
    the maximum depth was cut off.

    Parameters
    ----------
    stats
        The ``sample_stats`` group.
    max_treedepth
        The sampler's maximum tree depth.
    """
    for flag in _TRUNCATION_FLAGS:
        if flag in stats:
            return float(np.mean(np.asarray(stats[flag].values, dtype=bool)))
    depth = stats["depth"].values if "depth" in stats else stats["tree_depth"].values
    return float(np.mean(depth >= max_treedepth))


def run_diagnostics(dt: xr.DataTree, free_vars: list[str], max_treedepth: int = 10) -> Diagnostics:
    """R-hat, bulk/tail ESS on gap quantities, divergences, BFMI, tree-depth saturation.

    Parameters
    ----------
    dt
        Fit result with ``posterior`` (including the derived gap variables) and ``sample_stats``.
    free_vars
        Names of the sampled parameters (R-hat is checked on these and on the gap quantities).
    max_treedepth
        The sampler's maximum tree depth, to detect saturation.
    """
    gap_vars = [v for v in GAP_VARS if v in dt["posterior"]]
    checked = [v for v in free_vars if v in dt["posterior"]] + gap_vars
    post = dt["posterior"].to_dataset()
    with warnings.catch_warnings():
        # NaN R-hat/ESS of constant or not-identified elements is handled below, by name
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat_values = _skip_not_identified(az.rhat(dt, var_names=checked), post, 1.0)
        ess_bulk = _min(_skip_not_identified(az.ess(dt, var_names=gap_vars, method="bulk"),
                                             post, np.inf))
        ess_tail = _min(_skip_not_identified(az.ess(dt, var_names=gap_vars, method="tail"),
                                             post, np.inf))
    rhat = _max(rhat_values)
    stats = dt["sample_stats"]
    div = int(stats["diverging"].values.sum())
    bfmi = np.atleast_1d(np.asarray(az.bfmi(dt).to_dataset()["energy"].values
                                    if hasattr(az.bfmi(dt), "to_dataset")
                                    else az.bfmi(dt)))
    saturated = truncated_share(stats, max_treedepth)
    checks = [
        Check("rhat_max", rhat, RHAT_MAX, bool(rhat <= RHAT_MAX),
              detail="" if rhat <= RHAT_MAX else worst_rhat(rhat_values)),
        Check("ess_bulk_min_gap", ess_bulk, ESS_MIN_GAP, bool(ess_bulk >= ESS_MIN_GAP)),
        Check("ess_tail_min_gap", ess_tail, ESS_MIN_GAP, bool(ess_tail >= ESS_MIN_GAP)),
        Check("divergences", div, 0, div == 0),
        Check("bfmi_min", float(np.min(bfmi)), BFMI_MIN, bool(np.min(bfmi) >= BFMI_MIN)),
        Check("treedepth_saturation", saturated, DEPTH_SATURATION_MAX,
              bool(saturated <= DEPTH_SATURATION_MAX),
              detail=f"(share of trajectories stopped at max depth {max_treedepth} "
                     "before they turned)"),
    ]
    if "step_size" in stats:
        step = stats["step_size"].values.mean(axis=1)
        ratio = float(step.min() / np.median(step))
        checks.append(Check("step_size_ratio_min", ratio, 0.2, bool(ratio >= 0.2),
                            detail="(a chain whose step size collapsed: start-point failure)"))
    return Diagnostics(checks)


def interval_table(da: xr.DataArray, probs: tuple[float, ...] = (0.5, 0.9)) -> pd.DataFrame:
    """Median and equal-tailed intervals over (chain, draw) for every other coordinate.

    Columns: the remaining dims, ``median``, ``eti50_lo``, ``eti50_hi``, ``eti90_lo``,
    ``eti90_hi`` (interval kind and probability explicit in the names).
    """
    q = {"median": 0.5}
    for p in probs:
        tag = f"eti{int(round(p * 100))}"
        q[f"{tag}_lo"], q[f"{tag}_hi"] = (1 - p) / 2, 1 - (1 - p) / 2
    stacked = da.stack(sample=("chain", "draw"))
    cols = {k: stacked.quantile(v, dim="sample").drop_vars("quantile") for k, v in q.items()}
    ds = xr.Dataset(cols)
    if not ds.dims:
        return pd.DataFrame([{k: float(v) for k, v in ds.data_vars.items()}])
    frame = ds.to_dataframe()
    return frame[[c for c in frame.columns if c in q]].reset_index()


def parameter_summary(dt: xr.DataTree, var_names: list[str], ci_prob: float = 0.9) -> pd.DataFrame:
    """Arviz summary with an explicit equal-tailed interval."""
    present = [v for v in var_names if v in dt["posterior"]]
    return az.summary(dt, var_names=present, ci_prob=ci_prob, ci_kind=CI_KIND)
