"""Load ``data/model_rules.toml``: audited rules for model names, families, access, sources.

The file is reviewed like code (every rule carries a ``why``); this module validates it and
answers the questions the build asks of a model id. See the comments in the TOML file for the
meaning of each section.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gapbayes.errors import InputError, os_reason

OTHER = "other"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SECTIONS: dict[str, tuple[set[str], set[str]]] = {
    # section: (required keys, optional keys)
    "effort_suffix": ({"pattern"}, set()),
    "host_prefix": ({"prefix", "third_party", "why"}, {"host"}),
    "family": ({"family", "organizations", "why"}, {"pattern", "country"}),
    "inherit_access": (set(), {"host_prefix", "effort_suffix"}),
    "access_rule": ({"name", "access", "why"}, {"family", "pattern", "models"}),
    "self_report": ({"family", "pattern", "why"}, set()),
    "duplicate": ({"file", "model", "why"}, {"keep_score"}),
}
_ARRAYS = {"host_prefix", "family", "access_rule", "self_report", "duplicate"}


@dataclass(frozen=True)
class ModelName:
    """A model id split into host prefix, base model and reasoning-effort suffix."""

    model_id: str
    prefix: str
    third_party: bool
    base: str
    effort: str

    @property
    def without_prefix(self) -> str:
        """The id with the host prefix removed but the effort suffix kept."""
        return self.model_id[len(self.prefix) :]


@dataclass(frozen=True)
class AccessRule:
    """Label models without an Epoch label: access for models matching every condition."""

    name: str
    access: str
    family: str
    pattern: re.Pattern[str] | None
    models: frozenset[str]

    def matches(self, name: ModelName, family: str) -> bool:
        """Return True when ``name`` (of ``family``) satisfies every condition of the rule."""
        if self.family and family != self.family:
            return False
        if self.pattern is not None and not self.pattern.match(name.base):
            return False
        return not self.models or name.base in self.models or name.model_id in self.models


@dataclass(frozen=True)
class Family:
    """An organization lineage."""

    family: str
    organizations: tuple[str, ...]
    pattern: re.Pattern[str] | None
    country: str


@dataclass(frozen=True)
class ModelRules:
    """The validated content of ``model_rules.toml``."""

    path: str
    effort: re.Pattern[str] | None
    hosts: tuple[tuple[str, bool], ...]
    families: tuple[Family, ...]
    inherit_host: bool
    inherit_effort: bool
    access_rules: tuple[AccessRule, ...]
    self_reports: tuple[tuple[re.Pattern[str], str], ...]
    #: (raw file name, model id) -> score to keep among conflicting rows (None: drop them all)
    duplicates: dict[tuple[str, str], float | None]
    #: (prefix, host) for the prefixes that name the serving host (key ``host``)
    named_hosts: tuple[tuple[str, str], ...] = ()

    def host(self, model_id: str) -> str:
        """Return the serving host a prefix names (e.g. "Fireworks AI"), or "" if none."""
        for prefix, host in self.named_hosts:
            if model_id.lower().startswith(prefix.lower()):
                return host
        return ""

    def split(self, model_id: str) -> ModelName:
        """Split ``model_id`` into host prefix, base model and effort suffix."""
        prefix, third = "", False
        for host, third_party in self.hosts:
            if model_id.lower().startswith(host.lower()):
                prefix, third = model_id[: len(host)], third_party
                break
        rest = model_id[len(prefix) :]
        effort = ""
        if self.effort is not None:
            m = self.effort.search(rest)
            if m and m.start() > 0:
                effort, rest = m.group(0), rest[: m.start()]
        return ModelName(model_id, prefix, third, rest, effort)

    def family(self, organization: str, base: str) -> tuple[str, str, str]:
        """Return (family, family_source, family country) for a model.

        The organization decides when known (unlisted organizations are "other"); the base-model
        pattern is used only when no organization is known.
        """
        if organization:
            for fam in self.families:
                if organization in fam.organizations:
                    return fam.family, "organization", fam.country
            return OTHER, "organization", ""
        for fam in self.families:
            if fam.pattern is not None and fam.pattern.match(base):
                return fam.family, "rule:name_pattern", fam.country
        return OTHER, "none", ""

    def access_rule(self, name: ModelName, family: str) -> AccessRule | None:
        """Return the first access rule matching the model, or None."""
        return next((r for r in self.access_rules if r.matches(name, family)), None)

    def self_reported(self, source: str, family: str) -> bool:
        """Return True when ``source`` is a report by the model's own family."""
        return family != OTHER and any(
            fam == family and pat.match(source) for pat, fam in self.self_reports
        )


class _Locator:
    """Find the line of the n-th ``[[section]]`` (or ``[section]``) and of a key inside it."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line(self, section: str, n: int, key: str | None) -> int | None:
        head = re.compile(r"^\s*\[\[?\s*" + re.escape(section) + r"\s*\]\]?")
        starts = [i for i, s in enumerate(self.lines) if head.match(s)]
        if n >= len(starts):
            return None
        start = starts[n]
        if key is None:
            return start + 1
        pat = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for i in range(start + 1, len(self.lines)):
            if self.lines[i].lstrip().startswith("["):
                break
            if pat.match(self.lines[i]):
                return i + 1
        return start + 1

    def error(self, section: str, n: int, key: str | None, message: str) -> InputError:
        label = f"[[{section}]] #{n + 1}" if section in _ARRAYS else f"[{section}]"
        return InputError(
            self.path, f"{label}: {message}", row=self.line(section, n, key), column=key
        )


def load_rules(path: str | Path) -> ModelRules:
    """Load and validate ``model_rules.toml``.

    Raises
    ------
    InputError
        Unknown section or key, missing key, wrong type, invalid regular expression, an
        organization in two families, or a rule naming an unknown family.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except FileNotFoundError:
        raise InputError(str(path), "model rules file not found (pass --rules)") from None
    except OSError as exc:
        raise InputError(str(path), os_reason(exc)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(str(path), f"not a valid UTF-8 TOML file: {exc}") from None
    loc = _Locator(str(path), text)
    sections: dict[str, list[dict[str, Any]]] = {}
    for section, value in doc.items():
        if section not in _SECTIONS:
            raise InputError(
                str(path),
                f"unknown section [{section}]; allowed: " + ", ".join(_SECTIONS),
                row=loc.line(section, 0, None),
            )
        tables = value if section in _ARRAYS else [value]
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise loc.error(
                section,
                0,
                None,
                "must be a table" + (" array ([[...]])" if section in _ARRAYS else ""),
            )
        required, optional = _SECTIONS[section]
        for n, table in enumerate(tables):
            for key in table:
                if key not in required | optional:
                    raise loc.error(section, n, key, f"unknown key {key!r}")
            for key in sorted(required - set(table)):
                raise loc.error(section, n, key, f"missing key {key!r}")
            for key, val in table.items():
                _check_type(loc, section, n, key, val)
        sections[section] = tables
    return _assemble(loc, sections)


def _check_type(loc: _Locator, section: str, n: int, key: str, value: Any) -> None:
    if key in ("third_party", "host_prefix", "effort_suffix"):
        ok = isinstance(value, bool)
        what = "true or false"
    elif key == "keep_score":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        what = "a number"
    elif key in ("organizations", "models"):
        ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        what = "a list of strings"
    else:
        ok = isinstance(value, str) and bool(value.strip())
        what = "a non-empty string"
    if not ok:
        raise loc.error(section, n, key, f"{key} must be {what}, got {value!r}")


def _regex(loc: _Locator, section: str, n: int, text: str) -> re.Pattern[str]:
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise loc.error(section, n, "pattern", f"invalid regular expression: {exc}") from None


def _assemble(loc: _Locator, s: dict[str, list[dict[str, Any]]]) -> ModelRules:
    effort = s.get("effort_suffix", [{}])[0].get("pattern")
    families, owner = [], {}
    for n, t in enumerate(s.get("family", [])):
        for org in t["organizations"]:
            if org in owner:
                raise loc.error(
                    "family",
                    n,
                    "organizations",
                    f"organization {org!r} already belongs to {owner[org]!r}",
                )
            owner[org] = t["family"]
        pat = _regex(loc, "family", n, t["pattern"]) if "pattern" in t else None
        families.append(Family(t["family"], tuple(t["organizations"]), pat, t.get("country", "")))
    known = {f.family for f in families}
    rules, names = [], set()
    for n, t in enumerate(s.get("access_rule", [])):
        if not _NAME.match(t["name"]) or t["name"] in names:
            raise loc.error("access_rule", n, "name", "name must be unique snake_case")
        names.add(t["name"])
        if t["access"] not in ("open", "closed"):
            raise loc.error("access_rule", n, "access", "access must be 'open' or 'closed'")
        if t.get("family", "") and t["family"] not in known:
            raise loc.error("access_rule", n, "family", f"unknown family {t['family']!r}")
        if not ({"family", "pattern", "models"} & set(t)):
            raise loc.error("access_rule", n, None, "give family, pattern or models")
        pat = _regex(loc, "access_rule", n, t["pattern"]) if "pattern" in t else None
        rules.append(
            AccessRule(
                t["name"], t["access"], t.get("family", ""), pat, frozenset(t.get("models", []))
            )
        )
    reports = []
    for n, t in enumerate(s.get("self_report", [])):
        if t["family"] not in known:
            raise loc.error("self_report", n, "family", f"unknown family {t['family']!r}")
        reports.append((_regex(loc, "self_report", n, t["pattern"]), t["family"]))
    duplicates: dict[tuple[str, str], float | None] = {}
    for n, t in enumerate(s.get("duplicate", [])):
        key = (t["file"], t["model"])
        if key in duplicates:
            raise loc.error("duplicate", n, "model", f"second rule for {key}")
        duplicates[key] = float(t["keep_score"]) if "keep_score" in t else None
    inherit = s.get("inherit_access", [{}])[0]
    return ModelRules(
        path=loc.path,
        effort=_regex(loc, "effort_suffix", 0, effort) if effort else None,
        hosts=tuple((t["prefix"], t["third_party"]) for t in s.get("host_prefix", [])),
        families=tuple(families),
        inherit_host=inherit.get("host_prefix", False),
        inherit_effort=inherit.get("effort_suffix", False),
        access_rules=tuple(rules),
        self_reports=tuple(reports),
        duplicates=duplicates,
        named_hosts=tuple((t["prefix"], str(t["host"])) for t in s.get("host_prefix", [])
                          if "host" in t),
    )
