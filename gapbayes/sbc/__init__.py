"""Simulation-based calibration (Talts et al. 2018; Modrak et al. 2023).

Modules:

- :mod:`~gapbayes.sbc.backends`: the tiny fit interface ``prepare(design, spec)`` (compile
  once) and ``fit(y_data, seed) -> FitDraws``; nutpie (PyMC), Stan and mock implementations.
- :mod:`~gapbayes.sbc.simulate`: parameters and data drawn from the prior predictive.
- :mod:`~gapbayes.sbc.ranks`: the version-1 model's monitored quantities, ranks and
  per-simulation convergence checks (R-hat <= 1.01 everywhere, no divergence: a real fit's
  rule).
- :mod:`~gapbayes.sbc.frontier_quantities`: the frontier model's monitored quantities, every
  reported one (group, category and benchmark gaps, forward gap, gap change, bias terms in
  months, hyperparameters).
- :mod:`~gapbayes.sbc.loglik`: the joint log-likelihood test quantity, compiled once.
- :mod:`~gapbayes.sbc.runner`: N simulations, serial, across local processes or on a Dask
  cluster; resumable (one JSON file per finished simulation).
- :mod:`~gapbayes.sbc.report`: ranks table, uniformity tests, ECDF-difference plots, verdict.

``broken.toml`` is a deliberately wrong simulator spec for the default model (public_shift
prior mean shifted by three prior sds) that SBC must reject; ``broken-timeshift-v1.toml`` is
its version-1 counterpart (public_offset).
"""
