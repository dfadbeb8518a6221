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
