"""gapbayes: the open-closed AI capability gap in months, as a calibrated posterior.

The Python API (docs/api.md)::

    import gapbayes as gb
    fit = gb.fit(spec="default", max_models=60, chains=2, draws=200, tune=200, seed=1)
    fit.summary()          # the gap at named dates, a pandas DataFrame
    fit.plot_gap()         # a matplotlib figure
    gb.load(path), gb.latest(), gb.compare(...), gb.sbc(...)

The API's names load :mod:`gapbayes.api` on first use: ``import gapbayes`` itself imports no
numerical library, so the command line and scripts that need one function start fast.
"""

import importlib
import types

__version__ = "0.1.0"

import gapbayes.sbc as _sbc_package  # noqa: E402  (a docstring only: cheap)

API_NAMES = ("fit", "load", "latest", "compare", "Fit", "Comparison", "SBCRun")


def __getattr__(name: str):
    """Resolve the API's names lazily (PEP 562).

    ``importlib`` rather than an import statement: the lower layers import ``__version__``
    from this module, and the API above them is reached only when a name is looked up.
    """
    if name in API_NAMES:
        return getattr(importlib.import_module("gapbayes.api"), name)
    raise AttributeError(f"module 'gapbayes' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *API_NAMES, "sbc"])


class _CallablePackage(types.ModuleType):
    """The ``gapbayes.sbc`` package, callable as :func:`gapbayes.api.sbc`.

    ``gb.sbc(...)`` is the API's function, but ``gapbayes.sbc`` is also the name of the SBC
    subpackage, and importing a submodule (``gapbayes.sbc.runner``) binds that name on this
    package whatever was there. Making the package itself callable keeps both meanings, in
    whatever order they are reached.
    """

    def __call__(self, *args, **kwargs):
        """Run simulation-based calibration: see :func:`gapbayes.api.sbc`."""
        return importlib.import_module("gapbayes.api").sbc(*args, **kwargs)


_sbc_package.__class__ = _CallablePackage
