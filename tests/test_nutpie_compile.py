"""Nutpie compiles with PyTensor's Numba fastmath off, so draws do not depend on the cache.

With fastmath, the first fit on a machine (empty Numba cache) and every later fit drew
different numbers for the same seed (gapbayes/inference/nutpie_compile.py has the digests).
Reproducing that needs an empty cache and several minutes of compilation, so the test checks
the switch itself: off while nutpie compiles, and back to the user's setting afterwards.
"""

from __future__ import annotations

import pymc as pm
import pytensor
import pytest

from gapbayes.inference import nutpie_compile


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record PyTensor's fastmath flag at each nutpie compile (and skip the compilation)."""
    import nutpie

    seen: list[bool] = []

    def record(model):
        seen.append(bool(pytensor.config.numba__fastmath))
        return "compiled"

    monkeypatch.setattr(nutpie, "compile_pymc_model", record)
    return seen


@pytest.mark.parametrize("before", [True, False])
def test_fastmath_is_off_while_nutpie_compiles_and_restored_after(spy: list[bool],
                                                                 before: bool) -> None:
    with pm.Model() as model:
        pm.Normal("x")
    with pytensor.config.change_flags(numba__fastmath=before):
        assert nutpie_compile.compile_exact(model) == "compiled"
        assert pytensor.config.numba__fastmath is before
    assert spy == [False]


def test_the_fit_and_sbc_backends_compile_through_compile_exact() -> None:
    import inspect

    from gapbayes.inference import backends
    from gapbayes.sbc import backends as sbc_backends

    for module in (backends, sbc_backends):
        source = inspect.getsource(module)
        assert "compile_exact(" in source
        assert "nutpie.compile_pymc_model(" not in source
