"""What the data layer checks against the default model: benchmark ceilings and the start date.

The data layer sits below the model layer and does not import it; it reads the two facts it
needs from the same files the model reads: the default spec (``gapbayes/specs/default.toml``,
package data) and the label-error audits (``data/label_errors.toml``). A benchmark whose chance
level is not below its ceiling has no room for a model to score above chance, so the metadata
loaders refuse it; ``data import`` and ``data info`` say how many models the default start
date leaves out of the fit.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from gapbayes.paths import PROJECT_ROOT

#: The label-error audits, as read by ``gapbayes.model.label_errors``.
LABEL_ERRORS = PROJECT_ROOT / "data" / "label_errors.toml"


@cache
def default_spec() -> dict[str, Any]:
    """Return the parsed ``gapbayes/specs/default.toml`` (the root spec: no ``extends``)."""
    ref = resources.files("gapbayes.specs").joinpath("default.toml")
    return tomllib.loads(ref.read_text(encoding="utf-8"))


def default_start_date() -> dt.date:
    """Return ``[data] start_date`` of the default spec: models released before it are not fit."""
    value = default_spec()["data"]["start_date"]
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def start_date_note(models: pd.DataFrame) -> str | None:
    """Say how many models the default start date leaves out of the fit (None: none).

    ``models`` is a tidy models table. Only models the fit could otherwise use count: known
    access (open or closed) and a release date.
    """
    start = default_start_date()
    usable = models[models["access"].isin(["open", "closed"]) & models["release_date"].notna()]
    early = int((usable["release_date"] < pd.Timestamp(start)).sum())
    if early == 0:
        return None
    return (
        f"note: {early} of {len(usable)} models with a known access and release date were "
        f"released before {start}, the default spec's [data] start_date, and are left out of "
        "its fit; a spec with an earlier start_date keeps them"
    )


@cache
def label_error_rates(path: Path = LABEL_ERRORS) -> dict[str, float]:
    """Return ``{benchmark_id: audited label-error rate}``; {} when the file is absent.

    A damaged file gives {} here: the model's own loader reports it, with its line, at fit time.
    """
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return {
        bid: float(entry["rate"])
        for bid, entry in doc.items()
        if isinstance(entry, dict)
        and isinstance(entry.get("rate"), int | float)
        and not isinstance(entry.get("rate"), bool)
    }


def ceiling_median(benchmark_id: str) -> tuple[float, str]:
    """Return the prior median of a benchmark's ceiling and where that prior comes from.

    The frontier model puts ``logit(1 - ceiling) ~ Normal(mu, sigma)`` on each benchmark: ``mu``
    is ``logit(rate)`` of an audit in ``data/label_errors.toml``, else the default spec's
    generic ``priors.ceiling_logit.mu``. The median ceiling is ``1 - sigmoid(mu)``.

    Examples
    --------
    >>> round(ceiling_median("no_audit_for_this_id")[0], 3)
    0.953
    """
    rate = label_error_rates().get(benchmark_id)
    if rate is not None:
        return 1.0 - rate, "its label-error audit in data/label_errors.toml"
    mu = float(default_spec()["priors"]["ceiling_logit"]["mu"])
    return 1.0 - 1.0 / (1.0 + math.exp(-mu)), "the default spec's generic priors.ceiling_logit"
