"""Host effects: a provider penalty per named third-party host (spec switch ``host_effects``).

Open-weight models served by a third-party host score lower than on their developer's own
API (provider degradation). The default model has one penalty for every host-served open
score. With ``host_effects``, a host that the data name gets its own penalty around that
common one:

    penalty_h = provider_penalty * exp(host_sd * host_z_h),   host_z_h ~ N(0, 1),

a random effect on the log scale (the penalty stays >= 0; ``host_sd`` ~ HalfNormal, prior
``host_effect``), so a host with few scores shrinks to the common penalty. Scores whose host
is not named (a benchmark run through "third-party hosts" without saying which, or a
developer's repository slug routed through an aggregator) take the common penalty itself.

A host is named by the ``host`` key of its prefix in data/model_rules.toml (``chutes/``,
``deepinfra/``, ``fireworks/``); :func:`score_hosts` reads it for each host-served score.
What identifies a host's penalty is a same-weights contrast: a base model scored both through
that host and first-party (:func:`gapbayes.model.bias_support.bias_support` counts them).
"""

from __future__ import annotations

import re

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from gapbayes import paths
from gapbayes.data.rules import ModelRules, load_rules
from gapbayes.model.spec import Spec


def data_rules() -> ModelRules:
    """Return the model rules of the data folder (the bundled ones when it has none)."""
    path = paths.data_dir() / "model_rules.toml"
    return load_rules(path if path.is_file() else paths.bundled_data_dir() / "model_rules.toml")


def score_hosts(model_ids: list[str], row_flag: np.ndarray, obs_host: np.ndarray,
                rules: ModelRules | None = None) -> tuple[list[str], np.ndarray]:
    """Name the host of each host-served score.

    Parameters
    ----------
    model_ids
        (N,) model id of each score.
    row_flag
        (N,) 1 = the score's own row says third-party host (a host prefix in its model id).
    obs_host
        (N,) 1 = the score is an open model served by a third-party host (row or benchmark).
    rules
        Model rules (default: the data folder's, :func:`data_rules`).

    Returns
    -------
    tuple
        The named hosts (sorted) and (N,) each score's host: 0 for no host or an unnamed one,
        h + 1 for ``hosts[h]``.
    """
    rules = data_rules() if rules is None else rules
    names = [rules.host(m) if f and h else "" for m, f, h in
             zip(model_ids, np.asarray(row_flag), np.asarray(obs_host), strict=True)]
    hosts = sorted({n for n in names if n})
    index = {h: i + 1 for i, h in enumerate(hosts)}
    return hosts, np.array([index.get(n, 0) for n in names], dtype=int)


def host_term(host: str) -> str:
    """Term name of a host's penalty in the bias tables, e.g. ``host_penalty_fireworks_ai``."""
    return "host_penalty_" + re.sub(r"[^a-z0-9]+", "_", host.lower()).strip("_")


def term_label(term: str, labels: dict[str, str]) -> str:
    """Return the display label of a bias term: ``labels``' entry, or the host's for a host term."""
    if term.startswith("host_penalty_"):
        return f"provider degradation on host {term.removeprefix('host_penalty_')}, as months"
    return labels.get(term, term)


def uses_host_effects(data, spec: Spec) -> bool:
    """Tell whether the term is fitted: switch and provider penalty on, a named host scored."""
    sw = spec.switches
    if not (sw.get("host_effects", False) and sw.get("provider_degradation", False)):
        return False
    ids = getattr(data, "obs_host_id", np.zeros(0, int))
    return bool(len(getattr(data, "host_names", [])) and len(ids) == len(data.y)
                and (ids > 0).any() and data.obs_host.any())


def host_weights(data, spec: Spec, penalty: pt.TensorVariable) -> pt.TensorVariable:
    """Add the host effects to the model in context; return each score's penalty factor (N,).

    The factor is 1 for scores without a named host and ``exp(host_sd * host_z_h)`` for host
    h; ``host_penalty`` (per named host) is recorded as a deterministic.
    """
    sd = pm.HalfNormal("host_sd", sigma=spec.prior("host_effect")["sigma"])
    z = pm.Normal("host_z", 0.0, 1.0, dims="host")
    factor = pt.exp(sd * z)
    pm.Deterministic("host_penalty", penalty * factor, dims="host")
    return pt.concatenate([pt.ones((1,)), factor])[data.obs_host_id]
