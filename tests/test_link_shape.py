"""The asymmetric link: known values, its inverse, its parameter, and the positions it gives."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from test_frontier_gaps import closed_curve, data, posterior  # noqa: F401
from test_frontier_model import _data, _free

from gapbayes.model.frontier_gaps import gap_quantities
from gapbayes.model.frontier_likelihood import shaped_benchmarks
from gapbayes.model.frontier_pymc import build_frontier_model
from gapbayes.model.links import link_inverse, link_share
from gapbayes.model.spec import load_spec

SPEC = load_spec("default").with_changes(switches={"asymmetric_link": True})


def test_shape_one_is_the_logistic_and_known_values():
    x = np.linspace(-30.0, 30.0, 61)
    assert np.allclose(link_share(x, np.ones_like(x)), 1.0 / (1.0 + np.exp(-x)), atol=1e-15)
    # shape 1/2 at x = 0: 1 - exp(-log(2) / 2) = 1 - 2^(-1/2)
    assert link_share(np.array(0.0), 0.5) == pytest.approx(1.0 - 2.0**-0.5, rel=1e-12)
    # far below the floor the share is shape * e^x; far above, 1 - e^(-shape x)
    assert link_share(np.array(-20.0), 0.3) == pytest.approx(0.3 * np.exp(-20.0), rel=1e-6)
    assert 1.0 - link_share(np.array(20.0), 0.3) == pytest.approx(np.exp(-6.0), rel=1e-6)


@pytest.mark.parametrize("shape", [None, 0.25, 1.0, 3.0])
def test_inverse_recovers_the_position_and_is_nan_outside(shape):
    x = np.linspace(-6.0, 6.0, 25)
    assert np.allclose(link_inverse(link_share(x, shape), shape), x, atol=1e-8)
    assert np.isnan(link_inverse(np.array([0.0, 1.0, 1.2]), shape)).all()


def test_switch_adds_one_shape_per_sigmoid_benchmark():
    design = _data()
    assert "log_top_rate" in _free(design, SPEC)
    assert "log_top_rate" not in _free(design, load_spec("default"))
    model = build_frontier_model(design, SPEC)
    assert model.named_vars_to_dims["log_top_rate"] == ("shaped_benchmark",)
    assert list(model.coords["shaped_benchmark"]) == list(model.coords["sig_benchmark"])
    assert model.named_vars_to_dims["shape"] == ("sig_benchmark",)


def test_listed_benchmarks_get_a_shape_and_the_others_the_logistic():
    design = _data()
    sig = [design.bench_ids[b] for b in design.sig_benchmarks]
    lin = [design.bench_ids[b] for b in design.lin_benchmarks]
    listed = [sig[1], *lin, "not_in_the_data"]
    spec = load_spec("default").with_changes(switches={"asymmetric_link_benchmarks": listed})
    assert list(shaped_benchmarks(design, spec)) == [1]
    model = build_frontier_model(design, spec)
    assert list(model.coords["shaped_benchmark"]) == [sig[1]]
    point = model.initial_point()
    point["log_top_rate"] = np.array([0.7])
    outputs = model.replace_rvs_by_values([model["shape"], pt.log(model["slope"])])
    shape, log_slope = pytensor.function(model.value_vars, outputs, on_unused_input="ignore")(
        *(point[v.name] for v in model.value_vars))
    expected = np.ones(len(sig))
    expected[1] = np.exp(0.7 - log_slope[1])
    assert np.allclose(shape, expected, rtol=1e-12)


def test_positions_follow_the_asymmetric_link(data):  # noqa: F811
    post = posterior(data, lambda t: closed_curve(t) - 1.0)
    t_last = data.report_time[-1]
    n = len(data.sig_benchmarks)
    draws = post.sizes["draw"]
    diff = float(closed_curve(t_last)) + 2.0
    post["difficulty"] = (("chain", "draw", "sig_benchmark"), np.full((1, draws, n), diff))
    post["slope"] = (("chain", "draw", "sig_benchmark"), np.full((1, draws, n), 1.5))
    post["shape"] = (("chain", "draw", "sig_benchmark"), np.full((1, draws, n), 0.4))
    pos = gap_quantities(post, data)["benchmark_position"].isel(date=-1)
    b = data.sig_benchmarks[0]
    closed, opened = (float(pos.sel(side=s).values[0, 0, b]) for s in ("closed", "open"))
    # closed frontier 2 units below the difficulty, open 3 units below
    assert closed == pytest.approx(1.0 - np.exp(-0.4 * np.log1p(np.exp(-3.0))), rel=1e-3)
    assert opened == pytest.approx(1.0 - np.exp(-0.4 * np.log1p(np.exp(-4.5))), rel=1e-3)
