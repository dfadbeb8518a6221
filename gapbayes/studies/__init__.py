"""Validation studies: simulated worlds with a known gap, and held-out checks on real data.

- :mod:`gapbayes.studies.simstudy`: the replication engine of the simulation studies
  (``winners-curse`` and ``provider-degradation``): simulate, run the baseline and the model,
  score estimates against the truth;
- :mod:`gapbayes.studies.heldout`: K-fold and leave-future-out predictive checks on the real
  scores, with a simple IRT model (:mod:`gapbayes.studies.irt`) as reference;
- :mod:`gapbayes.studies.common`: lean sampling, resumable parallel execution, output helpers.

Each study writes ``results/studies/<study>-<id>/`` atomically; finished replications (or
fits) are kept as one JSON file each under ``results/studies/.work/<study>-<id>/``, so an
interrupted study resumes where it stopped.
"""
