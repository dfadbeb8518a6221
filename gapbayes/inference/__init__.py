"""Inference: sampling a spec's model and writing the result folder.

Imports :mod:`gapbayes.model` (specs, designs, models, derived gaps) and below; imported by
reporting, validation (sbc, studies), comparison, the API and the commands:

- :mod:`~gapbayes.inference.backend_base`: the backend interface and sampler settings;
  :mod:`~gapbayes.inference.backends` (PyMC: nutpie or PyMC's NUTS) and
  :mod:`~gapbayes.inference.backend_stan` (CmdStan through cmdstanpy);
  :mod:`~gapbayes.inference.stan_install` finds or installs CmdStan;
  :mod:`~gapbayes.inference.progress_plain` prints progress into non-terminal logs;
- :mod:`~gapbayes.inference.diagnostics`: R-hat, ESS, divergences, BFMI, tree depth;
- :mod:`~gapbayes.inference.fit_tables`: the summary tables a result folder holds;
- :mod:`~gapbayes.inference.results` and :mod:`~gapbayes.inference.design_io`: result
  folders (checksummed manifest, atomic writes) and the saved design;
- :mod:`~gapbayes.inference.inputs` and :mod:`~gapbayes.inference.fit`: the tidy tables a fit
  reads, and the fit itself (design, sampling, derived gaps, diagnostics, tables, the
  figures of an injected plotter, the published folder).
"""
