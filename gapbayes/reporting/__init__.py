"""Figures and the HTML report of a fit.

Imports :mod:`gapbayes.inference` (result folders, tables, diagnostics) and below; a fit
draws its figures through the plotter the caller passes (:func:`plots.fit_plotter`), so
inference never imports this package:

- :mod:`~gapbayes.reporting.plots`: the fit's figures (gap over time, by access, benchmark
  curves, posterior predictive checks), :mod:`~gapbayes.reporting.plots_vector` (the gap
  vector, gaps by category), :mod:`~gapbayes.reporting.plots_checks` (rank plots, prior
  checks), :mod:`~gapbayes.reporting.plot_helpers` (shared drawing helpers);
- :mod:`~gapbayes.reporting.report` and :mod:`~gapbayes.reporting.report_sections`: the
  self-contained one-page HTML report.
"""
