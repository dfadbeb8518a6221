"""Model comparison: PSIS-LOO, exact K-fold, leave-one-model-out and leave-future-out CV.

A layer above ``model`` and ``studies`` (the refits reuse the studies' resumable task runner)
and below ``commands``:

- :mod:`~gapbayes.comparison.compare`: fits on the same data compared by elpd, stacking
  weights, the gaps side by side;
- :mod:`~gapbayes.comparison.compare_table`: the comparison result and its rendering;
- :mod:`~gapbayes.comparison.kfold`: exact K-fold over (model, benchmark) score cells
  (timeshift-v1 family);
- :mod:`~gapbayes.comparison.sensitivity`: prior sensitivity (the same data under perturbed
  priors);
- :mod:`~gapbayes.comparison.crossval`: leave-one-model-out (folds of base models) and
  leave-future-out (fit up to a date, score the models released after it), exact refits,
  for every family.
"""
