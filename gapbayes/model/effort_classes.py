"""Effort classes of the frontier model: Epoch's effort suffixes mapped to six classes.

A score's model id is its base model plus an optional suffix (``_high``, ``_16K``,
``_thinking``); the class sets which effort effect the score gets.
"""

from __future__ import annotations

import re

EFFORT_CLASSES = ("default", "minimal", "low", "medium", "high", "xhigh")
_EFFORT_WORDS = {
    "": "default", "unknown": "default", "minimal": "minimal", "none": "minimal",
    "low": "low", "medium": "medium", "high": "high", "thinking": "high",
    "xhigh": "xhigh", "max": "xhigh",
}
_BUDGET = re.compile(r"^([0-9]+)[kK]$")


def effort_class(suffix: str) -> str:
    """Map an Epoch effort suffix (``high``, ``16K``, ``thinking``...) to an effort class.

    Named levels map to themselves (``none`` = reasoning off -> minimal, ``thinking`` = on ->
    high, ``max`` -> xhigh); thinking budgets in thousands of tokens map by size: up to 2K low,
    up to 12K medium, up to 32K high, above xhigh. No suffix or ``unknown`` is the provider's
    default setting.
    """
    s = suffix.strip().lower()
    if s in _EFFORT_WORDS:
        return _EFFORT_WORDS[s]
    budget = _BUDGET.match(s)
    if budget is None:
        return "default"
    k = int(budget.group(1))
    return "low" if k <= 2 else "medium" if k <= 12 else "high" if k <= 32 else "xhigh"


def effort_suffix(model_id: str, base_model: str) -> str:
    """Return the text after ``base_model`` and an underscore in ``model_id`` ("" if none)."""
    at = model_id.rfind(base_model)
    if at < 0:
        return ""
    tail = model_id[at + len(base_model):]
    return tail[1:] if tail.startswith("_") else ""
