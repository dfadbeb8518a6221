"""The selection SBC's simulator (gapbayes/sbc/selection.py): the evaluation pattern it draws
follows the model's own density, and the fit of a simulation sees the frame it was drawn on.

The SBC run itself (``make sbc-selection``, about a minute per simulation) is not part of
``make test``; its result is in docs/model.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_pymc import build_frontier_model
from gapbayes.model.spec import load_spec
from gapbayes.sbc.selection import (
    LOGLIK,
    SelectionQuantities,
    selection_design,
    simulate,
    to_frame_order,
    unit_ids,
)


@pytest.fixture(scope="module")
def design():
    return selection_design(load_spec("default"), n_models=60, n_benchmarks=4, seed=0)


@pytest.fixture(scope="module")
def sim(design):
    return simulate(design, 0, seed=0)


def test_the_design_scores_every_candidate_pair_once(design):
    d = design.data
    assert len(d.frame_ids) == 0 and len(d.y) == len(d.cand_unit)   # every unit scored
    assert d.category_names == [design.benchmarks["category"].iloc[0]]
    assert not d.bench_linear.any() and d.n_effort == 1


def test_the_numpy_logit_gives_the_models_own_evaluation_density(design, sim):
    """The simulator's independent formula against the model's Potential at the prior draw."""
    from dataclasses import replace

    d = replace(design.data, cand_evaluated=sim.evaluated)
    model = build_frontier_model(d, design.spec)
    held = {model[rv.name]: np.asarray(sim.prior[rv.name], float)[..., :len(d.base_ids)]
            if rv.name == "ability" else np.asarray(sim.prior[rv.name], float)
            for rv in model.free_RVs}
    density = float(pm.do(model, held)["selection_loglik"].eval())
    one = {k: np.asarray(v)[None] for k, v in
           to_frame_order(design, design.data, sim.prior).items()}
    ours = float(SelectionQuantities(design).loglik({"evaluated": sim.evaluated}, one)[0])
    assert ours == pytest.approx(density, rel=1e-10)
    assert 0.05 < sim.evaluated.mean() < 0.995     # a pattern, not all or nothing


def test_a_fit_sees_the_evaluated_scores_on_the_frame_they_were_drawn_on(design, sim):
    d = design.data
    units = unit_ids(d)
    evaluated = {(units[u], d.bench_ids[b])
                 for u, b, e in zip(d.cand_unit, d.cand_bench, sim.evaluated, strict=True) if e}
    kept = set(zip(sim.scores["model_id"], sim.scores["benchmark_id"], strict=True))
    assert kept == evaluated and len(sim.scores) == len(evaluated)
    fit = build_frontier_data(design.models, design.benchmarks, sim.scores, design.spec,
                              candidates=design.candidates)
    # the same pairs in the same order, the same era positions and the same time grid
    fit_units = unit_ids(fit)
    assert [(fit_units[u], fit.bench_ids[b]) for u, b in zip(fit.cand_unit, fit.cand_bench,
                                                            strict=True)] == [
        (units[u], d.bench_ids[b]) for u, b in zip(d.cand_unit, d.cand_bench, strict=True)]
    np.testing.assert_array_equal(fit.cand_evaluated, sim.evaluated)
    np.testing.assert_array_equal(fit.cand_era, d.cand_era)
    np.testing.assert_array_equal(fit.grid_time, d.grid_time)
    # units the pattern left unscored are the fit's frame models
    scored = {u for u, _ in evaluated}
    assert set(fit.frame_ids) == set(units) - scored


def test_a_simulation_depends_only_on_seed_and_index(design, sim):
    again = simulate(design, 0, seed=0)
    np.testing.assert_array_equal(again.evaluated, sim.evaluated)
    assert not np.array_equal(simulate(design, 1, seed=0).evaluated, sim.evaluated)


def test_the_monitored_quantities_and_their_legend(design):
    q = SelectionQuantities(design)
    assert q.names[-1] == LOGLIK and set(q.describe()) == set(q.names)
    assert "selection_capability" in q.names and "F_gap[t50]" in q.names


def test_a_fixed_frame_naming_an_unfitted_benchmark_is_refused(design, sim):
    bad = pd.concat([design.candidates, pd.DataFrame(
        {"base_model": [design.candidates["base_model"].iloc[0]],
         "benchmark_id": ["no_such_benchmark"], "era": [0.0]})], ignore_index=True)
    with pytest.raises(ValueError, match="^the fixed selection frame names benchmarks that "
                                         "are not fitted: no_such_benchmark$"):
        build_frontier_data(design.models, design.benchmarks, sim.scores, design.spec,
                            candidates=bad)


def test_simulations_rejected_on_their_data_count_neither_as_used_nor_as_unusable(tmp_path):
    """Skipped simulations (the inclusion rule dropped a benchmark) leave the denominator."""
    import json

    from gapbayes.sbc.report import summarise

    rng = np.random.default_rng(0)
    (tmp_path / "sims").mkdir()
    statuses = ["ok"] * 17 + ["not_converged"] + ["skipped"] * 2
    for i, status in enumerate(statuses):
        rec = {"index": i, "status": status, "reason": "" if status == "ok" else "why"}
        if status != "skipped":
            u = float(rng.random())
            rec.update({"L": 100, "ranks": {"q": int(u * 100)}, "pit": {"q": u},
                        "rhat": {"q": 1.0}, "divergences": 0})
        (tmp_path / "sims" / f"{i}.json").write_text(json.dumps(rec))
    s = summarise(tmp_path, requested=20, plot=False)
    assert (s["skipped"], s["used"], s["ok"], s["not_converged"]) == (2, 17, 17, 1)
    assert s["bad_share"] == pytest.approx(1 / 18)
    assert s["first_attempt"]["n"] == 18 and s["first_attempt"]["converged"] == 17
    assert ", 2 skipped (rejected on their data) (5.6% unusable" in (
        tmp_path / "summary.md").read_text()
