"""The environment is pinned (requirements.lock) and the help texts tell the spec's real values."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from gapbayes.cli import main
from gapbayes.model.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def _name(requirement: str) -> str:
    """Normalised distribution name of a PEP 508 requirement (``Foo_bar>=1`` -> ``foo-bar``)."""
    name = re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", line), line
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


def test_lock_pins_every_direct_dependency_exactly() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = _locked()
    missing = [r for r in direct if _name(r) not in pins]
    assert not missing
    for name in ("pytensor", "nutpie", "pymc", "arviz", "numpy"):
        assert name in pins


def test_make_install_uses_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -c requirements.lock -e '.[dev]'" in makefile
    assert re.search(r"^\$\(STAMP\): .*requirements\.lock", makefile, re.M)
    assert re.search(r"^lock: ", makefile, re.M)


def test_installed_numerical_stack_matches_the_lock() -> None:
    """The environment the tests run in is the locked one (after ``make install``)."""
    pins = _locked()
    for name in ("pytensor", "pymc", "nutpie", "arviz"):
        assert metadata.version(name) == pins[name], name


@pytest.mark.parametrize("command", ["fit", "compare", "sensitivity"])
def test_help_quotes_the_default_spec_sampler(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    sampler = load_spec("default").sampler
    for key in ("draws", "tune", "chains", "target_accept"):
        assert f"[sampler] {key}; {sampler[key]} in the default spec" in text
