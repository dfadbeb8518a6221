"""Nutpie compiles with PyTensor's Numba fastmath off, so draws do not depend on the cache.

With fastmath, the first fit on a machine (empty Numba cache) and every later fit drew
different numbers for the same seed (gapbayes/inference/nutpie_compile.py has the digests).
Reproducing that needs an empty cache and several minutes of compilation, so the test checks
the switch itself: off while nutpie compiles, and back to the user's setting afterwards;
and off while PyMC's own NUTS samples (it compiles through Numba as well).
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


def test_pymc_nuts_samples_with_fastmath_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyMC's own NUTS compiles through Numba too: the same switch, for the same reason."""
    from gapbayes.inference.backends import SamplerSettings, get_backend
    from gapbayes.model.frontier_design import build_frontier_data
    from gapbayes.model.frontier_simulate import frontier_design
    from gapbayes.model.spec import load_spec

    class Stop(Exception):
        pass

    seen: list[bool] = []

    def record(**kwargs):
        seen.append(bool(pytensor.config.numba__fastmath))
        raise Stop

    monkeypatch.setattr(pm, "sample", record)
    spec = load_spec("default")
    data = build_frontier_data(*frontier_design(n_models=40, n_benchmarks=5, seed=0), spec)
    with pytensor.config.change_flags(numba__fastmath=True), pytest.raises(Stop):
        get_backend("pymc").sample(data, spec, SamplerSettings(sampler="pymc", chains=1,
                                                               draws=5, tune=5))
    assert seen == [False]
