"""Shared test fixtures. Data-layer fixtures are prefixed ``data_``."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

DATA_FIXTURES = Path(__file__).parent / "fixtures" / "data"
DATA_TODAY = dt.date(2026, 5, 1)


@pytest.fixture
def data_fixture_copy(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/data (raw dump, metadata, rules) to break on purpose."""
    dst = tmp_path / "in"
    shutil.copytree(DATA_FIXTURES, dst)
    return dst


# ---- one small default-model fit shared by the modules that only need a finished result ----
SMALL_FIT_SETTINGS = {"chains": 2, "draws": 50, "tune": 50, "progressbar": False}


@pytest.fixture(scope="session")
def small_world():
    """A small synthetic world of the default model (40 models, 5 benchmarks) as fit input."""
    from gapbayes.inference.fit import FitInput
    from gapbayes.model.frontier_simulate import (
        CALM_WORLD,
        frontier_design,
        simulate_frontier_world,
    )
    from gapbayes.model.spec import load_spec

    models, benchmarks, scores = frontier_design(n_models=40, n_benchmarks=5, seed=0)
    w = simulate_frontier_world(models, benchmarks, scores, load_spec("default"),
                                fixed=CALM_WORLD, seed=1)
    return FitInput(w.models, w.benchmarks, w.scores, "synthetic-small", "synth")


@pytest.fixture(scope="session")
def small_fit(tmp_path_factory: pytest.TempPathFactory, small_world) -> Path:
    """Its finished result folder, plots included (2 x (50 + 50)): copy it before changing it.

    One fit for the modules that test what is done with a result (plots, checksums), so the
    suite compiles and samples it once.
    """
    from gapbayes.inference.backends import SamplerSettings
    from gapbayes.inference.fit import run_fit
    from gapbayes.model.spec import load_spec
    from gapbayes.reporting.plots import fit_plotter

    result = run_fit(small_world, load_spec("default"),
                     settings=SamplerSettings(**SMALL_FIT_SETTINGS),
                     out_root=tmp_path_factory.mktemp("small-fit"), plotter=fit_plotter(),
                     log=lambda *_: None)
    return result.path
