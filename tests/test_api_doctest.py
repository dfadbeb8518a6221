"""The docstring examples of the Python API and the README's API example run and hold.

They really fit: every example calls ``gb.fit(max_models=60, chains=2, draws=200, tune=200)``
(2 chains, the least that R-hat needs), and all run in one empty folder, so the first call
fits and the others reuse that cached result, as a user's repeated calls would.
``gb.compare``'s example fits one more spec on the same models with shorter chains and no plots.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from gapbayes.api import args, calls, result

ROOT = Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# calls first: its fit() example makes the result the later examples reuse
MODULES = [args, calls, result]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    """An empty current folder with ./results as the results root, for the whole module."""
    folder = tmp_path_factory.mktemp("notebook")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.delenv("GAPBAYES_RESULTS", raising=False)
        mp.delenv("GAPBAYES_DATA", raising=False)
        yield folder


def readme_example() -> str:
    """The first fenced block of the README's "Python API" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block, "README: no ```python block in the Python API section"
    return block.group(1)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module, workdir: Path) -> None:
    outcome = doctest.testmod(module, optionflags=FLAGS, raise_on_error=False)
    assert outcome.attempted > 0
    assert outcome.failed == 0


def test_readme_api_example(workdir: Path) -> None:
    example = readme_example()
    assert "gb.fit(" in example and "gb.load(" in example
    test = doctest.DocTestParser().get_doctest(example, {}, "README.md", "README.md", 0)
    assert len(test.examples) >= 6
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert list((workdir / "results").glob("epoch-default-*/manifest.json"))


@pytest.mark.parametrize("name", ["fit", "load", "latest", "compare", "sbc", "Fit"])
def test_every_api_function_documents_an_example(name: str) -> None:
    import gapbayes.api as api

    doc = getattr(api, name).__doc__ or ""
    assert "Examples\n    --------\n    >>> " in doc
