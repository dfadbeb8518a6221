"""Build the models table: access label, release date, organization, country and family.

Precedence for access: the audited overrides, then Epoch's capabilities index, then the rules
of ``model_rules.toml`` (host prefix and effort suffix inherit a labelled model's access, then
the named access rules). ``access_source`` records which one decided, so nothing is silent.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from gapbayes.data.raw import IndexRow
from gapbayes.data.rules import ModelName, ModelRules

MODEL_COLUMNS = (
    "model_id",
    "base_model",
    "display_name",
    "organization",
    "country",
    "chinese",
    "release_date",
    "release_date_source",
    "access",
    "access_source",
    "family",
    "family_source",
)


@dataclass
class SeenModel:
    """What the benchmark files say about a model (used when the index is silent)."""

    dates: list[tuple[dt.date, str, int]] = field(default_factory=list)  # (date, file, line)
    organizations: Counter[str] = field(default_factory=Counter)
    countries: Counter[tuple[str, ...]] = field(default_factory=Counter)


@dataclass
class ModelsResult:
    """The models table plus what the build reports about it."""

    models: pd.DataFrame
    dropped: pd.DataFrame  # model_id, reason, source
    date_conflicts: list[str]  # one readable line per model whose dates disagree


def _most_common[T: (str, tuple[str, ...])](counts: Counter[T]) -> T:
    """Most frequent value, ties broken by sort order (deterministic)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _labelled(index: dict[str, IndexRow], overrides: dict[str, IndexRow]) -> dict[str, tuple]:
    """Map lower-cased model id -> (access or None, source) for every labelled model."""
    out: dict[str, tuple] = {}
    for m, row in index.items():
        if row.label:
            out[m.lower()] = (row.access, "index")
    for m, row in overrides.items():
        out[m.lower()] = (row.access, "override")
    return out


def _inherit(name: ModelName, rules: ModelRules, labelled: dict[str, tuple]) -> tuple | None:
    """Return (access, "rule:...") inherited from the same model under another id, or None."""
    if rules.inherit_host and name.prefix:
        hit = labelled.get(name.without_prefix.lower())
        if hit is not None:
            return hit[0], "rule:host_prefix"
    if rules.inherit_effort and name.effort:
        for target in (name.prefix + name.base, name.base):
            hit = labelled.get(target.lower())
            if hit is not None:
                return hit[0], "rule:effort_suffix"
    return None


def _release_date(
    model: str, row: IndexRow | None, seen: SeenModel | None, conflicts: list[str]
) -> tuple[dt.date | None, str]:
    """Index date, else the earliest benchmark-file date; disagreements go to ``conflicts``."""
    bench = sorted({d for d, _, _ in seen.dates}) if seen else []
    if row is not None and row.release_date is not None:
        if any(d != row.release_date for d in bench):
            conflicts.append(
                f"{model}: index {row.release_date}, benchmark files "
                + ", ".join(map(str, bench))
                + " (index used)"
            )
        return row.release_date, "index"
    if not bench:
        return None, ""
    if len(bench) > 1:
        assert seen is not None
        where = sorted({f"{f}:{line}" for d, f, line in seen.dates if d != bench[0]})
        conflicts.append(
            f"{model}: benchmark files disagree ({', '.join(map(str, bench))}; "
            f"e.g. {where[0]}); earliest used"
        )
    return bench[0], "benchmarks"


def build_models(
    index: dict[str, IndexRow],
    overrides: dict[str, IndexRow],
    seen: dict[str, SeenModel],
    rules: ModelRules,
) -> ModelsResult:
    """Return one row per model of the index, the overrides and the benchmark files.

    Parameters
    ----------
    index, overrides
        From :func:`gapbayes.data.raw.read_index` / :func:`~gapbayes.data.raw.read_overrides`.
    seen
        Model id -> what the benchmark files say (dates, organizations, countries).
    rules
        The audited model rules.

    Returns
    -------
    ModelsResult
        ``models`` sorted by ``model_id`` (columns :data:`MODEL_COLUMNS`); models whose label
        is "Unreleased" are left out and listed in ``dropped``.
    """
    labelled = _labelled(index, overrides)
    rows, dropped, conflicts = [], [], []
    for model in sorted(set(index) | set(overrides) | set(seen)):
        ix, ov, sm = index.get(model), overrides.get(model), seen.get(model)
        if ov is not None:
            access, source = ov.access, "override"
        elif ix is not None and ix.label:
            access, source = ix.access, "index"
        else:
            access, source = "unknown", "missing"
        name = rules.split(model)
        org = ix.organization if ix is not None and ix.organization else ""
        if not org and sm and sm.organizations:
            org = _most_common(sm.organizations)
        family, family_source, family_country = rules.family(org, name.base)
        if access == "unknown":
            hit = _inherit(name, rules, labelled)
            if hit is None:
                rule = rules.access_rule(name, family)
                hit = None if rule is None else (rule.access, f"rule:{rule.name}")
            if hit is not None:
                access, source = hit
        if access is None:
            dropped.append((model, "unreleased", source))
            continue
        countries = ix.countries if ix is not None and ix.countries else ()
        if not countries and sm and sm.countries:
            countries = _most_common(sm.countries)
        if not countries and family_source.startswith("rule:") and family_country:
            countries = (family_country,)
        date, date_source = _release_date(model, ix, sm, conflicts)
        rows.append(
            {
                "model_id": model,
                "base_model": name.base,
                "display_name": (ix.display_name if ix is not None else "") or model,
                "organization": org,
                "country": countries[0] if countries else "",
                "chinese": "China" in countries,
                "release_date": pd.Timestamp(date) if date else pd.NaT,
                "release_date_source": date_source,
                "access": access,
                "access_source": source,
                "family": family,
                "family_source": family_source,
            }
        )
    models = pd.DataFrame(rows, columns=list(MODEL_COLUMNS))
    models["release_date"] = pd.to_datetime(models["release_date"]).astype("datetime64[ns]")
    models["chinese"] = models["chinese"].astype(bool)
    drop = pd.DataFrame(dropped, columns=["model_id", "reason", "access_source"])
    return ModelsResult(models, drop, conflicts)
