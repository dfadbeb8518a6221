"""Build hook: ship the repository's data/ and models/ inside the wheel.

Everything else is configured in pyproject.toml. The bundled Epoch data (tidy tables, the raw
dump that ``gapbayes data build`` reads, the metadata and its CC-BY 4.0 attribution in
``data/raw/*/README.md``) and the Stan programs stay at the repository root, where the
project keeps them; a wheel copies them to ``gapbayes/_bundled/{data,models}``, where
:func:`gapbayes.paths.shipped` finds them when no checkout is around. Editable installs copy
nothing: they read the checkout's folders directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("data", "models")
# left-overs of interrupted runs and editors never belong in a wheel
IGNORE = shutil.ignore_patterns("__pycache__", ".*", "*.tmp", "*.pyc")


class BuildPyWithBundle(build_py):
    """``build_py`` that also copies data/ and models/ into ``gapbayes/_bundled/``."""

    def run(self) -> None:
        """Build the package, then add the bundled folders (not for editable installs)."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "gapbayes" / "_bundled"
        for name in BUNDLED:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing; build from a full checkout "
                                 "or an sdist made from one")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name, ignore=IGNORE)


setup(cmdclass={"build_py": BuildPyWithBundle})
