"""Independent worlds: simulated benchmark data that the fitted model did not generate.

The package shares no code with :mod:`gapbayes.model` (it imports only numpy, pandas,
:mod:`gapbayes.data` for the tidy-table schema and :mod:`gapbayes.errors`; a test checks
this), so a fit scored on these worlds is checked against a story it does not assume:

- labs with their own trajectories on a shared S-curve, with lab-specific lags that drift
  (:mod:`~gapbayes.worlds.curves`, which also defines the true gap D(t));
- per-model abilities around the lab trajectory with Student-t noise and Gamma shortfalls
  for small models;
- benchmarks with asymmetric five-parameter response curves, chance floors, ceilings and
  eras; some saturate inside the window (:mod:`~gapbayes.worlds.benchmarks`);
- evaluation that depends on capability and access, calibrated to a closed:open ratio;
- benchmark-tuned open models on public benchmarks, third-party hosts that cost known
  points, self-reports with a known inflation (:mod:`~gapbayes.worlds.generate`).

Usage::

    from gapbayes.worlds import WorldConfig, generate_world
    world = generate_world(WorldConfig(ratio=5, host_cost=5.0), seed=1)
    world.models, world.benchmarks, world.scores      # tidy tables (docs/data-format.md)
    world.truth.gap, world.truth.terms                # the truth
"""

from gapbayes.worlds.config import WorldConfig
from gapbayes.worlds.generate import generate_world
from gapbayes.worlds.tables import World, WorldTruth, validate_world, write_world

__all__ = ["World", "WorldConfig", "WorldTruth", "generate_world", "validate_world",
           "write_world"]
