"""The small backend interface (build, sample -> DataTree) and its PyMC implementation.

A backend turns (design data, Spec, SamplerSettings) into an ``xarray.DataTree`` with the groups
``posterior`` (parameters and the deterministic ``frontier``, ``gap``, ``gap_offset``...),
``sample_stats`` and ``log_likelihood`` under the same variable and dimension names, so
derived quantities, diagnostics and results writing are shared. The Stan backend lives in
:mod:`gapbayes.inference.backend_stan`.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import xarray as xr

from gapbayes.inference.backend_base import (  # noqa: F401  (re-exported: the public names)
    PPC_DRAWS,
    Backend,
    SamplerSettings,
    drop_object_vars,
)
from gapbayes.model.families import family
from gapbayes.model.links import with_single_link
from gapbayes.model.spec import Spec


class PyMCBackend(Backend):
    """The PyMC model of the spec's family, sampled with nutpie (default) or PyMC's own NUTS."""

    name = "pymc"

    def free_parameters(self, data, spec: Spec) -> list[str]:
        """Names of the free random variables of the PyMC model."""
        return [v.name for v in family(spec).build_pymc(data, spec).free_RVs]

    def sample(self, data, spec: Spec, settings: SamplerSettings) -> xr.DataTree:
        """Sample; add the pointwise log-likelihood and thinned posterior predictive draws.

        Chains start where the family says (the frontier model: data-driven abilities and
        difficulties, see :mod:`gapbayes.model.frontier_init`), with the same procedure for
        nutpie (per-chain seeds chosen by nutpie) and PyMC's NUTS (per-chain seeds from the
        fit's seed).
        """
        import pymc as pm
        import pytensor

        if settings.sampler not in ("nutpie", "pymc"):
            raise ValueError(f"unknown sampler '{settings.sampler}': use 'nutpie' or 'pymc'")
        fam = family(spec)
        model = fam.build_pymc(data, spec)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="pymc")
            warnings.filterwarnings("ignore", category=FutureWarning)
            # the selection term is a Potential on the evaluation pattern; the predictive
            # draws scores given the parameters, which it does not touch
            warnings.filterwarnings("ignore", message="The effect of Potentials",
                                    category=UserWarning)
            if settings.sampler == "nutpie":
                dt = _sample_nutpie(model, data, fam, settings)
            else:
                initvals = None
                if fam.start_point_fn is not None:
                    from gapbayes.model.frontier_init import chain_seeds

                    start = fam.start_point_fn(model, data, transformed=False)
                    initvals = [start(s) for s in chain_seeds(settings.seed, settings.chains)]
                # fastmath off as for nutpie (nutpie_compile.py): otherwise a seed's draws
                # depend on the state of PyTensor's Numba cache
                with pytensor.config.change_flags(numba__fastmath=False):
                    dt = pm.sample(
                        draws=settings.draws, tune=settings.tune, chains=settings.chains,
                        cores=settings.cores, random_seed=settings.seed, nuts_sampler="pymc",
                        initvals=initvals, model=model, progressbar=settings.progressbar,
                        compute_convergence_checks=False,
                        nuts={"target_accept": settings.target_accept,
                              "max_treedepth": settings.max_treedepth})
            pm.compute_log_likelihood(dt, model=model, progressbar=False)
            thinned = dt["posterior"].to_dataset().thin(
                {"draw": max(1, settings.draws * settings.chains // PPC_DRAWS)})
            ppc = pm.sample_posterior_predictive(
                thinned, model=model, var_names=[v for v in fam.observed if v in model.named_vars],
                random_seed=settings.seed, progressbar=False,
                # 400 draws do not repay graph rewrites (bundled data: 4.4 s -> 0.7 s)
                compile_kwargs={"mode": "FAST_COMPILE"})
            dt["posterior_predictive"] = ppc["posterior_predictive"]
        if "depth" not in dt["sample_stats"] and "tree_depth" in dt["sample_stats"]:
            stats = dt["sample_stats"].to_dataset().rename({"tree_depth": "depth"})
            dt["sample_stats"] = xr.DataTree(stats)
        dt["posterior"] = xr.DataTree(with_single_link(dt["posterior"].to_dataset()))
        return drop_object_vars(dt)


def _sample_nutpie(model, data, fam, settings: SamplerSettings) -> xr.DataTree:
    """Nutpie on the compiled model, started by the family's start-point function.

    With ``adaptation = "pilot"`` a pilot run inside the tuning budget learns the slow
    directions first (:mod:`gapbayes.inference.pilot_metric`).
    """
    import dataclasses
    import time

    from nutpie.compile_pymc import _rv_dict_to_flat_array_wrapper
    from pymc.backends.arviz import patch_nutpie_idata

    from gapbayes.inference import pilot_metric
    from gapbayes.inference.nutpie_compile import compile_exact

    pilot = settings.adaptation == "pilot" and settings.tune >= pilot_metric.MIN_TUNE
    compiled = compile_exact(pilot_metric.preconditioned_model(model) if pilot else model)
    if fam.start_point_fn is not None:
        start = fam.start_point_fn(model, data, transformed=True)
        names = [model.rvs_to_values[v].name for v in model.free_RVs]
        shapes = {k: np.shape(v) for k, v in start(0).items()}  # no initial-point compile
        flat = _rv_dict_to_flat_array_wrapper(start, names, [shapes[n] for n in names])
        compiled = dataclasses.replace(compiled, initial_point_func=flat)
    began = time.time()
    if not pilot:
        # "pilot" below MIN_TUNE tuning steps is nutpie's diagonal adaptation
        adaptation = "diag" if settings.adaptation == "pilot" else settings.adaptation
        dt = _run_nutpie(compiled, settings, settings.draws, settings.tune, adaptation,
                         doublings=settings.extra_doublings)
    else:
        tune_pilot = round(pilot_metric.PILOT_TUNE * settings.tune)
        draws_pilot = round(pilot_metric.PILOT_DRAWS * settings.tune)
        first = _run_nutpie(compiled, settings, draws_pilot, tune_pilot, "diag", "pilot: ")
        draws = pilot_metric.pilot_draws(first)
        directions = pilot_metric.learn_directions(draws, pilot_metric.block_index(model))
        compiled = dataclasses.replace(
            compiled.with_data(**pilot_metric.shared_values(directions)),
            initial_point_func=pilot_metric.last_points(draws, directions))
        # the pilot only has to find the slow directions: its trajectories stay short
        dt = _run_nutpie(compiled, settings, settings.draws,
                         settings.tune - tune_pilot - draws_pilot, "diag",
                         doublings=settings.extra_doublings)
        post = dt["posterior"].to_dataset().drop_vars(pilot_metric.FLAT_NAME)
        post.attrs.update({f"pilot_{k}": str(v) for k, v in directions.summary().items()})
        dt["posterior"] = xr.DataTree(post)
    patch_nutpie_idata(dt, model, sampling_time=time.time() - began)
    # with a pilot, nutpie stamped only the second stage's time and tuning steps
    dt["posterior"].attrs.update(sampling_time=time.time() - began, tuning_steps=settings.tune)
    return dt


def _run_nutpie(compiled, settings: SamplerSettings, draws: int, tune: int,
                adaptation: str, label: str = "", doublings: int = 0) -> xr.DataTree:
    """One nutpie run with a progress display; Ctrl-C cancels it.

    ``doublings``: nutpie's ``extra_doublings``, trajectory doublings past the U-turn.
    """
    import nutpie
    from pymc.progress_bar import NutpieProgressBarManager

    from gapbayes.inference.progress_plain import PlainProgress

    if settings.progressbar and not sys.stderr.isatty():
        bars = PlainProgress(settings.chains, draws, tune, label=label)
    else:
        bars = NutpieProgressBarManager(chains=settings.chains, draws=draws,
                                        progressbar=settings.progressbar)
    with bars:
        # Non-blocking, polled from Python: nutpie's blocking call answers Ctrl-C by returning
        # the draws made so far, which would become a short "result"; here Ctrl-C discards
        # the run and propagates as KeyboardInterrupt (exit 130, nothing written).
        sampler = nutpie.sample(
            compiled, draws=draws, tune=tune, chains=settings.chains,
            cores=settings.cores, seed=settings.seed, save_warmup=False, progress_bar=False,
            progress_callback=bars.update, target_accept=settings.target_accept,
            maxdepth=settings.max_treedepth, adaptation=adaptation, blocking=False,
            extra_doublings=doublings)
        try:
            while True:
                try:
                    return sampler.wait(timeout=0.2)   # TimeoutError: still sampling
                except TimeoutError:
                    continue
        except BaseException:
            sampler.cancel()
            raise


def get_backend(name: str) -> Backend:
    """Return the backend called ``name`` (``pymc`` or ``stan``)."""
    if name == "pymc":
        return PyMCBackend()
    if name == "stan":
        from gapbayes.inference.backend_stan import StanBackend

        return StanBackend()
    raise ValueError(f"unknown backend '{name}': use 'pymc' or 'stan'")


def joint_log_likelihood(dt: xr.DataTree) -> np.ndarray:
    """Sum of the pointwise log-likelihood over observations, per draw (chain, draw)."""
    ll = dt["log_likelihood"].to_dataset()
    total = 0.0
    for v in ll.data_vars.values():
        total = total + v.sum(dim=[d for d in v.dims if d not in ("chain", "draw")])
    return np.asarray(total)
