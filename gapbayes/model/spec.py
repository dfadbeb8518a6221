"""Model specifications: plain TOML data (switches and priors) with a short content-hash id.

A spec file may say ``extends = "default"``; it is then merged key by key over that spec.
Unknown sections or keys are errors, so a typo in a prior name never passes silently.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from gapbayes import __version__
from gapbayes.errors import SpecError, os_reason
from gapbayes.model.spec_check import check_sections, unknown_key

SECTIONS = ("data", "time", "switches", "priors", "sampler")
TOP_KEYS = {"name", "description", "extends", "model", *SECTIONS}
# Model families and the shipped spec that defines every key a spec of that family may set.
FAMILIES = {"frontier": "default", "timeshift-v1": "timeshift-v1"}


def shipped_spec_names() -> list[str]:
    """Return the names of the specs shipped in ``gapbayes/specs``."""
    files = resources.files("gapbayes.specs").iterdir()
    return sorted(p.name.removesuffix(".toml") for p in files if p.name.endswith(".toml"))


def _read_toml(source: str | Path) -> tuple[dict[str, Any], str]:
    path = Path(source)
    if path.suffix == ".toml":
        label = str(path)
        if not path.exists() and not path.is_symlink():
            raise SpecError(f"{label}: no such spec file")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise SpecError(f"{label}: not a UTF-8 text file") from None
        except OSError as exc:
            raise SpecError(f"{label}: cannot read the spec file: {os_reason(exc)}") from None
    else:
        name = str(source)
        ref = resources.files("gapbayes.specs").joinpath(f"{name}.toml")
        if not ref.is_file():
            raise SpecError(
                f"unknown spec '{name}': expected one of {', '.join(shipped_spec_names())} "
                "or a path to a .toml file"
            )
        text, label = ref.read_text(encoding="utf-8"), f"gapbayes/specs/{name}.toml"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{label}: not valid TOML: {exc}") from exc
    if not raw:
        raise SpecError(f"{label}: the spec file is empty (start it with extends = \"default\" "
                        "and set the keys you want to change)")
    return raw, label


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve(source: str | Path, depth: int = 0) -> tuple[dict[str, Any], str]:
    if depth > 5:
        raise SpecError(f"spec '{source}': 'extends' chain is too deep (a cycle?)")
    raw, label = _read_toml(source)
    for key, value in raw.items():
        if key not in TOP_KEYS:
            raise unknown_key(label, key, "the top level", TOP_KEYS)
        if key not in SECTIONS and not isinstance(value, str):
            raise SpecError(f"{label}: {key} must be a string, got {value!r}")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw, label
    base, _ = _resolve(parent, depth + 1)
    base.pop("name", None)
    base.pop("description", None)
    return _merge(base, raw), label


def _check_against_default(values: dict[str, Any], label: str) -> None:
    family = values.get("model", "frontier")
    if family not in FAMILIES:
        raise SpecError(f"{label}: unknown model '{family}'; known: {', '.join(FAMILIES)}")
    root = FAMILIES[family]
    default, _ = (_resolve(root) if label != f"gapbayes/specs/{root}.toml" else (values, ""))
    check_sections(values, default, label, SECTIONS, root)
    if values["data"]["benchmarks"] not in ("published", "all"):
        raise SpecError(f"{label}: [data] benchmarks must be 'published' or 'all'")


@dataclass(frozen=True)
class Spec:
    """A resolved model specification.

    Attributes
    ----------
    name
        Short name (``default``, ``published``, ``timeshift-v1``...).
    description
        One line saying what the spec is for.
    model
        Model family: ``frontier`` (model v2, the default) or ``timeshift-v1``.
    data, time, switches, priors, sampler
        The resolved sections (``extends`` already merged).
    source
        Where the spec was read from.
    """

    name: str
    description: str
    model: str
    data: dict[str, Any]
    time: dict[str, Any]
    switches: dict[str, Any]
    priors: dict[str, dict[str, float]]
    sampler: dict[str, Any]
    source: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the spec as plain data (what the manifest stores)."""
        return {
            "name": self.name,
            "description": self.description,
            "model": self.model,
            **{s: copy.deepcopy(getattr(self, s)) for s in SECTIONS},
        }

    @property
    def spec_id(self) -> str:
        """First 8 hex digits of sha256 over the model-defining content and the version.

        Sampler settings are left out: they change how a posterior is computed, not which
        posterior, and they are recorded in the manifest and the fit cache key instead.
        """
        content = {s: getattr(self, s) for s in ("data", "time", "switches", "priors")}
        content["model"] = self.model
        blob = json.dumps({"spec": content, "version": __version__}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]

    def prior(self, name: str) -> dict[str, float]:
        """Return the ``mu``/``sigma`` table of one prior."""
        return self.priors[name]

    def with_changes(self, **sections: dict[str, Any]) -> Spec:
        """Return a copy with some section keys replaced (used by studies and tests)."""
        values = self.as_dict()
        for section, changes in sections.items():
            values[section] = _merge(values[section], changes)
        _check_against_default(values, f"{self.source} (modified)")
        return Spec(**values, source=f"{self.source} (modified)")


def load_spec(source: str | Path = "default") -> Spec:
    """Load a shipped spec by name or a spec TOML file by path.

    Parameters
    ----------
    source
        A shipped name (see :func:`shipped_spec_names`) or a path to a ``.toml`` file.

    Returns
    -------
    Spec
        The resolved specification.

    Raises
    ------
    SpecError
        Unknown spec name, unknown key, wrong type or invalid prior.
    """
    values, label = _resolve(source)
    for section in SECTIONS:
        values.setdefault(section, {})
    if "name" not in values:
        values["name"] = Path(str(source)).stem
    values.setdefault("description", "")
    values.setdefault("model", "frontier")
    _check_against_default(values, label)
    return Spec(**{k: values[k] for k in ("name", "description", "model", *SECTIONS)},
                source=label)
