"""The winner's curse: the baseline is biased upward when closed models are evaluated 3x as
often as open ones and scores are noisy; the model's posterior median is within 0.5 months.

The model is timeshift-v1, kept for comparison only, so this runs in `make test-slow`; `make
test` keeps the winner's-curse study on one world (tests/test_studies.py) and the default
model's checks on the independent simulator (tests/test_host_effects.py and others).
"""

import numpy as np
from helpers_model import simulate_and_fit, slow

from gapbayes.baseline.run import run_baseline
from gapbayes.model.spec import load_spec

TRUE_GAP = 6.0
FIXED = {"gap_mean": TRUE_GAP, "public_offset": 0.0, "category_sd": 0.0,
         "benchmark_gap_sd": 0.0, "provider_penalty": 0.0, "self_report_offset": 0.0}
DESIGN = {"n_models": 300, "n_benchmarks": 20, "n_linear": 0, "closed_per_open": 3.0}


@slow
def test_baseline_biased_upward_model_within_half_a_month():
    constant = load_spec("timeshift-v1").with_changes(switches={"time_varying_gap": False})
    world, data, dt = simulate_and_fit(constant, DESIGN, FIXED, seed=0)
    scores = world.scores.merge(world.models, on="model_id")
    n_closed = (scores["access"] == "closed").sum()
    n_open = (scores["access"] == "open").sum()
    assert n_closed > 2.5 * n_open  # the design really evaluates ~3x more closed models

    bench = world.benchmarks.assign(name=world.benchmarks["benchmark_id"])
    baseline = run_baseline(scores, bench, n_bootstrap=0).datapoints["gap_months"]
    assert len(baseline) > 50
    assert baseline.mean() > TRUE_GAP + 1.0, f"baseline mean {baseline.mean():.2f}"

    model_median = float(np.median(dt["posterior"]["gap_mean"].values))
    assert abs(model_median - TRUE_GAP) < 0.5, f"model median {model_median:.2f}"
