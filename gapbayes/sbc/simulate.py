"""Draw parameters from the prior and data from the model, for every simulation.

Simulation ``i`` depends only on (seed, i), never on how many simulations a run asks for:
draws are made in blocks of :data:`BLOCK` with the seed (seed, block), one
``pm.sample_prior_predictive`` call per block. A run extended from N=6 to N=10 therefore
sees the same first six datasets, which is what makes resuming safe.
"""

from __future__ import annotations

import abc
import logging
import warnings
from dataclasses import dataclass

import numpy as np

from gapbayes.model.design import ModelData
from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.spec import Spec
from gapbayes.sbc.backends import ConjugateNormal

BLOCK = 50


@dataclass(frozen=True)
class Simulation:
    """One simulated world.

    Attributes
    ----------
    index
        Position in the run (0-based); names the result file ``sims/<index>.json``.
    prior
        The prior draw: every free parameter (constrained) and deterministic, by name.
    y
        Simulated observations under the model's data-container names (``y_sig_data``...).
    """

    index: int
    prior: dict[str, np.ndarray]
    y: dict[str, np.ndarray]


class Simulator(abc.ABC):
    """Makes :class:`Simulation` objects for given indices."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._blocks: dict[int, list[Simulation]] = {}

    @abc.abstractmethod
    def _draw_block(self, block: int) -> list[Simulation]:
        """Draw the :data:`BLOCK` simulations of block number ``block``."""

    def simulate(self, indices: list[int]) -> list[Simulation]:
        """Return the simulations ``indices`` (drawing only the blocks they fall in)."""
        out = []
        for i in indices:
            b = i // BLOCK
            if b not in self._blocks:
                self._blocks[b] = self._draw_block(b)
            out.append(self._blocks[b][i % BLOCK])
        return out


class PriorPredictiveSimulator(Simulator):
    """The PyMC model for ``data`` under ``spec``: prior draws and their simulated scores.

    ``spec`` is the *simulator's* spec; it may differ from the fitted spec in its priors
    (the deliberately broken check) but must define the same model structure. The model is
    the spec's family's (``frontier`` for the default spec, ``timeshift-v1``), so ``data``
    is that family's design.
    """

    def __init__(self, data: ModelData | FrontierData, spec: Spec, seed: int) -> None:
        super().__init__(seed)
        from gapbayes.model.families import family

        self.model = family(spec).build_pymc(data, spec)
        # observed variable -> its data container (y_sig -> y_sig_data), the name fits swap
        self.containers = {rv.name: self.model.rvs_to_values[rv].name
                           for rv in self.model.observed_RVs}

    def _draw_block(self, block: int) -> list[Simulation]:
        import pymc as pm

        # PyMC logs "Sampling: [every variable]" per call: noise beside the progress bar.
        log = logging.getLogger("pymc")
        level = log.level
        log.setLevel(logging.WARNING)
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=UserWarning)
                dt = pm.sample_prior_predictive(
                    draws=BLOCK, model=self.model,
                    random_seed=np.random.default_rng([self.seed, block]),
                    compile_kwargs={"mode": "FAST_COMPILE"})
        finally:
            log.setLevel(level)
        prior = {k: np.asarray(v.values[0]) for k, v in dt["prior"].data_vars.items()}
        pp = {k: np.asarray(v.values[0]) for k, v in dt["prior_predictive"].data_vars.items()}
        return [
            Simulation(
                index=block * BLOCK + j,
                prior={k: v[j] for k, v in prior.items()},
                y={self.containers[k]: v[j] for k, v in pp.items()},
            )
            for j in range(BLOCK)
        ]


class ConjugateNormalSimulator(Simulator):
    """mu from its prior, then ``n_obs`` normal observations (the mock backend's model)."""

    def __init__(self, model: ConjugateNormal, seed: int) -> None:
        super().__init__(seed)
        self.model = model

    def _draw_block(self, block: int) -> list[Simulation]:
        rng = np.random.default_rng([self.seed, block])
        m = self.model
        mu = rng.normal(m.prior_mu, m.prior_sd, size=BLOCK)
        y = rng.normal(mu[:, None], m.noise_sd, size=(BLOCK, m.n_obs))
        return [Simulation(block * BLOCK + j, {"mu": np.asarray(mu[j])}, {"y": y[j]})
                for j in range(BLOCK)]
