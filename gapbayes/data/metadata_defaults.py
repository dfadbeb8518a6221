"""What a benchmark's metadata may leave out when it describes an imported table.

``data/benchmarks.toml`` describes the raw dump's files, so the build needs every key (which
file, which column, whether the published analysis used it). A table brought in with
``gapbayes data import`` has none of those files, and a user should only have to say what the
model needs to know: the benchmark's name, link, access type, category, scale, and its chance
level when the link is the sigmoid. Every other key gets the value below when it is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Keys that only locate a benchmark in the raw dump, and neutral values for the rest.
FIXED_DEFAULTS: dict[str, Any] = {
    "file": "",
    "score_column": "",
    "stderr_column": "",
    "ci_low_column": "",
    "ci_high_column": "",
    "setting_columns": [],
    "published": False,           # not one of the published analysis' benchmarks
    "third_party_hosts": "unknown",
    "provenance": "mixed",        # not known to be all independent runs or all self-reports
    "n_items": 0,                 # 0 = unknown: no binomial item-sampling term
}
#: (scale_min, scale_max) where the scale fixes them.
SCALE_RANGE = {"proportion": (0.0, 1.0), "percent": (0.0, 100.0)}
#: transform where the scale fixes it (the model reads proportions); "identity" otherwise.
SCALE_TRANSFORM = {"proportion": "identity", "percent": "percent_to_proportion"}


def import_defaults(table: Mapping[str, Any]) -> dict[str, Any]:
    """Return values for the keys ``table`` leaves out that an imported table may omit.

    Parameters
    ----------
    table
        One benchmark's metadata as written (TOML values).

    Returns
    -------
    dict
        Only keys absent from ``table``; required keys without a sensible default
        (``name``, ``link``, ``access_type``, ``category``, ``scale``, a sigmoid's
        ``chance``, the range of a scale other than proportion or percent) are not filled, so
        their absence is still reported.

    Examples
    --------
    >>> sorted(import_defaults({"scale": "percent", "link": "sigmoid", "n_items": 500,
    ...                         "file": "", "score_column": "", "stderr_column": "",
    ...                         "ci_low_column": "", "ci_high_column": "",
    ...                         "setting_columns": [], "published": False,
    ...                         "third_party_hosts": "no", "provenance": "independent"}).items())
    [('scale_max', 100.0), ('scale_min', 0.0), ('transform', 'percent_to_proportion')]
    >>> import_defaults({"scale": "elo", "link": "linear"})["chance"]
    0.0
    """
    out = dict(FIXED_DEFAULTS)
    scale = table.get("scale")
    if scale in SCALE_RANGE:
        out["scale_min"], out["scale_max"] = SCALE_RANGE[scale]
    if scale is not None:
        out["transform"] = SCALE_TRANSFORM.get(scale, "identity")   # a log scale is a choice
    if table.get("link") == "linear":
        out["chance"] = 0.0       # a linear link has no chance floor
    return {key: value for key, value in out.items() if key not in table}
