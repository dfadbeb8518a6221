"""The selection term (switch ``selection``): its frame and candidate pairs on a hand-checked
table, when the term exists, and (slow) what it recovers on independent worlds.

The PyMC/Stan agreement of its density is checked with every other switch in
tests/test_stan_agreement.py (case ``default+selection``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from helpers_model import slow

from gapbayes.model.selection import coherent_units, selection_frame, uses_selection
from gapbayes.model.spec import load_spec

ORIGIN = pd.Timestamp("2024-01-01")


def _years(dates) -> np.ndarray:
    return ((pd.to_datetime(dates) - ORIGIN) / pd.Timedelta(days=1)).to_numpy(float) / 365.25


def _table() -> tuple[pd.DataFrame, list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Five base models, two fitted benchmarks; c2 (an effort variant) shares c's weights.

    Fitted: a (closed, 2024-01), b (open, 2024-07), c (closed, 2025-01). Not fitted: d (open,
    2024-10, inside the window), e (open, 2023-01, before it), f (closed, no release date).
    Scores: a on benchmark 0; b on 0 and 1; c on 1. Labs: a and c OpenAI, b Meta, d none.
    """
    models = pd.DataFrame({
        "model_id": ["a", "b", "c", "c2", "d", "e", "f"],
        "base_model": ["a", "b", "c", "c", "d", "e", "f"],
        "access": ["closed", "open", "closed", "closed", "open", "open", "closed"],
        "family": ["OpenAI", "Meta", "OpenAI", "OpenAI", None, "Meta", "OpenAI"],
        "release_date": pd.to_datetime(["2024-01-01", "2024-07-01", "2025-01-01",
                                        "2025-02-01", "2024-10-01", "2023-01-01", None]),
    })
    fitted = ["a", "b", "c"]
    base_time = _years(["2024-01-01", "2024-07-01", "2025-01-01"])
    obs_base, obs_bench = np.array([0, 1, 1, 2]), np.array([0, 0, 1, 1])
    return models, fitted, base_time, obs_base, obs_bench


def test_frame_and_candidate_pairs_of_a_hand_checked_table():
    models, fitted, base_time, obs_base, obs_bench = _table()
    f = selection_frame(models, fitted, base_time, obs_base, obs_bench, 2, _years)
    # d is the only unscored model inside the window [2024-01, 2025-01]
    assert f["frame_ids"] == ["d"] and f["frame_open"].tolist() == [1]
    np.testing.assert_allclose(f["frame_time"], _years(["2024-10-01"]))
    # eras: benchmark 0 from a to b (2024-01..2024-07), benchmark 1 from b to c (2024-07..2025-01)
    # units 0..2 are a, b, c; unit 3 is d (2024-10: inside benchmark 1's era only)
    pairs = sorted(zip(f["cand_unit"].tolist(), f["cand_bench"].tolist(),
                       f["cand_evaluated"].tolist(), strict=True))
    assert pairs == [(0, 0, 1), (1, 0, 1), (1, 1, 1), (2, 1, 1), (3, 1, 0)]
    # era positions: each era's first release at -1, its last at +1; d (2024-10-01) is the
    # midpoint of benchmark 1's era (2024-07-01 + 92 days = 2025-01-01 - 92 days)
    pair = zip(f["cand_unit"].tolist(), f["cand_bench"].tolist(), strict=True)
    era = dict(zip(pair, f["cand_era"], strict=True))
    np.testing.assert_allclose([era[(0, 0)], era[(1, 0)], era[(1, 1)], era[(2, 1)], era[(3, 1)]],
                               [-1.0, 1.0, -1.0, 1.0, 0.0], atol=1e-12)
    # labs of the units a, b, c, d; a model with no lab counts as "other"
    assert f["sel_family_names"] == ["Meta", "OpenAI", "other"]
    assert f["unit_family"].tolist() == [1, 0, 1, 2]
    no_labs = selection_frame(models.drop(columns="family"), fitted, base_time, obs_base,
                              obs_bench, 2, _years)
    assert no_labs["sel_family_names"] == ["other"] and set(no_labs["unit_family"]) == {0}


def test_the_term_exists_only_with_its_switch_and_an_unevaluated_pair():
    models, fitted, base_time, obs_base, obs_bench = _table()
    f = selection_frame(models, fitted, base_time, obs_base, obs_bench, 2, _years)

    class Design:   # the fields uses_selection reads
        cand_evaluated = f["cand_evaluated"]

    on = load_spec("default").with_changes(switches={"selection": True})
    assert uses_selection(Design, on)
    assert not uses_selection(Design, load_spec("default"))   # off in the default spec
    Design.cand_evaluated = np.ones(5, int)    # every candidate evaluated: nothing to model
    assert not uses_selection(Design, on)


def test_labs_seen_only_in_the_frame_join_the_families():
    models, fitted, base_time, obs_base, obs_bench = _table()
    f = selection_frame(models, fitted, base_time, obs_base, obs_bench, 2, _years)
    assert f["frame_labs"] == ["other"]          # d has no lab
    families, frame_family = coherent_units(f, ["Meta", "OpenAI"], on=True)
    assert families == ["Meta", "OpenAI", "other"] and frame_family.tolist() == [2]
    # off: the default model's families stay as they are
    families, frame_family = coherent_units(f, ["Meta", "OpenAI"], on=False)
    assert families == ["Meta", "OpenAI"]


def test_an_unscored_frame_model_has_the_prior_of_a_scored_model_of_its_lab():
    """One prior for every unit, evaluated or not: the frame model's skew-normal scale and
    shape equal those of a scored model of the same lab (no category deviation folded in),
    and its location is its group's frontier at its release."""
    import pytensor

    from gapbayes.model.frontier_design import build_frontier_data, single_category
    from gapbayes.model.frontier_pymc import build_frontier_model
    from gapbayes.model.frontier_simulate import frontier_design

    spec = load_spec("default").with_changes(switches={"selection": True})
    data = build_frontier_data(*frontier_design(n_models=60, n_benchmarks=6, seed=3), spec)
    assert len(data.frame_ids) and single_category(data).any()
    model = build_frontier_model(data, spec)
    point = model.initial_point()
    # labs that differ: at the initial point every lab term is 0 and any prior would agree.
    # Every value that enters the scale is set here, none is left to the initial point.
    fam_z = np.random.default_rng(0).normal(size=len(data.family_names))
    point.update(shortfall_family_z=fam_z, shortfall_family_sd_log__=np.log(0.5),
                 shortfall_log_scale=np.array(0.2), frontier_noise_sd_log__=np.log(0.3))
    params = [model[name].owner.inputs[-3:] for name in ("ability", "frame_ability")]
    # RVs replaced by their value variables: evaluated at `point`, not drawn from the prior
    outputs = model.replace_rvs_by_values([model["frontier"]] + [p for pair in params
                                                                 for p in pair])
    fn = pytensor.function(model.value_vars, outputs, on_unused_input="ignore")
    frontier, *values = fn(**point)
    # the composed error's parameters: frontier at release, shortfall scale, symmetric sd
    mu_b, su_b, sv_b, mu_f, su_f, sv_f = (np.broadcast_to(v, n) for v, n in zip(
        values, [len(data.base_ids)] * 3 + [len(data.frame_ids)] * 3, strict=True))
    for j, fam in enumerate(data.frame_family):
        k = np.flatnonzero(data.base_family == fam)
        assert len(k), data.family_names[fam]
        np.testing.assert_allclose([su_f[j], sv_f[j]], [su_b[k[0]], sv_b[k[0]]], rtol=1e-12)
        g, i, w = data.frame_open[j], data.frame_cell_left[j], data.frame_cell_frac[j]
        np.testing.assert_allclose(mu_f[j], frontier[g, i] * (1 - w) + frontier[g, i + 1] * w,
                                   rtol=1e-12)
    su = np.exp(0.2 + 0.5 * fam_z[data.base_family])
    np.testing.assert_allclose(su_b, su, rtol=1e-12)
    # with selection, a model scored in one category keeps its own deviation term, so the
    # symmetric sd is the frontier noise for every model
    np.testing.assert_allclose(sv_b, 0.3, rtol=1e-12)
    assert np.ptp(su_b) > 0.1       # the labs' scales do differ at this point


@slow
@pytest.mark.parametrize("capability_selection", [1.5, 0.0])
def test_selection_slope_on_independent_worlds(capability_selection):
    """Worlds (gapbayes.worlds, closed:open 10:1) that evaluate by capability (1.5 logit per
    world unit above the frontier) or not at all (0): the fitted slope's 90% interval lies
    above 0 in the first and covers 0 in the second (2 chains x (300 + 300); measured
    2026-12-02 with the lab and era terms: [0.72, 1.37] with capability selection, about 2
    minutes per world)."""
    from gapbayes.inference.backends import PyMCBackend, SamplerSettings
    from gapbayes.model.frontier_design import build_frontier_data
    from gapbayes.worlds import WorldConfig, generate_world

    spec = load_spec("default").with_changes(switches={"selection": True})
    cfg = replace(WorldConfig(), ratio=10.0, capability_selection=capability_selection)
    world = generate_world(cfg, seed=3)
    data = build_frontier_data(world.models, world.benchmarks, world.scores, spec)
    assert uses_selection(data, spec) and len(data.frame_ids) > 20
    dt = PyMCBackend().sample(data, spec, SamplerSettings(chains=2, draws=300, tune=300,
                                                           seed=1, progressbar=False))
    lo, hi = np.quantile(dt["posterior"]["selection_capability"].values, [0.05, 0.95])
    print(f"capability_selection {capability_selection}: slope 90% ETI [{lo:.2f}, {hi:.2f}]")
    if capability_selection > 0:
        assert lo > 0
    else:
        assert lo < 0 < hi


def test_sbc_refuses_the_selection_switch(tmp_path, capsys):
    """SBC simulates scores on a fixed design, so it cannot rank the selection term."""
    from gapbayes.cli import main

    spec = tmp_path / "sel.toml"
    spec.write_text('name = "sel"\nextends = "default"\n[switches]\nselection = true\n')
    out = tmp_path / "sbc"
    assert main(["sbc", "--spec", str(spec), "--simulations", "2", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "--spec: SBC does not simulate the evaluation pattern, so it cannot check the switch "
        "'selection': switch it off, or run 'gapbayes sbc-selection'")
    assert not out.exists()
