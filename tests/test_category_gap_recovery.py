"""Recovery (CI size): a category simulated with a larger gap comes out larger (issue 16).

The world: 90 models plus effort variants and 10 sigmoid benchmarks in two categories of five
(``math`` and ``reasoning``), scores drawn from the default spec's prior with the calm values
of ``CALM_WORLD`` and the plausible frontier of ``test_country_recovery`` held, and the
category shifts held so that the open models trail by 0.5 capability units more on math than
on reasoning (about 5 months at the world's growth rates). Checked at the start, middle and
end of the window: the true math gap is larger, and the posterior says so with probability
>= 0.9; the true difference lies inside its 90% interval at each date.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_country_recovery import plausible_world
from test_frontier_recovery import CATEGORY_CURVES, eti, truth_dataset

from gapbayes.inference.backends import PyMCBackend, SamplerSettings
from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_gaps import gap_quantities
from gapbayes.model.frontier_simulate import frontier_design, simulate_frontier_world
from gapbayes.model.spec import load_spec

SPEC = load_spec("default")
SETTINGS = SamplerSettings(chains=2, draws=400, tune=400, seed=6, progressbar=False)
CATEGORIES = ("math", "reasoning")
#: open-vs-closed shift of math minus reasoning, capability units (negative: larger gap)
SHIFT_DIFFERENCE = -0.5


@pytest.fixture(scope="module")
def fitted():
    models, benchmarks, scores = frontier_design(n_models=90, n_benchmarks=10, n_linear=0,
                                                 eval_rate=0.8, seed=31)
    benchmarks = benchmarks.assign(category=[CATEGORIES[i % 2] for i in range(len(benchmarks))])
    data = build_frontier_data(models, benchmarks, scores, SPEC)
    # one free category contrast: the shift of each category is sd x basis x z
    basis = data.shift_category_basis[:, 0]
    assert list(data.category_names) == list(CATEGORIES) and basis.shape == (2,)
    held = {**plausible_world(data), "category_shift_sd": 0.25,
            "category_shift_z": np.array([SHIFT_DIFFERENCE / (0.25 * (basis[0] - basis[1]))]),
            "benchmark_shift_sd": 0.1}
    held.pop("china_offset"), held.pop("china_trend_sd")
    world = simulate_frontier_world(models, benchmarks, scores, SPEC, fixed=held, seed=12)
    post = PyMCBackend().sample(world.data, SPEC, SETTINGS)["posterior"].to_dataset()
    true = truth_dataset(world.truth, ["frontier", *CATEGORY_CURVES, "open_shift"])
    return world.data, gap_quantities(post, world.data), gap_quantities(true, world.data)


def test_category_with_the_larger_gap_comes_out_larger(fitted):
    data, est, true = fitted
    months = len(data.report_dates)
    for i in (0, months // 2, months - 1):
        gap = est["gap_backward"].isel(month=i).stack(s=("chain", "draw"))
        diff = (gap.sel(group="category:math") - gap.sel(group="category:reasoning")).values
        truth = true["gap_backward"].isel(month=i).values[0, 0]
        groups = list(true["group"].values)
        true_diff = (truth[groups.index("category:math")]
                     - truth[groups.index("category:reasoning")])
        assert true_diff > 2.0, (data.report_dates[i], true_diff)
        assert (diff > 0).mean() >= 0.9, (data.report_dates[i], (diff > 0).mean())
        lo, hi = eti(diff)
        assert lo <= true_diff <= hi, (data.report_dates[i], true_diff, lo, hi)
