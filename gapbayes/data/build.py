"""``gapbayes data build``: the Epoch dump + audited metadata and rules -> the tidy tables.

Everything is read and validated before anything is written; the tables are then written
together (all or nothing) and are byte-identical for identical inputs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gapbayes import paths
from gapbayes.data.access import build_models
from gapbayes.data.metadata import benchmarks_frame, load_metadata
from gapbayes.data.raw import INDEX_FILE, OVERRIDES_FILE, find_dump, read_index, read_overrides
from gapbayes.data.rules import load_rules
from gapbayes.data.scores import assemble_scores, read_benchmark
from gapbayes.data.tidy import write_tables
from gapbayes.errors import InputError


@dataclass
class BuildReport:
    """What a build did, for the user and for tests."""

    tidy_dir: Path
    dump: Path
    tables: dict[str, pd.DataFrame]
    excluded_benchmarks: list[str] = field(default_factory=list)
    date_conflicts: list[str] = field(default_factory=list)
    unused_duplicate_rules: list[tuple[str, str]] = field(default_factory=list)

    def rule_counts(self) -> pd.DataFrame:
        """Models and score rows per ``access_source`` (index, override, rule:<name>, missing)."""
        models, scores = self.tables["models"], self.tables["scores"]
        n_models = models["access_source"].value_counts()
        src = scores["model_id"].map(models.set_index("model_id")["access_source"])
        n_rows = src.value_counts()
        out = pd.DataFrame({"models": n_models, "score_rows": n_rows}).fillna(0).astype(int)
        return out.sort_index()

    def lines(self) -> list[str]:
        """Return the human-readable summary printed by ``gapbayes data build``."""
        t = self.tables
        access = Counter(t["models"]["access"])
        out = [
            f"read {self.dump}",
            f"wrote {self.tidy_dir}: {len(t['models'])} models "
            f"({access['open']} open, {access['closed']} closed, {access['unknown']} unknown), "
            f"{len(t['benchmarks'])} benchmarks, {len(t['scores'])} scores",
            f"dropped {len(t['dropped_models'])} unreleased models",
        ]
        if self.excluded_benchmarks:
            out.append("excluded benchmarks (metadata): " + ", ".join(self.excluded_benchmarks))
        out.append("access decided by (models / score rows):")
        for name, row in self.rule_counts().iterrows():
            out.append(f"  {name:<28} {row['models']:>5} {row['score_rows']:>7}")
        un = t["unclassified"].groupby("reason")["rows"].sum()
        out.append(
            "unclassified score rows: " + (", ".join(f"{k} {v}" for k, v in un.items()) or "none")
        )
        for key in self.unused_duplicate_rules:
            out.append(f"warning: [[duplicate]] rule for {key} matched no conflict")
        out.append(f"release-date conflicts: {len(self.date_conflicts)}")
        out.extend(f"  {c}" for c in self.date_conflicts)
        return out


def build(
    raw: Path | None = None,
    metadata: Path | None = None,
    rules: Path | None = None,
    out: Path | None = None,
    today: dt.date | None = None,
) -> BuildReport:
    """Build the tidy tables from the raw Epoch dump.

    Parameters
    ----------
    raw
        Folder holding the dump folder (``epoch-benchmark-hub-*``) and
        ``accessibility-overrides.csv``; default ``data/raw``.
    metadata
        Benchmark metadata TOML; default ``data/benchmarks.toml``.
    rules
        Model rules TOML; default ``data/model_rules.toml``.
    out
        Data folder; the tables go to ``OUT/tidy/``. Default: the data folder in a checkout
        (or ``GAPBAYES_DATA``); from an installed wheel ``./data`` in the current folder, so
        that a build never writes into site-packages.
    today
        Dates after this day are errors; default the current date.

    Returns
    -------
    BuildReport
        The written tables and the counts the command prints.

    Raises
    ------
    InputError
        Any bad input; nothing is written then.
    """
    base = paths.data_dir()
    raw = base / "raw" if raw is None else Path(raw)
    metadata = base / "benchmarks.toml" if metadata is None else Path(metadata)
    rules_path = base / "model_rules.toml" if rules is None else Path(rules)
    if out is None:
        out = base if paths.in_checkout() or "GAPBAYES_DATA" in os.environ else Path("data")
    tidy_dir = paths.tidy_dir(Path(out))
    today = dt.date.today() if today is None else today
    if not raw.is_dir():
        raise InputError(str(raw), "raw data folder not found (pass --raw)")
    model_rules = load_rules(rules_path)
    metas = load_metadata(metadata)
    dump = find_dump(raw)
    index = read_index(dump / INDEX_FILE, today)
    overrides_path = raw / OVERRIDES_FILE
    if not overrides_path.exists() and (dump.parent / OVERRIDES_FILE).exists():
        overrides_path = dump.parent / OVERRIDES_FILE
    overrides = read_overrides(overrides_path)
    seen: dict = {}
    raws = [read_benchmark(m, dump, today, seen) for m in metas if not m.exclude]
    models = build_models(index, overrides, seen, model_rules)
    scores = assemble_scores(raws, models.models, set(models.dropped["model_id"]), model_rules)
    tables = {
        "models": models.models,
        "benchmarks": benchmarks_frame(metas),
        "scores": scores.scores,
        "unclassified": scores.unclassified,
        "dropped_models": models.dropped,
    }
    write_tables(tidy_dir, tables)
    unused = sorted(set(model_rules.duplicates) - scores.used_duplicate_rules)
    return BuildReport(
        tidy_dir,
        dump,
        tables,
        [m.benchmark_id for m in metas if m.exclude],
        models.date_conflicts,
        unused,
    )
