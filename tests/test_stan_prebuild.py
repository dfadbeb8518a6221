"""`make test` builds the Stan programs beside pytest (gapbayes/inference/stan_prebuild.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_stan import STAN_MARKS

from gapbayes.inference import backend_stan, stan_install
from gapbayes.inference.stan_prebuild import prebuild, shipped_programs
from gapbayes.model.families import family
from gapbayes.model.spec import load_spec, shipped_spec_names


def test_every_family_program_is_listed_the_slowest_build_first() -> None:
    programs = shipped_programs()
    used = {family(load_spec(name)).stan().stan_file for name in shipped_spec_names()}
    assert set(programs) == used
    assert programs[0].name == "frontier.stan"   # the ~8-minute build starts first


def test_nothing_is_built_without_cmdstan(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Path] = []
    monkeypatch.setattr(stan_install, "find_cmdstan", lambda: None)
    monkeypatch.setattr(backend_stan, "compile_model", built.append)
    assert prebuild(shipped_programs()) == []
    assert built == []


@STAN_MARKS[0]
@STAN_MARKS[1]
def test_a_program_that_does_not_build_is_one_line_and_the_others_still_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an empty program cache, the installed CmdStan
    monkeypatch.setenv("CMDSTAN", str(stan_install.find_cmdstan()))
    monkeypatch.setenv("GAPBAYES_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "broken.stan"
    bad.write_text("parameters { real x }\nmodel { x ~ normal(0, 1); }\n")   # missing ';'
    good = tmp_path / "tiny.stan"
    good.write_text("parameters { real x; }\nmodel { x ~ normal(0, 1); }\n")
    failures = prebuild([bad, good])
    assert len(failures) == 1 and failures[0].startswith("broken.stan: ")
    assert "\n" not in failures[0]
    assert list((tmp_path / "cache" / "stan").glob("*/tiny"))
