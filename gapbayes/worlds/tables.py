"""A world's tidy tables (the schema gapbayes reads) and its truth.

Tables are typed by the data layer's own round trip (format as CSV, parse, validate with
:func:`gapbayes.data.schema.check_table`), so a world's frames are exactly what
:func:`gapbayes.data.load_tidy` would return for the same files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.data.csvfile import parse_csv
from gapbayes.data.schema import check_links, check_table
from gapbayes.data.tidy import format_table, parse_table, write_tables
from gapbayes.worlds.config import WorldConfig, years


@dataclass(frozen=True)
class WorldTruth:
    """What generated a world.

    Attributes
    ----------
    gap
        Monthly ``date, t, closed_frontier, open_frontier, gap_months`` (backward gap D(t),
        defined in :mod:`gapbayes.worlds.curves`).
    terms
        Bias terms in points (host cost, per-host costs, self-report inflation, tuning boost,
        contamination at full exposure and its ramp in years),
        the target, expected and realised closed:open evaluation ratios and the evaluated
        pair counts.
    runs
        One row per score: its base model, expected score without effects (``p_clean``),
        the effects (proportion scale), the expected score (``p_expected``) and the observed
        one (``observed``, proportion scale).
    bases
        One row per base model: lab, access, release time, trajectory, ability, shortfall,
        small and tuned flags.
    labs, benchmarks
        The labs (lags and drifts) and the benchmarks (curves and eras).
    """

    gap: pd.DataFrame
    terms: dict[str, Any]
    runs: pd.DataFrame
    bases: pd.DataFrame
    labs: list
    benchmarks: list

    def gap_at(self, dates: list[str] | pd.DatetimeIndex) -> np.ndarray:
        """Return the true backward gap (months) at ``dates``, interpolated between months."""
        t = years(pd.DatetimeIndex(pd.to_datetime(dates)))
        return np.interp(t, self.gap["t"].to_numpy(), self.gap["gap_months"].to_numpy())


@dataclass(frozen=True)
class World:
    """A generated world: tidy tables, truth, config and seed."""

    models: pd.DataFrame
    benchmarks: pd.DataFrame
    scores: pd.DataFrame
    truth: WorldTruth
    config: WorldConfig
    seed: int

    def scores_with_models(self) -> pd.DataFrame:
        """Scores joined to release date, access and the Chinese flag (the baseline's input)."""
        cols = ["model_id", "release_date", "access", "chinese"]
        return self.scores.merge(self.models[cols], on="model_id", how="left")


def typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Type and validate ``frame`` as tidy table ``name`` through the CSV round trip."""
    label = f"world {name}.csv"
    raw = parse_csv(format_table(name, frame), label)
    out = parse_table(name, raw)
    check_table(name, out, label, raw.lines)
    return out


def models_frame(bases: pd.DataFrame, hosted: pd.DataFrame) -> pd.DataFrame:
    """Models table: every base model (evaluated or not) and every host-served variant."""
    rows = []
    info = bases.set_index("model_id")
    for m, r in info.iterrows():
        rows.append(_model_row(m, m, r))
    for m, base in zip(hosted["model_id"], hosted["base_model"], strict=True):
        rows.append(_model_row(m, base, info.loc[base]))
    return pd.DataFrame(rows)


def _model_row(model_id: str, base: str, r: pd.Series) -> dict[str, Any]:
    return {"model_id": model_id, "base_model": base, "display_name": model_id,
            "organization": r["lab"], "country": "China" if r["chinese"] else "",
            "chinese": bool(r["chinese"]), "release_date": r["release_date"],
            "release_date_source": "import", "access": r["access"], "access_source": "import",
            "family": r["lab"], "family_source": "import"}


def validate_world(world: World) -> None:
    """Check each table against its schema and the links between them (InputError if not)."""
    tables = {"models": world.models, "benchmarks": world.benchmarks, "scores": world.scores}
    labels = {k: f"world {k}.csv" for k in tables}
    for name, frame in tables.items():
        check_table(name, frame, labels[name])
    check_links(tables, labels)


def write_world(world: World, folder: Path) -> Path:
    """Write ``folder/tidy/*.csv`` (loadable by ``load_tidy``) and ``folder/truth/``."""
    tidy = Path(folder) / "tidy"
    tidy.mkdir(parents=True, exist_ok=True)
    empty_unclassified = pd.DataFrame({"benchmark_id": pd.Series([], dtype=str),
                                       "reason": pd.Series([], dtype=str),
                                       "rows": pd.Series([], dtype="int64")})
    empty_dropped = pd.DataFrame({c: pd.Series([], dtype=str)
                                  for c in ("model_id", "reason", "access_source")})
    write_tables(tidy, {"models": world.models, "benchmarks": world.benchmarks,
                        "scores": world.scores, "unclassified": empty_unclassified,
                        "dropped_models": empty_dropped})
    truth = Path(folder) / "truth"
    truth.mkdir(exist_ok=True)
    world.truth.gap.to_csv(truth / "gap.csv", index=False, float_format="%.6g")
    world.truth.runs.to_csv(truth / "runs.csv", index=False, float_format="%.6g")
    meta = {"seed": world.seed, "config": world.config.as_dict(), "terms": world.truth.terms}
    (truth / "truth.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return Path(folder)
