"""The benchmark scripts import what exists (their Stan and PyMC runs are too slow for CI).

``make bench`` imports most of gapbayes inside functions, so a module that moved only fails
when that sampler's row runs (the Stan rows once failed with ``cannot import name
'backend_stan' from 'gapbayes.model'`` after the backend moved to ``gapbayes.inference``).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _gapbayes_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from gapbayes... import name``, at any depth of the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            and node.module.split(".")[0] == "gapbayes" for alias in node.names]


@pytest.mark.parametrize("script", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_every_gapbayes_import_of_a_bench_script_resolves(script: Path) -> None:
    for module, name in _gapbayes_imports(script):
        imported = importlib.import_module(module)
        if not hasattr(imported, name):
            importlib.import_module(f"{module}.{name}")   # a submodule, or ImportError


def test_the_check_catches_a_moved_module(tmp_path: Path) -> None:
    script = tmp_path / "old.py"
    script.write_text("def f():\n    from gapbayes.model import backend_stan\n")
    assert _gapbayes_imports(script) == [("gapbayes.model", "backend_stan")]
    with pytest.raises(ModuleNotFoundError, match="gapbayes.model.backend_stan"):
        test_every_gapbayes_import_of_a_bench_script_resolves(script)
