"""The winner's-curse study: baseline vs model as closed models get evaluated more often.

Cells: closed:open evaluation ratios (``synthetic_design(closed_per_open=...)``) x noise levels.
The worlds have no provider penalty and no other bias term, so any bias left is the
threshold-crossing estimator's own (docs/methods.md section 2). The fitted spec is the truth's
family: ``constant-gap`` for a constant truth (as in tests/test_model_winners_curse.py),
``default`` for a time-varying one.
"""

from __future__ import annotations

from collections.abc import Sequence

from gapbayes.inference.backends import SamplerSettings
from gapbayes.studies.simstudy import Cell, Design, FitFn, SimStudy, truth_spec

NAME = "winners-curse"


def winners_curse_study(
    ratios: Sequence[float] = (1.0, 3.0, 5.0),
    noise: Sequence[float] = (0.03,),
    replications: int = 4,
    truth: str = "constant",
    true_gap: float = 6.0,
    design: Design | None = None,
    settings: SamplerSettings | None = None,
    seed: int = 0,
    fit_fn: FitFn | None = None,
) -> SimStudy:
    """Configure the winner's-curse study.

    Parameters
    ----------
    ratios
        Closed:open evaluation-probability ratios.
    noise
        Overdispersion sd at p = 0.5 (proportion scale) of every sigmoid benchmark.
    replications
        Worlds per cell.
    truth
        ``constant`` or ``time-varying``.
    true_gap
        True mean gap in months.
    design, settings, seed
        World size, sampler settings, base seed.
    fit_fn
        Replace the NUTS fit (tests use a fast stand-in).

    Returns
    -------
    SimStudy
        Run it with :func:`gapbayes.studies.simstudy.run_study`.
    """
    spec = truth_spec(truth)
    kw = {} if settings is None else {"settings": settings}
    return SimStudy(
        name=NAME, cells=[Cell(float(r), float(s)) for s in noise for r in ratios],
        replications=replications, fits=[("model", spec)], truth=truth, true_gap=true_gap,
        design=design or Design(), seed=seed, x="ratio", fit_fn=fit_fn, **kw,
    )
