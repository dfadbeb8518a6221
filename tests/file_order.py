"""The order in which pytest-xdist hands test files to its two workers (``--dist loadfile``).

Why an order at all: with two workers and files of very different length (a few seconds to
ten minutes), the suite's wall time depends on which files start last. Collection order is
alphabetical, so a ten-minute file whose name starts late (test_sbc_frontier.py) could start
when the other worker had little left, and the files that build Stan programs
(``@pytest.mark.stan``) started about 14 minutes in, before ``make test``'s background build of
frontier.stan had finished: both workers then waited on its build lock (their first setups
took 456 s and 402 s on a clean clone, 2026-12-05), one core idle.

The order (longest processing time first, the classic rule for two machines):

1. files without Stan tests that took at least ``HEAVY_SECONDS``, longest first;
2. the Stan files, longest first (by then the background build has long finished);
3. the remaining files, longest first: they fill in beside the last long files.

With no durations at all (no heavy files known) the Stan files go last.

Durations come from ``tests/file_durations.json`` (seconds per file, setup and teardown
included, from a clean clone's run). It only decides an order: a stale or missing entry
(a new file counts 0 s) costs balance, never a result. Refresh it with
``GAPBAYES_RECORD_DURATIONS=tests/file_durations.json make test``.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

DURATIONS_FILE = Path(__file__).with_name("file_durations.json")
HEAVY_SECONDS = 60.0


def load_durations(path: Path = DURATIONS_FILE) -> dict[str, float]:
    """Return seconds per test file (relative path ``tests/test_x.py``); empty if unreadable."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in raw.items()}


def file_key(item: pytest.Item) -> str:
    """The test file of ``item`` as ``tests/<name>.py`` (the key of the durations file)."""
    return item.nodeid.split("::", 1)[0]


def ordered_files(files: list[str], stan_files: set[str],
                  durations: dict[str, float]) -> list[str]:
    """Order test files: heavy non-Stan, then Stan, then light, each longest first.

    Parameters
    ----------
    files
        The test files in collection order.
    stan_files
        Those that hold a test marked ``stan``.
    durations
        Seconds per file; files missing from it count 0.

    Returns
    -------
    list of str
        The same files, reordered; ties keep their collection order.
    """
    def seconds(f: str) -> float:
        return durations.get(f, 0.0)

    heavy = {f for f in files if f not in stan_files and seconds(f) >= HEAVY_SECONDS}

    def group(f: str) -> int:
        if f in stan_files:
            return 1 if heavy else 3   # with nothing heavy to run first, the Stan files go last
        return 0 if f in heavy else 2

    rank = {f: i for i, f in enumerate(files)}
    return sorted(files, key=lambda f: (group(f), -seconds(f), rank[f]))


def reorder(items: list[pytest.Item], durations: dict[str, float]) -> None:
    """Sort ``items`` in place by :func:`ordered_files`, keeping each file's own order."""
    files = list(dict.fromkeys(file_key(i) for i in items))
    stan = {file_key(i) for i in items if i.get_closest_marker("stan")}
    position = {f: n for n, f in enumerate(ordered_files(files, stan, durations))}
    items.sort(key=lambda i: position[file_key(i)])   # stable: a file's tests keep their order


class DurationRecorder:
    """Sum each file's setup, call and teardown seconds; write them as JSON at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid.split("::", 1)[0]] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            return   # the controller sees every worker's reports and writes once
        rounded = {f: round(s, 1) for f, s in sorted(self.seconds.items())}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rounded, indent=1) + "\n")
        tmp.replace(self.path)
