"""The package's import graph: no cycles, and the lower layers never import the upper ones.

Every ``import`` statement counts, including those inside functions (a lazy import still
ties two modules together). Layers, lowest first: ``data`` -> ``model`` / ``baseline`` ->
``inference`` -> ``reporting`` -> ``sbc`` / ``studies`` -> ``comparison`` -> ``commands`` ->
``api`` and ``cli`` (the API calls the commands' code; the commands never import the API).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gapbayes"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (from any line of the file)."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[mod] |= {t for t in targets if t in files and t != mod}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("lower, upper", [
    ("gapbayes.data", "gapbayes.model"),
    ("gapbayes.data", "gapbayes.baseline"),
    ("gapbayes.data", "gapbayes.commands"),
    ("gapbayes.model", "gapbayes.commands"),
    ("gapbayes.model", "gapbayes.studies"),
    ("gapbayes.model", "gapbayes.reporting"),
    ("gapbayes.model", "gapbayes.inference"),
    ("gapbayes.inference", "gapbayes.reporting"),
    ("gapbayes.inference", "gapbayes.studies"),
    ("gapbayes.inference", "gapbayes.sbc"),
    ("gapbayes.inference", "gapbayes.comparison"),
    ("gapbayes.reporting", "gapbayes.studies"),
    ("gapbayes.reporting", "gapbayes.sbc"),
    ("gapbayes.reporting", "gapbayes.comparison"),
    ("gapbayes.model", "gapbayes.comparison"),
    ("gapbayes.studies", "gapbayes.comparison"),
    ("gapbayes.sbc", "gapbayes.comparison"),
    ("gapbayes.comparison", "gapbayes.commands"),
    ("gapbayes.model", "gapbayes.sbc"),
    ("gapbayes.baseline", "gapbayes.commands"),
    ("gapbayes.sbc", "gapbayes.commands"),
    ("gapbayes.studies", "gapbayes.commands"),
    ("gapbayes.commands", "gapbayes.api"),
])
def test_lower_layers_do_not_import_upper_ones(lower, upper):
    wrong = sorted(f"{m} -> {t}" for m, targets in import_graph().items()
                   if m.startswith(lower) for t in targets if t.startswith(upper))
    assert not wrong, wrong
