"""Recovery (CI size): a benchmark simulated to saturate at both frontiers is not identified.

The world: 90 models plus effort variants and 10 sigmoid benchmarks, scores drawn from the
default spec's prior with the plausible frontier of ``test_country_recovery`` held. The first
benchmark's difficulty is held 8 capability units below the true open frontier at the last
month, so there both frontiers sit at the top of its range (a ceiling that
forces "convergence" by construction, issue 16). The fitted model must mark that benchmark's
gap at the last month "not identified (saturated)" in both directions, and keep the
benchmarks whose true positions lie well inside their range identified.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_country_recovery import plausible_world
from test_frontier_recovery import CATEGORY_CURVES, truth_dataset

from gapbayes.inference.backends import PyMCBackend, SamplerSettings
from gapbayes.inference.fit_tables import benchmark_gaps
from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_gaps import gap_quantities
from gapbayes.model.frontier_simulate import frontier_design, simulate_frontier_world
from gapbayes.model.spec import load_spec

SPEC = load_spec("default")
SETTINGS = SamplerSettings(chains=2, draws=400, tune=400, seed=8, progressbar=False)
#: capability units by which the first benchmark's difficulty sits below the open frontier
#: at the last month (the closed frontier is higher still)
BELOW_THE_OPEN_FRONTIER = 8.0


def true_positions(world):
    """Each benchmark's true position in its range at both frontiers at the last month."""
    true = truth_dataset(world.truth, ["frontier", *CATEGORY_CURVES, "open_shift"])
    for name in ("difficulty", "slope"):
        true[name] = (("chain", "draw", "sig_benchmark"), np.asarray(world.truth[name])[None, None])
    return gap_quantities(true, world.data)["benchmark_position"].isel(date=-1)


@pytest.fixture(scope="module")
def fitted():
    models, benchmarks, scores = frontier_design(n_models=90, n_benchmarks=10, n_linear=0,
                                                 eval_rate=0.8, seed=31)
    data = build_frontier_data(models, benchmarks, scores, SPEC)
    held = plausible_world(data)
    held.pop("china_offset"), held.pop("china_trend_sd")
    first = simulate_frontier_world(models, benchmarks, scores, SPEC, fixed=held, seed=12)
    # the open frontier's level on the first benchmark's scale at the last month (category
    # curve and open shift included), read back from its position: logit(p) / slope + difficulty
    b0 = int(data.sig_benchmarks[0])
    p = float(true_positions(first).sel(side="open").values[0, 0, b0])
    difficulty = np.asarray(first.truth["difficulty"], dtype=float).copy()
    slope = float(np.asarray(first.truth["slope"])[0])
    level = difficulty[0] + np.log(p / (1 - p)) / slope
    difficulty[0] = level - BELOW_THE_OPEN_FRONTIER
    world = simulate_frontier_world(models, benchmarks, scores, SPEC,
                                    fixed={**held, "difficulty": difficulty}, seed=12)
    post = PyMCBackend().sample(world.data, SPEC, SETTINGS)["posterior"].to_dataset()
    table = benchmark_gaps(post.merge(gap_quantities(post, world.data)), world.data)
    last = table[table["date"].str.startswith("last")].set_index(["benchmark", "direction"])
    return world.data, last, true_positions(world)


def test_the_saturated_benchmark_is_not_identified_at_the_last_month(fitted):
    data, last, true_pos = fitted
    b = data.bench_ids[data.sig_benchmarks[0]]
    # the world is what the test says: the first benchmark is at the top of its range at
    # both frontiers
    for side in ("open", "closed"):
        assert float(true_pos.sel(side=side).values[0, 0, data.sig_benchmarks[0]]) > 0.99, side
    for direction in ("backward", "forward"):
        row = last.loc[(b, direction)]
        assert not bool(row["identified"]), (direction, row.to_dict())
        assert row["reason"] == "saturated", (direction, row.to_dict())


def test_benchmarks_well_inside_their_range_stay_identified(fitted):
    data, last, true_pos = fitted
    inside = [data.bench_ids[b] for b in data.sig_benchmarks[1:]
              if all(0.2 < float(true_pos.sel(side=s).values[0, 0, b]) < 0.8
                     for s in ("closed", "open"))]
    assert inside, "the world has no benchmark inside its range at the last month"
    for b in inside:
        assert bool(last.loc[(b, "backward"), "identified"]), b
