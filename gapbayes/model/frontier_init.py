"""Start points of the frontier model: data-driven abilities and difficulties, jittered.

Why not PyMC's default (each prior's support point, jittered): every base-model ability would
start at the frontier and every difficulty at 0. Many abilities then sit on the saturated side
of a sigmoid, where their gradient vanishes, and the warm-up drifts into a region of steep
slopes whose step size collapses (measured on the bundled data: 2 of 4 chains stuck at
log-density 7 and -46 against 2,600, step size 0.0006). Why not an optimiser (MAP): the mode of
this hierarchical posterior is degenerate (the symmetric frontier noise shrinks to 0 and the
slopes grow without bound), so L-BFGS from any start ended far from the typical set.

So abilities and difficulties start from a quick additive fit of the empirical logits of the
scores (``logit(score) ~ ability - difficulty``, alternating ridge least squares), jittered by
U(-0.5, 0.5) per chain; every other parameter starts at its prior's support point with
U(-0.3, 0.3) jitter on the unconstrained scale. PyMC's own U(-1, 1) jitter was measured to
strand a chain now and then: it starts benchmark log slopes at up to e, and one chain of four
then collapsed its step size (to 2% of the others') with seed 0 on the bundled data. A chain's
start depends only on its seed, so nutpie (which asks with per-chain seeds), PyMC's NUTS and
Stan all use the same procedure.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from gapbayes.model.frontier_design import FrontierData

JITTER = 0.5          # data-driven abilities and difficulties, capability units
PRIOR_JITTER = 0.3    # every other parameter, around its support point, unconstrained scale
# the free variables that start from the additive fit (difficulty_low: the selection switch)
DATA_STARTED = ("ability", "difficulty", "difficulty_low")


def additive_start(data: FrontierData, iters: int = 60, ridge: float = 1.0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Base-model abilities and sigmoid-benchmark difficulties from empirical logits.

    Scores on sigmoid benchmarks become ``logit((y - chance) / (0.97 - chance))`` clipped to
    [0.03, 0.97] of the range; standardised linear scores enter as they are. Alternating
    ridge least squares fits ``logit ~ ability[base] - difficulty[bench]``.

    Returns
    -------
    ability : (K,) array
    difficulty : (B_sig,) array, mean zero
    """
    lin = data.bench_linear[data.obs_bench] == 1
    chance = data.bench_chance[data.obs_bench]
    frac = np.clip((data.y - chance) / (0.97 - chance), 0.03, 0.97)
    target = np.where(lin, data.y, np.log(frac / (1.0 - frac)))
    K, B = len(data.base_ids), len(data.bench_ids)
    ob, ok = data.obs_bench, data.obs_base
    a, d = np.zeros(K), np.zeros(B)
    n_b = np.maximum(np.bincount(ob, minlength=B), 1)
    for _ in range(iters):
        a = np.bincount(ok, target + d[ob], K) / (np.bincount(ok, minlength=K) + ridge)
        d = np.bincount(ob, a[ok] - target, B) / n_b
    sig = data.sig_benchmarks
    return a, d[sig] - (d[sig].mean() if len(sig) else 0.0)   # linear benchmarks only: none


@dataclass(frozen=True)
class _Compiled:
    """The data-independent part of a model's start points, compiled once per model."""

    base: Callable[[int], dict[str, np.ndarray]]     # seed -> jittered-free support point
    forward: dict[str, tuple[str, Callable | None]]  # data-started name -> (key, transform)
    backward: dict[str, tuple[str, Callable]]        # value name -> (rv name, inverse)
    lock: threading.Lock                              # PyTensor functions: not thread-safe


# SBC swaps each simulation's scores into one model and asks for new start points: compiling
# these functions took ~3 s of every 2 x (100 + 100) simulation on the CI design (16 s).
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(model: pm.Model, transformed: bool) -> _Compiled:
    """Return the model's compiled start-point functions (cached per model and scale)."""
    per_model = _COMPILED.setdefault(model, {})
    if transformed not in per_model:
        base = pm.initial_point.make_initial_point_fn(model=model, jitter_rvs=set(),
                                                      return_transformed=True)
        forward = {}
        for name in DATA_STARTED:
            if name not in model.named_vars or model[name] not in model.free_RVs:
                continue
            rv = model[name]
            transform = model.rvs_to_transforms.get(rv)
            key = model.rvs_to_values[rv].name if transformed else name
            if transformed and transform is not None:
                x = pt.dvector(name)
                forward[name] = (key, pytensor.function(
                    [x], transform.forward(x, *rv.owner.inputs), mode="FAST_COMPILE"))
            else:
                forward[name] = (key, None)
        backward = _backward_transforms(model) if not transformed else {}
        per_model[transformed] = _Compiled(base, forward, backward, threading.Lock())
    return per_model[transformed]


def start_point_fn(model: pm.Model, data: FrontierData, transformed: bool
                   ) -> Callable[[int], dict[str, np.ndarray]]:
    """Return ``seed -> start point`` (values by variable name).

    Parameters
    ----------
    model
        The PyMC frontier model.
    data
        Its design (for the additive start).
    transformed
        True: values of the model's value variables on the unconstrained scale (nutpie);
        False: constrained values by random-variable name (PyMC's NUTS, Stan).
    """
    ability, difficulty = additive_start(data)
    given = {"ability": ability, "difficulty": difficulty, "difficulty_low": difficulty}
    fns = _compiled(model, transformed)
    values = {name: given[name] for name in fns.forward}

    def start(seed: int) -> dict[str, np.ndarray]:
        with fns.lock:
            rng = np.random.default_rng(seed)
            point = {k: np.asarray(v) + rng.uniform(-PRIOR_JITTER, PRIOR_JITTER, np.shape(v))
                     for k, v in fns.base(seed).items()}
            if not transformed:
                point = {rv: fn(point[vv]) for vv, (rv, fn) in fns.backward.items()}
            for name, value in values.items():
                v = value + rng.uniform(-JITTER, JITTER, size=value.shape)
                if name.startswith("difficulty"):
                    v = v - v.mean()
                key, fn = fns.forward[name]
                point[key] = np.asarray(fn(v)) if fn is not None else v
            return point

    return start


def _backward_transforms(model: pm.Model) -> dict[str, tuple[str, Callable]]:
    """Value-variable name -> (random-variable name, unconstrained -> constrained function)."""
    out = {}
    for rv in model.free_RVs:
        value = model.rvs_to_values[rv]
        transform = model.rvs_to_transforms.get(rv)
        if transform is None:
            out[value.name] = (rv.name, np.asarray)
            continue
        x = value.type()
        fn = pytensor.function([x], transform.backward(x, *rv.owner.inputs), mode="FAST_COMPILE")
        out[value.name] = (rv.name, lambda v, fn=fn: np.asarray(fn(v)))
    return out


def chain_seeds(seed: int, chains: int) -> list[int]:
    """Per-chain seeds for backends that take explicit start points (PyMC's NUTS, Stan)."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(chains)]
