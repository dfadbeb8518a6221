"""Shared helpers of the model tests: simulate a world, fit it, read intervals."""

from __future__ import annotations

import os

import numpy as np
import pytest

from gapbayes.model.backends import PyMCBackend, SamplerSettings
from gapbayes.model.design import build_model_data
from gapbayes.model.simulate import simulate_world, synthetic_design
from gapbayes.model.spec import Spec

SLOW = os.environ.get("GAPBAYES_SLOW") == "1"
slow = pytest.mark.skipif(not SLOW, reason="long statistical test: set GAPBAYES_SLOW=1 "
                                           "(make test-slow)")


def simulate_and_fit(spec: Spec, design: dict, fixed: dict, seed: int, draws: int = 400):
    """Simulate a world from ``spec`` with ``fixed`` values, fit it; return (world, data, dt)."""
    models, benchmarks, scores = synthetic_design(seed=seed, **design)
    world = simulate_world(models, benchmarks, scores, spec, fixed=fixed, seed=seed + 1000)
    data = build_model_data(world.models, world.benchmarks, world.scores, spec)
    settings = SamplerSettings(chains=2, draws=draws, tune=draws, seed=seed, progressbar=False)
    dt = PyMCBackend().sample(data, spec, settings)
    return world, data, dt


def eti(dt, name: str, prob: float = 0.9) -> np.ndarray:
    """Equal-tailed interval of a posterior variable, per element: shape (..., 2)."""
    x = dt["posterior"][name].stack(s=("chain", "draw")).transpose(..., "s").values
    lo, hi = (1 - prob) / 2, 1 - (1 - prob) / 2
    return np.stack([np.quantile(x, lo, axis=-1), np.quantile(x, hi, axis=-1)], axis=-1)
