"""nutpie's ``extra_doublings`` reaches the sampler and the cache key, and only when it is set."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

from gapbayes.inference.backend_base import SamplerSettings
from gapbayes.inference.backends import _run_nutpie


def test_extra_doublings_enter_the_manifest_only_when_set():
    plain, longer = SamplerSettings(), SamplerSettings(extra_doublings=1)
    assert "extra_doublings" not in plain.as_dict()       # cache keys of older fits stay valid
    assert longer.as_dict()["extra_doublings"] == 1
    assert "extra_doublings" not in longer.as_dict(backend="stan")    # Stan has no such thing
    assert "extra_doublings" not in SamplerSettings(extra_doublings=1, sampler="pymc").as_dict()


@pytest.fixture(scope="module")
def compiled_toy():
    nutpie = pytest.importorskip("nutpie")
    with pm.Model() as toy:
        pm.Normal("x", 0.0, np.linspace(0.5, 5.0, 20))
    return nutpie.compile_pymc_model(toy)


def test_one_extra_doubling_doubles_the_leapfrog_steps(compiled_toy):
    """Past the U-turn the trajectory doubles once more: 2^d - 1 steps become 2^(d+1) - 1."""
    settings = SamplerSettings(chains=2, cores=1, seed=3, progressbar=False)
    steps = {}
    for k in (0, 1):
        dt = _run_nutpie(compiled_toy, settings, 200, 200, "diag", doublings=k)
        steps[k] = float(dt["sample_stats"]["n_steps"].mean())
    assert 1.9 < (steps[1] + 1) / (steps[0] + 1) < 2.1, steps


def test_the_flag_overrides_the_specs_extra_doublings():
    from gapbayes.api.args import parse
    from gapbayes.commands.common import sampler_settings
    from gapbayes.model.spec import load_spec

    default, v1 = load_spec("default"), load_spec("timeshift-v1")
    assert sampler_settings(parse("fit", {}), default).extra_doublings == 1
    assert sampler_settings(parse("fit", {"extra_doublings": 0}), default).extra_doublings == 0
    assert sampler_settings(parse("fit", {}), v1).extra_doublings == 0   # its own [sampler]
    assert sampler_settings(parse("fit", {}), default).target_accept == 0.95


def test_the_flag_refuses_what_the_spec_key_refuses(capsys):
    from gapbayes.cli import build_parser

    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["fit", "--extra-doublings", "4"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith(
        "gapbayes fit: error: argument --extra-doublings: must be an integer from 0 to 3, "
        "got '4'")


def test_a_study_can_sample_as_a_real_fit_does():
    # the studies default to diag adaptation (older work folders keep their ids); the flags
    # give them the real fit's sampler, and the settings name a different work folder
    from gapbayes.cli import build_parser
    from gapbayes.commands.study import _settings

    base = ["study", "misspecified", "--worlds", "1"]
    plain = _settings(build_parser().parse_args(base))
    real = _settings(build_parser().parse_args(
        [*base, "--adaptation", "pilot", "--extra-doublings", "1", "--target-accept", "0.95"]))
    assert (plain.adaptation, plain.extra_doublings) == ("diag", 0)
    assert (real.adaptation, real.extra_doublings, real.target_accept) == ("pilot", 1, 0.95)
    assert {"adaptation", "extra_doublings"} <= set(real.as_dict()) - set(plain.as_dict())
