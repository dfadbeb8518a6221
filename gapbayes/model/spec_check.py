"""Checks of a resolved spec against its family's root spec: keys, types and value ranges.

Every problem is one :class:`~gapbayes.errors.SpecError` naming the spec file and the key
(``mine.toml: [priors] closed_level.mu must be a finite number, got nan``), raised when the
spec is loaded, so a bad value never reaches data loading, compilation or sampling.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from typing import Any

from gapbayes.errors import SpecError

# Value rules by key, for whichever section holds the key: (test, what the value must be).
_RULES: dict[str, tuple[Any, str]] = {
    "chains": (lambda v: isinstance(v, int) and v >= 2,
               "an integer >= 2 (R-hat compares chains)"),
    "draws": (lambda v: isinstance(v, int) and v >= 1, "an integer >= 1"),
    "tune": (lambda v: isinstance(v, int) and v >= 0, "an integer >= 0"),
    "target_accept": (lambda v: 0 < v < 1, "a number between 0 and 1 (exclusive)"),
    "adaptation": (lambda v: v in ("diag", "low_rank", "pilot"),
                   "'diag', 'low_rank' or 'pilot'"),
    "extra_doublings": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 3,
                        "an integer from 0 to 3"),
    "min_models_per_group": (lambda v: isinstance(v, int) and v >= 0, "an integer >= 0"),
    "min_above_floor": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                        "an integer >= 0"),
    "floor_margin": (lambda v: _is_number(v) and 0 <= v < 1,
                     "a number from 0 to 1 (proportion of the scale)"),
    "lead_months": (lambda v: v >= 0, "a number of months >= 0"),
    "forecast_months": (lambda v: v >= 0, "a number of months >= 0"),
    "shortfall": (lambda v: v in ("half-normal", "gamma"), "'half-normal' or 'gamma'"),
    "category_deviations": (lambda v: v in ("all", "identified", "none"),
                            "'all', 'identified' or 'none'"),
}
_DATE_KEYS = ("start_date", "origin")


def closest(key: str, known: list[str] | set[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the known key nearest to ``key`` (or ``""``).

    Examples
    --------
    >>> closest("sigam", {"mu", "sigma"})
    "; did you mean 'sigma'?"
    """
    match = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def unknown_key(label: str, key: str, where: str, known: list[str] | set[str]) -> SpecError:
    """Return the error for an unknown ``key`` in ``where``, naming the closest known key."""
    hint = closest(key, known) or f"; known: {', '.join(sorted(known))}"
    return SpecError(f"{label}: unknown key '{key}' in {where}{hint}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_prior(label: str, name: str, value: Any, ref: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        raise SpecError(f"{label}: prior '{name}' must be a table of mu/sigma, got {value!r}")
    for key, number in value.items():
        if key not in ref:
            raise unknown_key(label, key, f"prior '{name}'", set(ref))
        if not _is_number(number) or not math.isfinite(number):
            raise SpecError(f"{label}: [priors] {name}.{key} must be a finite number, "
                            f"got {number!r}")
    missing = sorted(set(ref) - set(value))
    if missing:
        raise SpecError(f"{label}: prior '{name}' is missing '{missing[0]}'")
    if value.get("sigma", 1.0) <= 0:
        raise SpecError(f"{label}: prior '{name}' needs sigma > 0, got {value['sigma']}")


def _check_value(label: str, section: str, key: str, value: Any, ref: Any) -> Any:
    """Check one non-prior value; return it (dates written unquoted become ISO strings)."""
    where = f"{label}: [{section}] {key}"
    if key in _DATE_KEYS and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()
    if isinstance(ref, bool) or isinstance(ref, str):
        if type(value) is not type(ref):
            raise SpecError(f"{where} must be {type(ref).__name__}, got {value!r}")
    elif _is_number(ref):
        if not _is_number(value):
            raise SpecError(f"{where} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise SpecError(f"{where} must be a finite number, got {value!r}")
    elif isinstance(ref, list) and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise SpecError(f"{where} must be a list of strings, got {value!r}")
    if key in _DATE_KEYS:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise SpecError(f"{where} must be a date 'YYYY-MM-DD', got {value!r}") from None
    if key.endswith("_knot_months") and not value > 0:
        raise SpecError(f"{where} must be a number of months > 0, got {value!r}")
    if key in _RULES and not _RULES[key][0](value):
        raise SpecError(f"{where} must be {_RULES[key][1]}, got {value!r}")
    return value


def check_sections(values: dict[str, Any], root: dict[str, Any], label: str,
                   sections: tuple[str, ...], root_name: str) -> None:
    """Check every section of ``values`` against the family's root spec ``root``, in place.

    Parameters
    ----------
    values
        The resolved spec (``extends`` merged); unquoted dates are rewritten as ISO strings.
    root
        The family's root spec, which defines every key and its type.
    label
        The spec file, as error messages name it.
    sections
        The section names to check.
    root_name
        The root spec's name, suggested as ``extends`` when keys are missing.

    Raises
    ------
    SpecError
        An unknown or missing key, a wrong type or a value out of range.
    """
    for section in sections:
        got, ref = values.get(section, {}), root.get(section, {})
        if not isinstance(got, dict):
            raise SpecError(f"{label}: [{section}] must be a table, got {got!r}")
        for key, value in got.items():
            if key not in ref:
                raise unknown_key(label, key, f"[{section}]", set(ref))
            if section == "priors":
                _check_prior(label, key, value, ref[key])
            else:
                got[key] = _check_value(label, section, key, value, ref[key])
        missing = [k for k in ref if k not in got]
        if missing:
            raise SpecError(f"{label}: [{section}] is missing key '{missing[0]}' (write "
                            f"extends = \"{root_name}\" to inherit the keys you do not set)")
