"""Ceiling priors from label-error facts (data/label_errors.toml).

A benchmark with a published audit of its answer keys gets ``logit(1 - ceiling) ~
Normal(logit(rate), logit_sd)``; every other benchmark gets the spec's generic prior
``priors.ceiling_logit``. The facts describe named benchmarks, so they apply by benchmark id
whatever data folder is fitted.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import numpy as np

from gapbayes.errors import InputError
from gapbayes.model.spec import Spec
from gapbayes.paths import bundled_data_dir

LABEL_ERRORS = bundled_data_dir() / "label_errors.toml"
GENERIC = "generic prior (no published label-error audit)"


@cache
def load_label_errors(path: Path = LABEL_ERRORS) -> dict[str, dict]:
    """Read the facts file: ``{benchmark_id: {"rate", "logit_sd", "source"}}``.

    Raises
    ------
    InputError
        When an entry lacks a field or has a rate outside (0, 0.5) or a non-positive sd.
    """
    if not path.is_file():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from exc
    for bid, entry in raw.items():
        missing = {"rate", "logit_sd", "source"} - set(entry)
        if missing:
            raise InputError(f"{path}: [{bid}] needs {', '.join(sorted(missing))}")
        if not 0 < float(entry["rate"]) < 0.5:
            raise InputError(f"{path}: [{bid}] rate must be in (0, 0.5), got {entry['rate']}")
        if float(entry["logit_sd"]) <= 0:
            raise InputError(f"{path}: [{bid}] logit_sd must be > 0, got {entry['logit_sd']}")
    return raw


def ceiling_priors(bench_ids: list[str], spec: Spec) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Prior mean and sd of logit(1 - ceiling) per benchmark, and where each comes from."""
    facts = load_label_errors()
    generic = spec.prior("ceiling_logit")
    mu, sigma, source = [], [], []
    for bid in bench_ids:
        fact = facts.get(bid)
        if fact is None:
            mu.append(float(generic["mu"]))
            sigma.append(float(generic["sigma"]))
            source.append(GENERIC)
        else:
            rate = float(fact["rate"])
            mu.append(float(np.log(rate / (1 - rate))))
            sigma.append(float(fact["logit_sd"]))
            source.append(" ".join(str(fact["source"]).split()))
    return np.array(mu), np.array(sigma), source
