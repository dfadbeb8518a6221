"""Simulation-based calibration (Talts et al. 2018; Modrak et al. 2023).

Modules:

- :mod:`~gapbayes.sbc.backends`: the tiny fit interface ``prepare(design, spec)`` (compile
  once) and ``fit(y_data, seed) -> FitDraws``; nutpie (PyMC), Stan and mock implementations.
- :mod:`~gapbayes.sbc.simulate`: parameters and data drawn from the prior predictive.
- :mod:`~gapbayes.sbc.ranks`: monitored quantities, the joint log-likelihood test quantity,
  ranks and per-simulation convergence checks.
- :mod:`~gapbayes.sbc.runner`: N simulations, serial, across local processes or on a Dask
  cluster; resumable (one JSON file per finished simulation).
- :mod:`~gapbayes.sbc.report`: ranks table, uniformity tests, ECDF-difference plots, verdict.

``broken.toml`` is a deliberately wrong simulator spec (public_offset prior mean shifted by
three prior sds) that SBC must reject.
"""
