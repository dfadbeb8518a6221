"""Figures and the HTML report of a fit.

Above :mod:`gapbayes.model` (they read its tables and derived quantities), below
:mod:`gapbayes.inference` (a fit draws its figures when it is written):

- :mod:`~gapbayes.reporting.plots`: the fit's figures (gap over time, by access, benchmark
  curves, posterior predictive checks) and :mod:`~gapbayes.reporting.plots_vector` (the gap
  vector, gaps by category), :mod:`~gapbayes.reporting.plots_checks` (rank plots, prior
  checks), :mod:`~gapbayes.reporting.plot_helpers` (shared drawing helpers);
- :mod:`~gapbayes.reporting.report` and :mod:`~gapbayes.reporting.report_sections`: the
  self-contained one-page HTML report.
"""
