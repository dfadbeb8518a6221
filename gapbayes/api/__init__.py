"""The Python API: ``import gapbayes as gb; fit = gb.fit(...); fit.summary()``.

The names are also reachable from the top-level package (``gb.fit``, ``gb.load``,
``gb.latest``, ``gb.compare``, ``gb.sbc``, ``gb.Fit``), which imports this package on first
use, so that ``import gapbayes`` stays cheap (PyMC, ArviZ and pandas load when a function
needs them). See docs/api.md.
"""

from gapbayes.api.calls import compare, fit, latest, load, sbc
from gapbayes.api.result import Fit
from gapbayes.api.runs import Comparison, SBCRun

__all__ = ["Comparison", "Fit", "SBCRun", "compare", "fit", "latest", "load", "sbc"]
