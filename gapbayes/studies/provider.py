"""The provider-degradation study: a true penalty on host-served open-model scores.

Worlds have ``provider_penalty`` > 0 (capability units) on the scores of open models on
benchmarks with ``third_party_hosts = "yes"`` (about 40% of the simulated benchmarks); every
other bias term is 0. Fitted: the ``default`` spec (with the penalty term) and
``no-bias-terms`` (without it), plus the baseline; all three estimate the same averaged gap.
A penalty p shifts open models by about 12 p / growth months on the affected benchmarks
(growth ~ exp(0.7) = 2 capability units a year under the prior mean: p = 0.5 is ~3 months).
"""

from __future__ import annotations

from collections.abc import Sequence

from gapbayes.inference.backends import SamplerSettings
from gapbayes.model.spec import load_spec
from gapbayes.studies.simstudy import Cell, Design, FitFn, SimStudy

NAME = "provider-degradation"


def provider_study(penalties: Sequence[float] = (0.5,), ratios: Sequence[float] = (1.0,),
                   noise: Sequence[float] = (0.03,), replications: int = 4,
                   truth: str = "constant", true_gap: float = 6.0, design: Design | None = None,
                   settings: SamplerSettings | None = None, seed: int = 0,
                   fit_fn: FitFn | None = None) -> SimStudy:
    """Configure the provider-degradation study (cells: penalty x ratio x noise).

    Parameters are those of :func:`gapbayes.studies.winners_curse.winners_curse_study` (with
    one ratio by default) plus ``penalties``: the true provider penalties in capability units
    (> 0).
    """
    if any(p <= 0 for p in penalties):
        raise ValueError("provider penalties must be > 0")
    kw = {} if settings is None else {"settings": settings}
    v1 = load_spec("timeshift-v1")
    fits = [("model", v1),
            ("model (no bias terms)",
             v1.with_changes(switches={"provider_degradation": False, "self_report": False}))]
    cells = [Cell(float(r), float(s), float(p)) for p in penalties for s in noise for r in ratios]
    return SimStudy(
        name=NAME, cells=cells, replications=replications, fits=fits, truth=truth,
        true_gap=true_gap, design=design or Design(), seed=seed, x="penalty", fit_fn=fit_fn,
        **kw,
    )
