"""``gapbayes data validate``: check existing tidy tables and the metadata, writing nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from gapbayes import paths
from gapbayes.data.cells import release_dates_problem
from gapbayes.data.metadata import benchmarks_frame, load_metadata
from gapbayes.data.schema import SPECS, check_links
from gapbayes.data.tidy import ALL_TABLES, data_hash, read_tables, resolve_tidy_dir
from gapbayes.errors import InputError


def validate(
    data_dir: Path | None = None, metadata: Path | None = None, today: dt.date | None = None
) -> str:
    """Validate the tidy tables of ``data_dir`` and, if given or present, the metadata.

    Parameters
    ----------
    data_dir
        Data folder holding ``tidy/`` (or the tidy folder itself); default ``data/``.
    metadata
        Benchmark metadata to validate and compare with ``benchmarks.csv``; default
        ``DIR/benchmarks.toml`` when that file exists.
    today
        Release dates after this day are errors, as in ``data import`` and ``data build``;
        default the current date.

    Returns
    -------
    str
        A one-line summary of what was checked.

    Raises
    ------
    InputError
        The first problem found (file, line, column).
    """
    tidy_dir = resolve_tidy_dir(data_dir)
    tables, labels, lines = read_tables(tidy_dir, ALL_TABLES)
    check_links(tables, labels, lines)
    bad_date = release_dates_problem(
        tables["models"]["release_date"], dt.date.today() if today is None else today
    )
    if bad_date is not None:  # the rule of import and build (gapbayes.data.cells)
        i, message = bad_date
        raise InputError(
            labels["models"], message, row=int(lines["models"][i]), column="release_date"
        )
    dropped = tables["dropped_models"]["model_id"]
    clash = dropped[dropped.isin(tables["models"]["model_id"])]
    if len(clash):
        i = int(clash.index[0])
        raise InputError(
            labels["dropped_models"],
            f"model {clash.iloc[0]!r} is both dropped and in models.csv",
            row=int(lines["dropped_models"][i]),
            column="model_id",
        )
    base = paths.data_dir() if data_dir is None else Path(data_dir)
    if metadata is None and (base / "benchmarks.toml").exists():
        metadata = base / "benchmarks.toml"
    checked = "tables"
    if metadata is not None:
        _compare(
            benchmarks_frame(load_metadata(metadata, imported=True)),
            tables["benchmarks"],
            labels["benchmarks"],
            lines["benchmarks"],
            Path(metadata),
        )
        checked = f"tables and {metadata}"
    n = {k: len(v) for k, v in tables.items()}
    return (
        f"valid: {checked} ({n['models']} models, {n['benchmarks']} benchmarks, "
        f"{n['scores']} scores; data hash {data_hash(tidy_dir)})"
    )


def _compare(
    expected: pd.DataFrame, actual: pd.DataFrame, label: str, lines: np.ndarray, metadata: Path
) -> None:
    """Raise when ``benchmarks.csv`` is not what ``metadata`` would build (stale tables)."""
    hint = f"does not match {metadata}; rebuild with `gapbayes data build`"
    exp = expected.set_index("benchmark_id")
    for i, bid in enumerate(actual["benchmark_id"]):
        if bid not in exp.index:
            raise InputError(
                label,
                f"benchmark {bid!r} is not in the metadata: table {hint}",
                row=int(lines[i]),
                column="benchmark_id",
            )
        for col in SPECS["benchmarks"].columns:
            if col == "benchmark_id":
                continue
            a, b = actual.at[i, col], exp.at[bid, col]
            if not ((pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)):
                raise InputError(
                    label,
                    f"{col} is {a} but the metadata says {b}: table {hint}",
                    row=int(lines[i]),
                    column=col,
                )
    missing = sorted(set(exp.index) - set(actual["benchmark_id"]))
    if missing:
        raise InputError(
            label, f"benchmark {missing[0]!r} of the metadata is missing: table {hint}"
        )
