"""Flag values: 0 is a value (not "the spec's default"), and the checked types' examples hold."""

from __future__ import annotations

import doctest

import pytest

from gapbayes.cli import build_parser
from gapbayes.commands import argtypes
from gapbayes.commands.common import sampler_settings
from gapbayes.model import spec_check
from gapbayes.model.spec import load_spec


def test_tune_zero_is_kept_and_unset_flags_take_the_spec_values() -> None:
    spec = load_spec("default")
    args = build_parser().parse_args(["fit", "--tune", "0"])
    settings = sampler_settings(args, spec)
    assert settings.tune == 0
    assert settings.draws == spec.sampler["draws"]
    assert settings.chains == spec.sampler["chains"]
    assert settings.target_accept == spec.sampler["target_accept"]


def test_flags_override_the_spec() -> None:
    args = build_parser().parse_args(
        ["fit", "--draws", "7", "--chains", "3", "--target-accept", "0.95"])
    settings = sampler_settings(args, load_spec("default"))
    assert (settings.draws, settings.chains, settings.target_accept) == (7, 3, 0.95)


@pytest.mark.parametrize("module", [argtypes, spec_check])
def test_docstring_examples(module) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_unquoted_toml_date_is_read_as_the_same_date(tmp_path) -> None:
    f = tmp_path / "dated.toml"
    f.write_text('extends = "default"\n[data]\nstart_date = 2023-01-01\n')
    quoted = tmp_path / "quoted.toml"
    quoted.write_text('extends = "default"\n[data]\nstart_date = "2023-01-01"\n')
    assert load_spec(f).data["start_date"] == "2023-01-01"
    assert load_spec(f).spec_id == load_spec(quoted).spec_id
