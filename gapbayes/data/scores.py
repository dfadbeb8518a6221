"""Read the per-benchmark Epoch files into score rows, and assemble the scores table.

Each raw row is validated in full (score on its scale, stderr >= 0, CI, release date) even when
it cannot be used, so a bad file is reported whatever its rows are about. Rows are then
classified: rows without a model, without a score, or of an unreleased model stay out of
``scores.csv``; the rest go in, and rows whose model lacks an access label or a release date
are counted in ``unclassified.csv`` too.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gapbayes.data.access import SeenModel
from gapbayes.data.csvfile import CsvTable, read_csv, squash
from gapbayes.data.metadata import BenchmarkMeta
from gapbayes.data.raw import (
    COUNTRY,
    MODEL,
    ORG,
    RELEASE,
    listed,
    model_id,
    parse_date,
    parse_float,
)
from gapbayes.data.rules import ModelRules
from gapbayes.errors import InputError

SCORE_COLUMNS = (
    "benchmark_id",
    "model_id",
    "score",
    "stderr",
    "ci_low",
    "ci_high",
    "setting",
    "source",
    "self_reported",
    "third_party_host",
    "raw_row",
)
#: Columns of one benchmark file's rows (:class:`RawRows`): those of scores.csv but the
#: benchmark id and the two flags, which are added when the files are joined.
RAW_COLUMNS = [
    c for c in SCORE_COLUMNS if c not in ("benchmark_id", "self_reported", "third_party_host")
]
KEY = ["benchmark_id", "model_id", "setting", "source"]
#: Reasons a raw row is NOT in scores.csv (counted in unclassified.csv).
LEFT_OUT = ("blank_model", "missing_score", "unreleased", "exact_duplicate", "conflict_resolved")
#: Reasons a row IS in scores.csv but cannot be used yet (also counted).
UNUSABLE = ("unknown_access", "no_release_date")
REASONS = LEFT_OUT + UNUSABLE
#: Columns that mark Epoch's own evaluation runs (no Source column there).
EPOCH_RUN_COLUMNS = {"mean_score", "stderr", "Log viewer"}
EPOCH_SOURCE = "Epoch AI"


@dataclass
class RawRows:
    """Validated rows of one benchmark file."""

    meta: BenchmarkMeta
    label: str  # the file as named in errors
    frame: pd.DataFrame  # model_id ("" if blank), score, stderr, ci_*, setting, source, raw_row


def read_benchmark(
    meta: BenchmarkMeta, dump: Path, today: dt.date, seen: dict[str, SeenModel]
) -> RawRows:
    """Read and validate the raw file of ``meta``; record model facts in ``seen``.

    Raises
    ------
    InputError
        Missing column, unparseable or out-of-scale score, negative stderr, bad CI, bad or
        future release date (and every error of :func:`gapbayes.data.csvfile.read_csv`).
    """
    table = read_csv(dump / meta.file)
    why = f"named in the metadata of '{meta.benchmark_id}'"
    table.require(
        [
            MODEL,
            meta.score_column,
            meta.stderr_column,
            meta.ci_low_column,
            meta.ci_high_column,
            *meta.setting_columns,
        ],
        why,
    )
    f = table.frame
    epoch_run = EPOCH_RUN_COLUMNS <= set(table.columns)
    scale = f"{meta.scale} scale [{meta.scale_min:g}, {meta.scale_max:g}] of '{meta.benchmark_id}'"
    rows = []
    for i in range(len(table)):
        model = model_id(table, i, MODEL)
        score = parse_float(table, i, meta.score_column, what="score")
        if not math.isnan(score) and not meta.scale_min <= score <= meta.scale_max:
            raise table.error(
                i,
                meta.score_column,
                f"score {score:g} is outside the {scale}; fix the row or the scale in the metadata",
            )
        stderr = _optional(table, i, meta.stderr_column, "stderr")
        if stderr < 0:
            raise table.error(i, meta.stderr_column, f"stderr {stderr:g} is negative")
        lo = _optional(table, i, meta.ci_low_column, "CI bound")
        hi = _optional(table, i, meta.ci_high_column, "CI bound")
        if lo > hi:
            raise table.error(i, meta.ci_low_column, f"CI low {lo:g} exceeds CI high {hi:g}")
        date = parse_date(table, i, RELEASE, today) if RELEASE in table.columns else None
        if model:
            _remember(seen.setdefault(model, SeenModel()), f, i, date, table.label, table.line(i))
        rows.append(
            (
                model,
                score,
                stderr,
                lo,
                hi,
                _setting(f, i, meta.setting_columns),
                EPOCH_SOURCE if epoch_run else squash(_cell(f, i, "Source")),
                table.line(i),
            )
        )
    frame = pd.DataFrame(rows, columns=RAW_COLUMNS)
    return RawRows(meta, table.label, frame)


def _optional(table: CsvTable, i: int, column: str, what: str) -> float:
    """Parse an optional numeric column; NaN when the column is not configured or blank."""
    return parse_float(table, i, column, what=what) if column else math.nan


def _cell(frame: pd.DataFrame, i: int, column: str) -> str:
    return frame.at[i, column] if column in frame.columns else ""


def _setting(frame: pd.DataFrame, i: int, columns: tuple[str, ...]) -> str:
    """Join the non-empty setting cells as ``col=value; col=value``."""
    parts = [(c, squash(frame.at[i, c])) for c in columns]
    return "; ".join(f"{c}={v}" for c, v in parts if v)


def _remember(
    sm: SeenModel, frame: pd.DataFrame, i: int, date: dt.date | None, label: str, line: int
) -> None:
    if date is not None:
        sm.dates.append((date, label, line))
    org = _cell(frame, i, ORG).split(",")[0].strip()
    if org:
        sm.organizations[org] += 1
    countries = tuple(listed(_cell(frame, i, COUNTRY)))
    if countries:
        sm.countries[countries] += 1


def typed_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with the scores columns in order, typed, sorted by key."""
    kinds = {
        "score": float,
        "stderr": float,
        "ci_low": float,
        "ci_high": float,
        "self_reported": bool,
        "third_party_host": bool,
        "raw_row": "int64",
    }
    out = frame.loc[:, list(SCORE_COLUMNS)].astype({c: kinds.get(c, "str") for c in SCORE_COLUMNS})
    return out.sort_values(KEY, ignore_index=True)


@dataclass
class ScoresResult:
    """The scores table plus per-benchmark counts of rows left out or unclassified."""

    scores: pd.DataFrame
    unclassified: pd.DataFrame  # benchmark_id, reason, rows
    used_duplicate_rules: set[tuple[str, str]]


def assemble_scores(
    raws: list[RawRows], models: pd.DataFrame, dropped: set[str], rules: ModelRules
) -> ScoresResult:
    """Classify raw rows, resolve duplicates and build ``scores.csv``'s table.

    Every raw row ends up either in the scores table or counted under one of
    :data:`LEFT_OUT`; rows in the table whose model lacks an access label or a release date
    are also counted (``unknown_access``, ``no_release_date``).

    Raises
    ------
    InputError
        Two rows with the same (benchmark, model, setting, source) but different values, and
        no ``[[duplicate]]`` rule in the model rules resolving them.
    """
    info = models.set_index("model_id")
    parts, counts, used = [], [], set()
    for raw in raws:
        f = raw.frame.copy()
        f.insert(0, "benchmark_id", raw.meta.benchmark_id)
        reason = pd.Series("", index=f.index, dtype="str")
        for name, hit in (
            ("blank_model", f["model_id"] == ""),
            ("missing_score", f["score"].isna()),
            ("unreleased", f["model_id"].isin(dropped)),
        ):
            reason = reason.mask((reason == "") & hit, name)
        keep, dup_reasons, rule_keys = _dedupe(f[reason == ""], raw, rules)
        used |= rule_keys
        reason.update(dup_reasons)
        access = keep["model_id"].map(info["access"])
        date = keep["model_id"].map(info["release_date"])
        reason.loc[keep.index[(access == "unknown").to_numpy()]] = "unknown_access"
        late = keep.index[((access != "unknown") & date.isna()).to_numpy()]
        reason.loc[late] = "no_release_date"
        for name in REASONS:
            if (n := int((reason == name).sum())) > 0:
                counts.append((raw.meta.benchmark_id, name, n))
        parts.append(keep)
    scores = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            columns=[c for c in SCORE_COLUMNS if not c.endswith(("_reported", "_host"))]
        )
    )
    family = scores["model_id"].map(info["family"])
    scores["self_reported"] = [
        rules.self_reported(s, fam) for s, fam in zip(scores["source"], family, strict=True)
    ]
    scores["third_party_host"] = [rules.split(m).third_party for m in scores["model_id"]]
    scores = typed_scores(scores)
    unclassified = pd.DataFrame(counts, columns=["benchmark_id", "reason", "rows"])
    unclassified = unclassified.sort_values(["benchmark_id", "reason"], ignore_index=True)
    return ScoresResult(scores, unclassified, used)


def _dedupe(
    frame: pd.DataFrame, raw: RawRows, rules: ModelRules
) -> tuple[pd.DataFrame, pd.Series, set[tuple[str, str]]]:
    """Collapse exact duplicates of the key; resolve conflicting ones by rule or raise.

    Returns the kept rows, the reason of each removed row (index -> reason) and the
    duplicate rules that were used.
    """
    removed = pd.Series(dtype="str")
    dup = frame.duplicated(KEY, keep=False)
    if not dup.any():
        return frame, removed, set()
    used = set()
    for key, group in frame[dup].sort_values("raw_row").groupby(KEY, sort=True):
        values = group[VALUES].to_numpy(float)
        if all(_same_row(values[0], v) for v in values[1:]):
            removed = _add(removed, group.index[1:], "exact_duplicate")
            continue
        rule_key = (Path(raw.meta.file).name, key[1])
        if rule_key not in rules.duplicates:
            raise _conflict(raw, group)
        used.add(rule_key)
        target = rules.duplicates[rule_key]
        hit = (
            group.index[np.isclose(group["score"], target, rtol=0, atol=1e-12)]
            if target is not None
            else group.index[:0]
        )
        if target is not None and len(hit) == 0:
            raise InputError(
                rules.path,
                f"[[duplicate]] rule for {rule_key} keeps score "
                f"{target:g}, but the rows score " + ", ".join(f"{v:g}" for v in group["score"]),
                column="keep_score",
            )
        survivors = group.loc[hit]
        if len(survivors) and not all(
            _same_row(survivors[VALUES].to_numpy(float)[0], v)
            for v in survivors[VALUES].to_numpy(float)
        ):
            raise _conflict(raw, survivors)
        removed = _add(removed, group.index.difference(hit[:1]), "conflict_resolved")
    return frame.drop(index=removed.index), removed, used


VALUES = ["score", "stderr", "ci_low", "ci_high"]


def _add(series: pd.Series, index: pd.Index, reason: str) -> pd.Series:
    extra = pd.Series(reason, index=index, dtype="str")
    return extra if series.empty else pd.concat([series, extra])


def _conflict(raw: RawRows, group: pd.DataFrame) -> InputError:
    """Return the error for two rows of one key with different values."""
    first, second = group.iloc[0], group.iloc[1]
    what = next(v for v in VALUES if not _same(first[v], second[v]))
    column = {
        "score": raw.meta.score_column,
        "stderr": raw.meta.stderr_column,
        "ci_low": raw.meta.ci_low_column,
        "ci_high": raw.meta.ci_high_column,
    }[what]
    return InputError(
        raw.label,
        f"duplicate of line {first['raw_row']} (model "
        f"{first['model_id']!r}, setting {first['setting']!r}, source "
        f"{first['source']!r}) with a different {what} ({first[what]:g} vs "
        f"{second[what]:g}); add the distinguishing column to setting_columns in "
        "the metadata, or resolve it with a [[duplicate]] rule in the model rules",
        row=int(second["raw_row"]),
        column=column,
    )


def _same_row(a: np.ndarray, b: np.ndarray) -> bool:
    return all(_same(x, y) for x, y in zip(a, b, strict=True))


def _same(a: float, b: float) -> bool:
    return bool((np.isnan(a) and np.isnan(b)) or a == b)
