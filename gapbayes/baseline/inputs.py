"""Load the tidy tables and join them into the frames the baseline consumes.

The baseline core works on plain DataFrames (see :func:`gapbayes.baseline.run.run_baseline`);
this module only turns the validated tidy tables (``gapbayes.data.load_tidy``, contract
``docs/data-format.md``) into them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MODEL_COLUMNS = ("model_id", "release_date", "access", "chinese")


def join_scores(models: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Return "scores with model info": each score with its model's date, access and country.

    Parameters
    ----------
    models
        Tidy models table (at least ``model_id, release_date, access, chinese``).
    scores
        Tidy scores table (at least ``benchmark_id, model_id, score``).

    Returns
    -------
    pandas.DataFrame
        The scores with ``release_date, access, chinese`` added. Scores of models absent from
        ``models`` get no access label and are dropped later by
        :func:`gapbayes.baseline.crossings.prepare_scores`.
    """
    info = models.loc[:, list(MODEL_COLUMNS)].drop_duplicates("model_id")
    out = scores.merge(info, on="model_id", how="left", validate="many_to_one")
    out["release_date"] = pd.to_datetime(out["release_date"])
    return out


def load_inputs(data_dir: str | Path | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Load ``data_dir``'s tidy tables as (scores with model info, benchmarks, data hash).

    ``data_dir`` is the data folder holding ``tidy/`` or the tidy folder itself (None: the
    project's ``data/``). Missing or invalid tables raise
    :class:`gapbayes.errors.InputError` from the data layer's loader.
    """
    from gapbayes.data import load_tidy

    tidy = load_tidy(None if data_dir is None else Path(data_dir))
    return join_scores(tidy.models, tidy.scores), tidy.benchmarks, tidy.data_hash
