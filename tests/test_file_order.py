"""The order of test files for the xdist workers (tests/file_order.py)."""

from __future__ import annotations

import json

from file_order import HEAVY_SECONDS, DurationRecorder, load_durations, ordered_files


def test_heavy_files_first_then_stan_files_then_light_ones_each_longest_first() -> None:
    files = ["tests/a.py", "tests/b.py", "tests/stan_small.py", "tests/c.py",
             "tests/stan_big.py", "tests/new.py", "tests/d.py"]
    durations = {"tests/a.py": 5.0, "tests/b.py": 300.0, "tests/c.py": HEAVY_SECONDS,
                 "tests/d.py": 20.0, "tests/stan_small.py": 10.0, "tests/stan_big.py": 800.0}
    order = ordered_files(files, {"tests/stan_small.py", "tests/stan_big.py"}, durations)
    assert order == ["tests/b.py", "tests/c.py", "tests/stan_big.py", "tests/stan_small.py",
                     "tests/d.py", "tests/a.py", "tests/new.py"]


def test_without_durations_the_stan_files_go_last_in_collection_order() -> None:
    files = ["tests/s1.py", "tests/a.py", "tests/s2.py", "tests/b.py"]
    assert ordered_files(files, {"tests/s1.py", "tests/s2.py"}, {}) == [
        "tests/a.py", "tests/b.py", "tests/s1.py", "tests/s2.py"]


def test_recorded_durations_are_read_back_per_file(tmp_path) -> None:
    class Report:
        def __init__(self, nodeid: str, duration: float) -> None:
            self.nodeid, self.duration = nodeid, duration

    path = tmp_path / "durations.json"
    rec = DurationRecorder(path)
    for nodeid, d in [("tests/x.py::t1", 1.25), ("tests/x.py::t1", 0.5), ("tests/y.py::t", 2.0)]:
        rec.pytest_runtest_logreport(Report(nodeid, d))
    rec.pytest_sessionfinish(None)
    assert json.loads(path.read_text()) == {"tests/x.py": 1.8, "tests/y.py": 2.0}
    assert load_durations(path) == {"tests/x.py": 1.8, "tests/y.py": 2.0}
    assert load_durations(tmp_path / "missing.json") == {}
