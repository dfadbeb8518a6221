"""Host effects (spec switch ``host_effects``): named hosts, the model term, its support."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from pytest import approx

from gapbayes import paths
from gapbayes.data.rules import load_rules
from gapbayes.inference.inputs import load_fit_input
from gapbayes.model.bias_support import ESTIMATED, NOT_IDENTIFIED, bias_support
from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_pymc import build_frontier_model
from gapbayes.model.frontier_simulate import CALM_WORLD, frontier_design, simulate_frontier_world
from gapbayes.model.host_effects import host_term, score_hosts, term_label, uses_host_effects
from gapbayes.model.spec import load_spec

SPEC = load_spec("default").with_changes(switches={"host_effects": True})


def test_rules_name_only_the_hosts_whose_prefix_is_theirs():
    rules = load_rules(paths.bundled_data_dir() / "model_rules.toml")
    assert rules.host("fireworks/kimi-k2p5") == "Fireworks AI"
    assert rules.host("Chutes/x") == "Chutes"                  # case-insensitive, as split
    assert rules.host("qwen/qwen3-235b") == ""                 # a developer slug: host unnamed
    assert rules.host("gpt-5") == ""


def test_score_hosts_known_table():
    rules = load_rules(paths.bundled_data_dir() / "model_rules.toml")
    ids = ["fireworks/a", "chutes/b", "fireworks/c", "qwen/d", "e", "fireworks/f"]
    row = np.array([1, 1, 1, 1, 0, 1])
    served = np.array([1, 1, 1, 1, 1, 0])     # e: a benchmark-level flag; f: a closed model
    hosts, ids_ = score_hosts(ids, row, served, rules)
    assert hosts == ["Chutes", "Fireworks AI"]
    assert ids_.tolist() == [2, 1, 2, 0, 0, 0]
    assert host_term("Fireworks AI") == "host_penalty_fireworks_ai"


def test_bundled_data_names_three_hosts():
    inp = load_fit_input()
    data = build_frontier_data(inp.models, inp.benchmarks, inp.scores, load_spec("default"))
    assert data.host_names == ["Chutes", "DeepInfra", "Fireworks AI"]
    assert np.bincount(data.obs_host_id).tolist()[1:] == [4, 1, 9]
    assert (data.obs_host[data.obs_host_id > 0] == 1).all()
    assert uses_host_effects(data, SPEC)
    assert not uses_host_effects(data, load_spec("default"))
    no_penalty = SPEC.with_changes(switches={"provider_degradation": False})
    assert not uses_host_effects(data, no_penalty)
    support = bias_support(data, hosts=True).set_index("term")
    rows = support.loc[[host_term(h) for h in data.host_names]]
    assert rows["n_scores"].tolist() == [4, 1, 9]
    assert set(rows["status"]) <= {ESTIMATED, NOT_IDENTIFIED}
    assert host_term("Chutes") not in bias_support(data)["term"].tolist()


@pytest.fixture(scope="module")
def hosted():
    """A small simulated design whose open scores are served, in turn, by two named hosts."""
    models, benchmarks, scores = frontier_design(n_models=60, n_benchmarks=6, seed=3)
    data = simulate_frontier_world(models, benchmarks, scores, load_spec("default"),
                                   fixed=CALM_WORLD, seed=4).data
    open_rows = np.flatnonzero(data.base_open[data.obs_base] == 1)
    host = np.zeros(len(data.y), int)
    host[open_rows[::3]] = 1 + (np.arange(len(open_rows[::3])) % 2)
    host[open_rows[1::3]] = -1                       # served by an unnamed host
    return replace(data, obs_host=(host != 0).astype(int), host_names=["Host A", "Host B"],
                   obs_host_id=np.maximum(host, 0))


def test_each_named_host_scales_the_common_penalty(hosted):
    """Capability lost on a score: penalty x exp(sd z_h) for host h, penalty if unnamed."""
    with build_frontier_model(hosted, SPEC) as model:
        assert model.named_vars_to_dims["host_z"] == ("host",)
        point = {model["provider_penalty"]: 0.4, model["host_sd"]: 0.5,
                 model["host_z"]: np.array([1.0, -2.0])}
        assert model["host_penalty"].eval(point) == approx(0.4 * np.exp([0.5, -1.0]))
    with build_frontier_model(hosted, load_spec("default")) as plain:
        assert "host_z" not in plain.named_vars


def test_host_terms_get_a_label_naming_the_host():
    from gapbayes.commands.summary import BIAS_LABELS

    assert term_label("host_penalty_fireworks_ai", BIAS_LABELS) == (
        "provider degradation on host fireworks_ai, as months")
    assert term_label("provider_penalty", BIAS_LABELS) == BIAS_LABELS["provider_penalty"]
    assert term_label("something_new", BIAS_LABELS) == "something_new"


def test_hosts_are_told_apart_on_the_independent_simulator():
    """A world the model did not generate, whose three hosts cost 4, 8 and 12 points.

    gapbayes/worlds serves open models through chutes/, fireworks/ and deepinfra/ at 0.5, 1
    and 1.5 times ``host_cost`` (8 points), 60% of host runs paired with a first-party run.
    Asserted: the penalties come out in the true order, with posterior probability >= 0.9 that
    DeepInfra (12 points) and >= 0.8 that Fireworks (8) cost more than Chutes (4). Measured
    on worlds 1, 2 and 3: 0.998, 0.996, 0.929 and 0.986, 0.977, 0.890.
    """
    from gapbayes.inference.backends import PyMCBackend, SamplerSettings
    from gapbayes.worlds import WorldConfig, generate_world

    world = generate_world(WorldConfig(ratio=1, host_cost=8.0, host_pair_share=0.6), seed=2)
    assert world.truth.terms["host_costs_points"] == {"chutes": 4.0, "fireworks": 8.0,
                                                      "deepinfra": 12.0}
    data = build_frontier_data(world.models, world.benchmarks, world.scores, SPEC)
    assert data.host_names == ["Chutes", "DeepInfra", "Fireworks AI"]
    settings = SamplerSettings(chains=2, draws=500, tune=500, seed=4, progressbar=False)
    post = PyMCBackend().sample(data, SPEC, settings)["posterior"]
    draws = post["host_penalty"].stack(s=("chain", "draw")).transpose("s", ...).values
    chutes, deepinfra, fireworks = draws.T
    assert np.median(chutes) < np.median(fireworks) and np.median(chutes) < np.median(deepinfra)
    assert (deepinfra > chutes).mean() >= 0.9
    assert (fireworks > chutes).mean() >= 0.8
