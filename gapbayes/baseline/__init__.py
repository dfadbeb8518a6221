"""The published threshold-crossing baseline (Ihle 2026; docs/methods.md section 1).

:func:`run_baseline` takes a "scores with model info" frame and a benchmarks frame and returns a
:class:`BaselineResult` (datapoints, smoothed curves, summary); :func:`write_outputs` writes it.
"""

from gapbayes.baseline.run import BaselineResult, format_summary, run_baseline, write_outputs

__all__ = ["BaselineResult", "format_summary", "run_baseline", "write_outputs"]
