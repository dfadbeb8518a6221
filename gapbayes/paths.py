"""Default locations of the bundled data, the Stan programs and the results.

The bundled Epoch data (``data/``) and the Stan programs (``models/``) live at the repository
root, next to the package. A built wheel carries copies of both inside the package, as
``gapbayes/_bundled/data`` and ``gapbayes/_bundled/models`` (setup.py puts them there), so an
installed gapbayes works outside the repository. In a checkout (editable install or
``PYTHONPATH``) the repository's own folders are used, so an edit of ``data/`` takes effect
without rebuilding anything.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLE = "_bundled"   # folder inside the installed package holding data/ and models/


def in_checkout(root: Path | None = None) -> bool:
    """Tell whether gapbayes runs from a repository checkout rather than an installed wheel.

    ``pyproject.toml`` next to the package marks a checkout: an installed package's parent is
    site-packages, which may hold an unrelated top-level ``data/`` folder of another package.
    """
    root = PROJECT_ROOT if root is None else root
    return (root / "pyproject.toml").is_file()


def shipped(name: str) -> Path:
    """Return the repository's ``name`` folder (``data``, ``models``) or the wheel's copy.

    Raises
    ------
    RuntimeError
        The package is imported from an archive (a zip file), where the bundled files have no
        path on disk; install the wheel normally instead.
    """
    if in_checkout():
        return PROJECT_ROOT / name
    copy = resources.files("gapbayes").joinpath(BUNDLE, name)
    if not isinstance(copy, Path):
        raise RuntimeError(f"gapbayes: the bundled {name}/ is inside an archive ({copy}); "
                           "install the wheel with pip instead of importing it zipped")
    return copy


def bundled_data_dir() -> Path:
    """Return the bundled Epoch data (``raw/``, ``benchmarks.toml``, ``tidy/``), env ignored."""
    return shipped("data")


def data_dir() -> Path:
    """Folder holding ``raw/``, ``benchmarks.toml`` and ``tidy/`` (env ``GAPBAYES_DATA``)."""
    return Path(os.environ.get("GAPBAYES_DATA", bundled_data_dir()))


def stan_dir() -> Path:
    """Return the folder of the Stan programs (``frontier.stan``, ``timeshift_v1.stan``)."""
    return shipped("models")


def tidy_dir(base: Path | None = None) -> Path:
    """Folder of the tidy tables ``models.csv``, ``benchmarks.csv``, ``scores.csv``."""
    return (base or data_dir()) / "tidy"


def results_dir() -> Path:
    """Folder for results: ``./results`` in the current folder (env ``GAPBAYES_RESULTS``).

    Not the install folder: a user working elsewhere must not write into (or read from) the
    package's own checkout.
    """
    return Path(os.environ.get("GAPBAYES_RESULTS", Path.cwd() / "results"))


def cache_dir() -> Path:
    """User cache for compiled Stan programs and CmdStan (env ``GAPBAYES_CACHE``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gapbayes"
    return Path(os.environ.get("GAPBAYES_CACHE", default))
