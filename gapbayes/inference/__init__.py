"""Fitting a spec to data: inputs, the fit's orchestration and its result folder.

Above :mod:`gapbayes.model` (designs, models, backends, derived gaps, diagnostics) and
:mod:`gapbayes.reporting` (the figures a fit draws), below the studies, comparison and the
command line:

- :mod:`~gapbayes.inference.inputs`: the tidy tables a fit reads and their identity (hash);
- :mod:`~gapbayes.inference.fit`: build the design, sample, derive the gaps, run the
  diagnostics, write the result folder atomically with its manifest.
"""
