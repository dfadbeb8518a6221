"""Load the tidy tables for a fit (bundled data by default)."""

from __future__ import annotations

from pathlib import Path

from gapbayes.inference.fit import FitInput
from gapbayes.paths import data_dir


def load_fit_input(base: Path | None = None) -> FitInput:
    """Tidy tables under ``base/tidy`` (default: the bundled data) with their hash and label.

    The label names the data in result folders: ``epoch`` for the bundled Epoch dump, else the
    folder's name.
    """
    from gapbayes.data import load_tidy

    base = Path(base) if base else data_dir()
    tidy = load_tidy(base)
    label = "epoch" if base.resolve() == data_dir().resolve() else base.resolve().name
    return FitInput(tidy.models, tidy.benchmarks, tidy.scores, tidy.data_hash, label)
