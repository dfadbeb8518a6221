"""Shared helpers of the model tests: simulate a world, fit it, read intervals."""

from __future__ import annotations

import os

import numpy as np
import pytest

from gapbayes.inference.backends import PyMCBackend, SamplerSettings
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


def assert_loglik_matches_pymc(model, quantities, sims) -> None:
    """SBC's compiled joint log-likelihood equals PyMC's observed logp at each prior draw."""
    import pymc as pm
    import pytensor.tensor as pt

    ref = model.compile_fn(model.logp(vars=model.observed_RVs, jacobian=False, sum=True),
                           inputs=model.value_vars, on_unused_input="ignore",
                           mode="FAST_COMPILE")
    for s in sims:
        with model:
            pm.set_data(s.y)
        point = {}
        for rv in model.free_RVs:
            value = model.rvs_to_values[rv]
            transform = model.rvs_to_transforms.get(rv)
            x = np.asarray(s.prior[rv.name])
            point[value.name] = x if transform is None else \
                transform.forward(pt.as_tensor(x), *rv.owner.inputs).eval()
        one = {k: np.asarray(v)[None] for k, v in s.prior.items()}
        assert np.isclose(quantities.loglik(s.y, one)[0], ref(point), rtol=1e-9)
