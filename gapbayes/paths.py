"""Default locations of the bundled data and results, relative to the project root."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Folder holding ``raw/``, ``benchmarks.toml`` and ``tidy/`` (env ``GAPBAYES_DATA``)."""
    return Path(os.environ.get("GAPBAYES_DATA", PROJECT_ROOT / "data"))


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
