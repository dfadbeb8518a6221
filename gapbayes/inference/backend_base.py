"""The small backend interface: sampler settings and what every backend provides.

Both backends (:mod:`gapbayes.inference.backends` for PyMC, :mod:`gapbayes.inference.backend_stan`
for Stan) import from here and not from each other, so adding a backend touches no other.
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass

import xarray as xr

from gapbayes.model.spec import Spec

# Posterior-predictive draws kept for checks (thinned: the full set would weigh tens of MB).
PPC_DRAWS = 400


@dataclass(frozen=True)
class SamplerSettings:
    """How to sample: recorded in the manifest and in the fit's cache key."""

    chains: int = 4
    draws: int = 1000
    tune: int = 1000
    seed: int = 0
    cores: int = 2
    target_accept: float = 0.9
    max_treedepth: int = 10
    sampler: str = "nutpie"  # PyMC backend: "nutpie" or "pymc" (PyMC's own NUTS)
    # nutpie's metric: "diag", "low_rank" or "pilot" (the default spec's; pilot_metric.py)
    adaptation: str = "diag"
    # nutpie: trajectory doublings past the U-turn (the default spec's 1; docs/model.md
    # "Longer trajectories"); PyMC's NUTS and Stan have no such setting and ignore it
    extra_doublings: int = 0
    progressbar: bool = True

    def as_dict(self, backend: str = "pymc") -> dict:
        """Plain data for the manifest (the progress bar does not change the result).

        ``sampler`` only means something for the PyMC backend, so it is left out for Stan.
        """
        d = asdict(self)
        d.pop("progressbar")
        if backend != "pymc":
            d.pop("sampler")
        if backend != "pymc" or self.sampler != "nutpie" or self.adaptation == "diag":
            d.pop("adaptation")   # older cache keys stay valid; only nutpie reads it
        if backend != "pymc" or self.sampler != "nutpie" or not self.extra_doublings:
            d.pop("extra_doublings")
        return d

    def describe(self, backend: str) -> str:
        """``pymc/nutpie``, ``pymc/pymc`` or ``stan``: for log lines."""
        return f"pymc/{self.sampler}" if backend == "pymc" else backend


class Backend(abc.ABC):
    """What a backend must provide."""

    name: str

    @abc.abstractmethod
    def sample(self, data, spec: Spec, settings: SamplerSettings) -> xr.DataTree:
        """Sample the posterior; return a DataTree with posterior, sample_stats, log_likelihood."""

    @abc.abstractmethod
    def free_parameters(self, data, spec: Spec) -> list[str]:
        """Names of the sampled parameters (for R-hat)."""


def drop_object_vars(dt: xr.DataTree) -> xr.DataTree:
    """NetCDF cannot store object arrays (nutpie's divergence messages)."""
    stats = dt["sample_stats"].to_dataset()
    bad = [k for k, v in stats.data_vars.items() if v.dtype == object]
    if bad:
        dt["sample_stats"] = xr.DataTree(stats.drop_vars(bad))
    return dt
