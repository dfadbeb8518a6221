"""The SBC fit interface: ``prepare`` once, then ``fit`` one simulated dataset at a time.

Like the SBC R package's ``SBC_fit`` the interface is deliberately tiny, so a mock whose
answer is known can stand in for a real sampler and test the rank machinery itself:

- ``prepare(design, spec)`` does everything that does not depend on the simulated scores
  (building and compiling the model); it runs once per worker process;
- ``fit(y_data, seed) -> FitDraws`` samples the posterior given one simulated dataset.
  ``y_data`` maps the model's data-container names (``y_sig_data``, ``y_lin_data``,
  ``evaluated_data``; ``y`` for the mock) to arrays.

Implementations: :class:`NutpieBackend` (the PyMC model compiled once with nutpie; each
simulation only swaps the observed arrays with ``CompiledPyMCModel.with_data``),
:class:`StanBackend` (models/gapbayes.stan through CmdStan, compiled once and cached), and
:class:`MockBackend` (exact or deliberately wrong posterior of a conjugate normal model).
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gapbayes.model.design import ModelData
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.spec import Spec


@dataclass(frozen=True)
class SBCSettings:
    """How each simulated dataset is fitted and thinned (recorded in the run's id).

    Attributes
    ----------
    chains, draws, tune
        Chains and post-warmup / warmup iterations per chain.
    thin
        Keep every ``thin``-th post-warmup draw for the ranks: L = chains * draws / thin.
        Thinning makes the kept draws nearly independent, which the uniformity of ranks
        assumes (Talts et al. 2018, section 4.1).
    target_accept, max_treedepth
        NUTS settings.
    cores
        Chains run in parallel within one fit (threads in nutpie, processes in CmdStan).
    """

    chains: int = 2
    draws: int = 500
    tune: int = 500
    thin: int = 10
    target_accept: float = 0.9
    max_treedepth: int = 10
    cores: int = 1

    @property
    def n_ranked(self) -> int:
        """L: the number of thinned posterior draws each prior draw is ranked among."""
        return len(range(0, self.chains * self.draws, self.thin))

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the run manifest (``cores`` does not change results: left out)."""
        d = asdict(self)
        d.pop("cores")
        return d


@dataclass(frozen=True)
class FitDraws:
    """Posterior draws of one fit.

    Attributes
    ----------
    posterior
        Name -> array of shape (chain, draw, ...): every free parameter (constrained) and
        deterministic, under the PyMC model's names.
    diverging
        (chain, draw) post-warmup divergence flags.
    """

    posterior: dict[str, np.ndarray]
    diverging: np.ndarray


@dataclass(frozen=True)
class ConjugateNormal:
    """The mock's model: mu ~ Normal(prior_mu, prior_sd); y_i ~ Normal(mu, noise_sd), i <= n.

    Its posterior is known exactly, so ranks of an exact mock are uniform by construction.
    """

    n_obs: int = 10
    prior_mu: float = 0.0
    prior_sd: float = 1.0
    noise_sd: float = 1.0

    def posterior(self, y: np.ndarray) -> tuple[float, float]:
        """Posterior mean and sd of mu given ``y``."""
        precision = 1.0 / self.prior_sd**2 + len(y) / self.noise_sd**2
        mean = (self.prior_mu / self.prior_sd**2 + np.sum(y) / self.noise_sd**2) / precision
        return float(mean), float(precision**-0.5)


class SBCBackend(abc.ABC):
    """What an SBC backend provides."""

    name: str

    def __init__(self, settings: SBCSettings) -> None:
        self.settings = settings

    @abc.abstractmethod
    def prepare(self, design: Any, spec: Spec | None) -> None:
        """Build and compile the model for ``design`` once (independent of the scores)."""

    @abc.abstractmethod
    def fit(self, y_data: dict[str, np.ndarray], seed: int) -> FitDraws:
        """Sample the posterior given one simulated dataset."""


def with_scores(design: ModelData | FrontierData, y_data: dict[str, np.ndarray]
                ) -> ModelData | FrontierData:
    """Return the design with one simulated dataset's scores in ``y`` (container order)."""
    import dataclasses

    y = np.array(design.y, dtype=float)
    if "y_sig_data" in y_data:
        y[design.sig_idx] = y_data["y_sig_data"]
    if "y_lin_data" in y_data:
        y[design.lin_idx] = y_data["y_lin_data"]
    return dataclasses.replace(design, y=y)


class NutpieBackend(SBCBackend):
    """The PyMC model compiled once by nutpie; each fit swaps the data with ``with_data``.

    The model is the spec's family's. A family with a start-point function (the frontier
    model: abilities and difficulties from an additive fit of the scores, jittered per chain)
    gets its start points from each simulated dataset, exactly as a real fit does, so SBC's
    convergence rate is the one real fits would have.

    Measured on the 40-model x 5-benchmark test design (2 shared, busy cores): building
    and compiling takes 50-70 s, ``with_data`` 0.2-0.3 ms, a 2 x (100 + 100) fit 6-14 s.
    Rebuilding per simulation (what ``pm.sample(nuts_sampler="nutpie")`` and simuk do)
    would add those 50-70 s (100 s for one ``pm.sample`` call) to every simulation.
    """

    name = "pymc"

    def prepare(self, design: ModelData | FrontierData, spec: Spec | None) -> None:
        """Build the PyMC model for ``design`` and compile it with nutpie."""
        from gapbayes.inference.nutpie_compile import compile_exact
        from gapbayes.model.families import family

        if spec is None:
            raise ValueError("the pymc backend needs a spec")
        self._family = family(spec)
        self._design = design
        self._model = self._family.build_pymc(design, spec)
        self._compiled = compile_exact(self._model)

    def _start_points(self, compiled: Any, y_data: dict[str, np.ndarray]) -> Any:
        """``compiled`` with the family's start points for this dataset (if it has them)."""
        import dataclasses

        from nutpie.compile_pymc import _rv_dict_to_flat_array_wrapper

        if self._family.start_point_fn is None:
            return compiled
        start = self._family.start_point_fn(self._model, with_scores(self._design, y_data),
                                            transformed=True)
        names = [self._model.rvs_to_values[v].name for v in self._model.free_RVs]
        shapes = {k: np.shape(v) for k, v in start(0).items()}  # no initial-point compile
        flat = _rv_dict_to_flat_array_wrapper(start, names, [shapes[n] for n in names])
        return dataclasses.replace(compiled, initial_point_func=flat)

    def fit(self, y_data: dict[str, np.ndarray], seed: int) -> FitDraws:
        """Swap in ``y_data`` and sample with nutpie."""
        import nutpie

        s = self.settings
        compiled = self._start_points(self._compiled.with_data(**y_data), y_data)
        dt = nutpie.sample(
            compiled, draws=s.draws, tune=s.tune, chains=s.chains,
            cores=max(1, min(s.cores, s.chains)), seed=seed, progress_bar=False,
            target_accept=s.target_accept, maxdepth=s.max_treedepth,
        )
        post = dt["posterior"].to_dataset()
        return FitDraws(
            posterior={k: np.asarray(v.values) for k, v in post.data_vars.items()},
            diverging=np.asarray(dt["sample_stats"]["diverging"].values, bool),
        )


class StanBackend(SBCBackend):
    """The family's Stan program through CmdStan: compiled once (hash-cached), data per fit.

    Chains start where the PyMC backend's would (the family's start points, computed from
    each simulated dataset). Needs :mod:`gapbayes.inference.backend_stan` and a CmdStan
    install; :func:`stan_available` tells whether both are there without compiling anything.
    """

    name = "stan"
    # Data-container name of the PyMC model -> name in the Stan data block.
    STAN_NAMES = {"y_sig_data": "y_sig", "y_lin_data": "y_lin", "evaluated_data": "evaluated"}

    def prepare(self, design: ModelData | FrontierData, spec: Spec | None) -> None:
        """Compile (or find in the cache) the Stan program; build the data dict once."""
        from gapbayes.inference.backend_stan import compile_model
        from gapbayes.model.families import family

        if spec is None:
            raise ValueError("the stan backend needs a spec")
        side = family(spec).stan()
        self._model = compile_model(side.stan_file)
        self._data, self._spec = design, spec
        self._base = side.stan_data(design, spec)

    def fit(self, y_data: dict[str, np.ndarray], seed: int) -> FitDraws:
        """Sample one dataset with CmdStan and convert to the PyMC names."""
        import logging
        import tempfile

        from gapbayes.inference.backend_stan import StanSamplingError, start_points, to_datatree

        # CmdStan's per-iteration rejection messages would flood the SBC log; divergences
        # and R-hat are recorded per simulation instead.
        logging.getLogger("cmdstanpy").setLevel(logging.ERROR)

        s = self.settings
        sdata = dict(self._base)
        for name, values in y_data.items():
            sdata[self.STAN_NAMES[name]] = np.asarray(values)
        # the frontier family's start points read the scores
        data = with_scores(self._data, y_data) if isinstance(self._data, FrontierData) \
            else self._data
        with tempfile.TemporaryDirectory(prefix="gapbayes-sbc-") as out:
            try:
                fit = self._model.sample(
                    data=sdata, chains=s.chains, parallel_chains=max(1, min(s.cores, s.chains)),
                    inits=start_points(data, self._spec, s.chains, seed),
                    iter_warmup=s.tune, iter_sampling=s.draws, seed=seed,
                    adapt_delta=s.target_accept, max_treedepth=s.max_treedepth,
                    show_progress=False, output_dir=out,
                )
            except RuntimeError as exc:
                raise StanSamplingError(f"CmdStan sampling failed: {exc}") from exc
            dt = to_datatree(fit, self._data, self._spec, ppc_draws=1)
        post = dt["posterior"].to_dataset()
        return FitDraws(
            posterior={k: np.asarray(v.values) for k, v in post.data_vars.items()},
            diverging=np.asarray(dt["sample_stats"]["diverging"].values, bool),
        )


def stan_available() -> str | None:
    """None when the Stan backend can run, else the reason it cannot (one line)."""
    import importlib.util

    if importlib.util.find_spec("gapbayes.inference.backend_stan") is None:
        return "gapbayes.inference.backend_stan is not there"
    from gapbayes.inference.stan_install import find_cmdstan

    if find_cmdstan() is None:
        return "no built CmdStan found (run 'make cmdstan')"
    return None


class MockBackend(SBCBackend):
    """Draws from a known distribution for :class:`ConjugateNormal` (no sampler involved).

    Modes
    -----
    ``exact``
        i.i.d. draws from the exact posterior: ranks uniform by construction.
    ``prior``
        draws from the prior, ignoring the data: ranks also uniform (SBC cannot tell a
        posterior that ignores the data; that is what the log-likelihood quantity is for).
    ``biased``
        the exact posterior shifted by ``bias`` posterior sds and scaled by ``scale``:
        ranks not uniform.
    """

    name = "mock"

    def __init__(self, settings: SBCSettings, mode: str = "exact", bias: float = 1.0,
                 scale: float = 1.0) -> None:
        super().__init__(settings)
        if mode not in ("exact", "prior", "biased"):
            raise ValueError(f"unknown mock mode '{mode}': use exact, prior or biased")
        self.mode, self.bias, self.scale = mode, bias, scale

    def prepare(self, design: ConjugateNormal, spec: Spec | None = None) -> None:
        """Keep the conjugate model (nothing to compile)."""
        self.design = design

    def fit(self, y_data: dict[str, np.ndarray], seed: int) -> FitDraws:
        """Draw ``chains x draws`` values of ``mu``."""
        rng = np.random.default_rng(seed)
        s, d = self.settings, self.design
        if self.mode == "prior":
            mean, sd = d.prior_mu, d.prior_sd
        else:
            mean, sd = d.posterior(np.asarray(y_data["y"]))
            if self.mode == "biased":
                mean, sd = mean + self.bias * sd, sd * self.scale
        mu = rng.normal(mean, sd, size=(s.chains, s.draws))
        return FitDraws(posterior={"mu": mu}, diverging=np.zeros(mu.shape, bool))


BACKENDS = ("pymc", "stan", "mock", "mock-prior", "mock-biased")


def make_backend(name: str, settings: SBCSettings) -> SBCBackend:
    """Return the backend called ``name`` (one of :data:`BACKENDS`), not yet prepared."""
    if name == "pymc":
        return NutpieBackend(settings)
    if name == "stan":
        return StanBackend(settings)
    if name == "mock":
        return MockBackend(settings, "exact")
    if name == "mock-prior":
        return MockBackend(settings, "prior")
    if name == "mock-biased":
        return MockBackend(settings, "biased")
    raise ValueError(f"unknown SBC backend '{name}': use one of {', '.join(BACKENDS)}")
