"""The Stan twins agree with the PyMC models: the same posterior.

Fitted by both backends on small simulated worlds, posterior means of the gap quantities and
of the main parameters differ by less than 4 combined Monte Carlo standard errors (for a
vector quantity, its largest element by the Bonferroni equivalent, see ``z_limit``; 2 chains
x 300 draws; a case that fails this is refitted at 4 x 600 with another seed and judged on
that fit alone, because two short chains estimate the MCSE itself loosely). `make test` fits
the default and timeshift-v1; `make test-slow` fits every shipped spec that differs in the
model. The densities are compared in ``test_stan_agreement.py``.

Needs CmdStan (``make cmdstan``); skipped without one.
"""

from __future__ import annotations

import logging
import warnings

import arviz as az
import numpy as np
import pytest
import xarray as xr
from helpers_model import slow
from helpers_stan import SPECS, STAN_MARKS, case_world
from scipy.stats import norm

from gapbayes.inference.backends import SamplerSettings, get_backend
from gapbayes.inference.diagnostics import GAP_VARS, run_diagnostics
from gapbayes.model.families import family
from gapbayes.model.spec import Spec

pytestmark = STAN_MARKS

FIT = SamplerSettings(chains=2, draws=300, tune=300, seed=1, progressbar=False)
# Refit of a case whose short fits disagree (test_posterior_means_agree says why).
CONFIRM = SamplerSettings(chains=4, draws=600, tune=600, seed=2, progressbar=False)
Z_MAX = 4.0
# Quantities compared besides the gap quantities and the family's main parameters.
EXTRA_COMPARED = {"timeshift-v1": ("gap", "gap_offset"), "frontier": ("open_shift",)}

# ---- 2. the same posterior -------------------------------------------------------------------


# The default spec shapes FrontierMath's link, which the fit design lacks: its fit case
# shapes two of the design's benchmarks instead, so both backends sample a shape.
FIT_NAMES = [f"{name}+subset" if name == "default" else name for name in SPECS]
# In `make test` (CI): the default and timeshift-v1 (the two model families). The other shipped
# specs run the same programs with switches whose density, gradient and start points are
# checked above at 1e-6 in every tier; their posterior fits (about 330 of CI's worker-seconds)
# run in `make test-slow`.
CI_FIT_CASES = {"default+subset", "timeshift-v1"}
FIT_CASES = [name if name in CI_FIT_CASES else pytest.param(name, marks=slow, id=name)
             for name in FIT_NAMES]


def _fit_both(spec: Spec, data, settings: SamplerSettings) -> tuple[xr.DataTree, xr.DataTree]:
    """(PyMC DataTree, Stan DataTree) of one spec on one data set."""
    stan_dt = get_backend("stan").sample(data, spec, settings)
    pymc_logger = logging.getLogger("pymc")
    level = pymc_logger.level
    pymc_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pymc_dt = get_backend("pymc").sample(data, spec, settings)
    finally:
        pymc_logger.setLevel(level)
    return pymc_dt, stan_dt


@pytest.fixture(scope="module", params=FIT_CASES)
def fitted_pair(request):
    """(spec, data, PyMC DataTree, Stan DataTree) of both backends on the fit design."""
    spec, _, data = case_world(request.param, "fit", seed=5)
    return spec, data, *_fit_both(spec, data, FIT)


def _compared(spec: Spec, dt: xr.DataTree, data) -> xr.DataTree:
    """Gap quantities, main parameters and the family's extras of one fit's posterior."""
    fam = family(spec)
    post = dt["posterior"].to_dataset()
    gaps = fam.gap_quantities(post, data)
    names = [*EXTRA_COMPARED[spec.model],
             *[v for v in fam.main_parameters if v in post]]
    # The identified-only group gaps average over a benchmark set that each fit picks from its
    # own posterior medians: two correct fits can differ by one borderline benchmark. The
    # per-benchmark and all-benchmark gaps they are built from are compared instead.
    compared = [v for v in GAP_VARS if v in gaps and not v.startswith("gap_identified_")]
    merged = xr.merge([post[names], gaps[compared]])
    return xr.DataTree.from_dict({"posterior": merged})


def _mcse(dt: xr.DataTree) -> xr.Dataset:
    out = az.mcse(dt)
    return out.to_dataset() if isinstance(out, xr.DataTree) else out


def z_limit(n_elements: int) -> float:
    """The largest |z| a quantity of n elements may reach: Z_MAX for one element.

    A vector quantity is judged on its largest element; its limit keeps the chance that
    agreeing backends are flagged, per quantity, at that of one comparison at Z_MAX (the
    Bonferroni bound: about 5.0 for 100 elements). Without it, a curve of 180 months is
    flagged by chance far more often than a scalar parameter.
    """
    return float(norm.isf(norm.sf(Z_MAX) / max(n_elements, 1)))


def _standardised_differences(spec: Spec, data, pymc_dt: xr.DataTree,
                              stan_dt: xr.DataTree) -> tuple[dict, dict, dict, dict]:
    """Per compared quantity: max |mean difference| / combined MCSE, its limit, the largest
    difference in the share of draws where the quantity is undefined, and the share of
    elements that one fit leaves undefined in every draw and the other does not."""
    ref, got = _compared(spec, pymc_dt, data), _compared(spec, stan_dt, data)
    p, s = ref["posterior"].to_dataset(), got["posterior"].to_dataset()
    assert set(p.data_vars) == set(s.data_vars)
    se_p, se_s = _mcse(ref), _mcse(got)
    worst, limit, undefined, decided = {}, {}, {}, {}
    for v in p.data_vars:
        # a gap is undefined (NaN) in draws where a curve leaves the grid: compare the
        # elements defined in every draw of both fits, and how often the others are undefined.
        # An element NaN in every draw is a decision of a rule on posterior medians (a gap
        # not identified, read outside its category's data), which two fits of one model can
        # make differently for a borderline element: those are counted apart (``decided``).
        all_p, all_s = (np.isnan(x[v]).all(("chain", "draw")) for x in (p, s))
        defined = (np.isfinite(p[v]).all(("chain", "draw"))
                   & np.isfinite(s[v]).all(("chain", "draw")))
        share = np.abs(np.isnan(p[v]).mean(("chain", "draw"))
                       - np.isnan(s[v]).mean(("chain", "draw"))).where(~(all_p | all_s))
        undefined[v] = float(share.max()) if bool((~(all_p | all_s)).any()) else 0.0
        decided[v] = float((all_p ^ all_s).mean())
        if not defined.any():
            continue
        diff = np.abs(p[v].mean(("chain", "draw")) - s[v].mean(("chain", "draw")))
        z = (diff / np.sqrt(se_p[v] ** 2 + se_s[v] ** 2)).where(defined)
        worst[v] = float(z.max())
        limit[v] = z_limit(int(defined.sum()))
    return worst, limit, undefined, decided


def _report(label: str, worst: dict, limit: dict, undefined: dict) -> dict:
    top = max(worst, key=lambda k: worst[k] / limit[k])
    print(f"{label}: max |mean diff| / combined MCSE = {worst[top]:.2f} ({top}, limit "
          f"{limit[top]:.2f}); {len(worst)} quantities; max difference in undefined share "
          f"{max(undefined.values()):.2f}")
    return {k: (round(v, 2), round(limit[k], 2)) for k, v in worst.items() if not v < limit[k]}


def test_posterior_means_agree(fitted_pair):
    spec, data, pymc_dt, stan_dt = fitted_pair
    worst, limit, undefined, decided = _standardised_differences(spec, data, pymc_dt, stan_dt)
    bad = _report(f"{spec.name} ({FIT.chains} x {FIT.draws})", worst, limit, undefined)
    if bad:
        # Two chains of 300 draws estimate the MCSE itself loosely: a scale parameter's chain
        # that lingers in one region for a while is missed, and the same case, seed and code
        # gave 2.71 on one machine and 4.16 on another (benchmark_shift_sd; 4 x 1000 draws
        # of both backends then agreed at 1.28). A flagged case is therefore judged again on
        # fresh chains, 4 x 600 with another seed: a real mismatch of the two models is a
        # fixed difference of means, which stands out by about twice as many MCSE there.
        pymc_dt, stan_dt = _fit_both(spec, data, CONFIRM)
        worst, limit, undefined, decided = _standardised_differences(spec, data, pymc_dt,
                                                                     stan_dt)
        bad = _report(f"{spec.name} confirmation ({CONFIRM.chains} x {CONFIRM.draws})",
                      worst, limit, undefined)
    assert not bad, f"{spec.name}: |mean difference| / combined MCSE (limit): {bad}"
    # how often a gap is undefined: a share of 600 draws, far from 0 and 1 a binomial sd of
    # at most 0.02 with independent draws; 0.15 allows for autocorrelation
    assert max(undefined.values()) < 0.15, {k: v for k, v in undefined.items() if v}
    # borderline rule decisions: a few elements of a quantity, not a whole curve or group
    print(f"elements decided undefined by one fit only: {max(decided.values()):.3f} at most")
    assert max(decided.values()) <= 0.05, {k: v for k, v in decided.items() if v}


def test_datatree_layout_matches_pymc(fitted_pair):
    spec, data, pymc_dt, stan_dt = fitted_pair
    fam = family(spec)
    side = fam.stan()
    ref, got = pymc_dt["posterior"].to_dataset(), stan_dt["posterior"].to_dataset()
    # Stan samples the zero-sum vectors through their free coordinates, which PyMC keeps as
    # value variables outside the posterior: the only Stan-only variables allowed
    stan_only = set()
    if spec.model == "frontier":
        from gapbayes.model.frontier_stan import STAN_ONLY

        stan_only = set(STAN_ONLY)
    assert set(ref.data_vars) == set(got.data_vars) - stan_only
    for v in ref.data_vars:
        assert ref[v].dims == got[v].dims, v
        for d in ref[v].dims[2:]:
            assert list(ref[d].values) == list(got[d].values), d
    assert {"diverging", "depth", "step_size", "energy"} <= set(stan_dt["sample_stats"])
    observed = set(stan_dt["observed_data"].data_vars)
    assert observed == set(fam.observed) & set(pymc_dt["observed_data"].data_vars)
    for group in ("log_likelihood", "posterior_predictive"):
        assert set(stan_dt[group].data_vars) == observed, group
        for v in observed:
            assert stan_dt[group][v].dims[2:] == stan_dt["observed_data"][v].dims, (group, v)
    # what run_fit does next: derived gap quantities, then the diagnostics
    post = stan_dt["posterior"].to_dataset()
    with_gaps = stan_dt.copy()
    with_gaps["posterior"] = xr.DataTree(xr.merge([post, fam.gap_quantities(post, data)]))
    diag = run_diagnostics(with_gaps, side.parameter_names(data, spec), FIT.max_treedepth)
    assert {c.name for c in diag.checks} >= {"rhat_max", "divergences", "bfmi_min"}


def test_z_limit_is_z_max_for_a_scalar_and_bonferroni_for_a_vector():
    assert z_limit(1) == pytest.approx(Z_MAX)
    # 100 elements each at the limit have, together, one scalar's chance of a false alarm
    assert 100 * norm.sf(z_limit(100)) == pytest.approx(norm.sf(Z_MAX))
    assert z_limit(100) == pytest.approx(4.98, abs=0.01)
