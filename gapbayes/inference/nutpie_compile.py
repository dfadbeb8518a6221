"""Compile a PyMC model for nutpie so that a seed gives the same draws on every run.

PyTensor compiles its Numba code with ``fastmath`` by default, which lets LLVM reorder
floating-point arithmetic. How it reorders depends on what it compiles together: on a machine
whose Numba cache (``~/.pytensor/numba``) is empty each operation is compiled fresh, later runs
link the cached ones, and the log density's last bits differ between the two. NUTS amplifies
such a difference into different draws. Measured (2026-12-05, spec ``default``,
``gb.fit(max_models=60, chains=2, draws=200, tune=200)``, seed 0, one machine): with
fastmath, an empty cache gave posterior digest ``fb90be56`` and every later run ``9b8e178c``;
without it, an empty cache, the second run and a run in the usual home folder all gave
``974918f1``. That holds on one machine: another CPU can still draw differently (README,
"Same seed, same draws"). The price is about 5% of the gradient time (the bundled data's
default model: 507 against 481 microseconds per gradient).
"""

from __future__ import annotations

from typing import Any


def compile_exact(model: Any) -> Any:
    """``nutpie.compile_pymc_model(model)`` with PyTensor's Numba fastmath switched off.

    Parameters
    ----------
    model : pymc.Model
        The model to compile.

    Returns
    -------
    nutpie.compile_pymc.CompiledPyMCModel
        The compiled model; its draws for a seed do not depend on the Numba cache's state.
    """
    import nutpie
    import pytensor

    with pytensor.config.change_flags(numba__fastmath=False):
        return nutpie.compile_pymc_model(model)
