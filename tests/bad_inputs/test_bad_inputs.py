"""Every kind of bad input ends in one line naming what is wrong, exit code 2, nothing written.

The kinds are tables in the ``cases_*`` modules beside this file; :func:`harness.run_case`
checks the contract.
"""

from __future__ import annotations

import pytest
from cases_files import CASES as FILE_CASES
from cases_import import CASES as IMPORT_CASES
from cases_raw import CASES as RAW_CASES
from cases_values import CASES as VALUE_CASES
from harness import Case, run_case

CASES: list[Case] = [*VALUE_CASES, *FILE_CASES, *RAW_CASES, *IMPORT_CASES]


def test_kinds_are_distinct_and_at_least_40() -> None:
    kinds = [c.kind for c in CASES]
    assert len(kinds) == len(set(kinds))
    assert len(kinds) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_bad_input(case: Case, tmp_path, monkeypatch, capsys) -> None:
    run_case(case, tmp_path, monkeypatch, capsys)
