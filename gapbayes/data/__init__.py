"""The data layer: tidy tables from the Epoch AI Benchmarking Hub dump or your own scores.

Public API::

    from gapbayes.data import load_tidy, TidyData
    tidy = load_tidy()          # data/tidy/*.csv, typed and validated
    tidy.models, tidy.benchmarks, tidy.scores, tidy.data_hash

The table contract is ``docs/data-format.md``. Modules: ``csvfile`` (CSV reading with line
numbers), ``raw`` (Epoch dump cells), ``metadata`` (benchmarks.toml), ``rules``
(model_rules.toml), ``access`` (models table), ``scores`` (scores table), ``schema`` (pandera
schemas), ``tidy`` (writing and loading), ``build``, ``importer``, ``validate``, ``info``.
"""

from gapbayes.data.tidy import TidyData, load_tidy, resolve_tidy_dir

__all__ = ["TidyData", "load_tidy", "resolve_tidy_dir"]
