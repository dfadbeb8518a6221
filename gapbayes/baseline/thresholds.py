"""Threshold grids and accepted-threshold lists of the threshold-crossing baseline.

Source: H. T. Ihle, "How far behind are open models?" (LessWrong, 2026-05-28), summarised in
``docs/methods.md`` section 1:

* thresholds are 0.05 steps for scores on [0, 1], 5-point steps on 0-100 (percent) scales and
  2, 5, 10, 20, 50, 100, 200, 500 minutes for METR time horizons;
* thresholds were reviewed by hand (rejected where a major model is missing from the benchmark).
  The published accepted lists (in percent, or minutes for METR) are
  GPQA Diamond 35-90; MATH Level 5 15-65, 80, 90, 95; OTIS Mock AIME 5-20, 45-95;
  FrontierMath 10, 15, 25-35; METR 2-50 minutes;
* benchmarks without a review list keep the thresholds above the 10th percentile of the
  observed scores.

Everything here works from a benchmark's ``scale`` and its observed scores, so simulated
benchmarks with unknown ids get the scale rule plus the 10th-percentile rule.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

#: METR time-horizon thresholds in minutes (methods.md section 1).
METR_MINUTES: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)

#: Tolerance for ``score >= threshold``: grid values such as 7 * 0.05 are not exactly 0.35 in
#: binary floating point, and a model scoring exactly the threshold must count as crossing it.
REL_TOL = 1e-9

#: Percentile of observed scores above which thresholds count when there is no review list.
DEFAULT_PERCENTILE = 10.0


def _span(lo: float, hi: float, step: float = 5.0) -> list[float]:
    """Return ``lo, lo + step, ..., hi`` inclusive (the published lists are 5-point runs)."""
    n = int(round((hi - lo) / step))
    return [lo + k * step for k in range(n + 1)]


#: Published hand-reviewed accepted thresholds: benchmark key -> (unit, values).
#: Units are ``percent`` (converted to the benchmark's native scale) or ``minutes``.
ACCEPTED_LISTS: dict[str, tuple[str, tuple[float, ...]]] = {
    "gpqa_diamond": ("percent", tuple(_span(35, 90))),
    "math_level_5": ("percent", tuple(_span(15, 65) + [80.0, 90.0, 95.0])),
    "otis_mock_aime": ("percent", tuple(_span(5, 20) + _span(45, 95))),
    "frontiermath": ("percent", tuple([10.0, 15.0] + _span(25, 35))),
    "metr_time_horizons": ("minutes", (2.0, 5.0, 10.0, 20.0, 50.0)),
}

# Spellings of the reviewed benchmarks, as ids or human names normalised by ``_norm``.
# FrontierMath Tier 4 has no review list and must not match "frontiermath".
_ALIASES: dict[str, str] = {
    "gpqa_diamond": "gpqa_diamond",
    "math_level_5": "math_level_5",
    "otis_mock_aime": "otis_mock_aime",
    "otis_mock_aime_2024_2025": "otis_mock_aime",
    "otis_mock_aime_2024_25": "otis_mock_aime",
    "frontiermath": "frontiermath",
    "frontiermath_tier_1_3": "frontiermath",
    "frontiermath_tiers_1_3": "frontiermath",
    "metr_time_horizons": "metr_time_horizons",
    "metr_time_horizon": "metr_time_horizons",
    "metr_time_horizons_external": "metr_time_horizons",
}


def _norm(text: str) -> str:
    """Lower-case ``text`` and turn every run of non-alphanumerics into one underscore."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def review_key(benchmark_id: str, name: str = "") -> str | None:
    """Return the key of the published review list that applies to a benchmark, if any.

    Parameters
    ----------
    benchmark_id
        The tidy ``benchmark_id``.
    name
        The human name; used when the id is spelled differently from the published one.

    Returns
    -------
    str or None
        A key of :data:`ACCEPTED_LISTS`, or None when the benchmark was not hand reviewed.
    """
    for text in (benchmark_id, name):
        key = _ALIASES.get(_norm(text)) if text else None
        if key is not None:
            return key
    return None


def _nice_step(span: float, target_steps: int = 20) -> float:
    """Return the smallest 1-2-5 x 10^k step giving at most ``target_steps`` steps over span."""
    raw = span / target_steps
    mag = 10.0 ** np.floor(np.log10(raw))
    for mult in (1.0, 2.0, 5.0, 10.0):
        if mult * mag >= raw:
            return float(mult * mag)
    return float(10.0 * mag)  # pragma: no cover - the loop always returns


def threshold_grid(scale: str, scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Return the candidate thresholds of a benchmark, before acceptance.

    Parameters
    ----------
    scale
        The benchmark's native scale: ``proportion`` (0.05 steps on [0, 1]), ``percent``
        (5-point steps on 0-100) or ``minutes`` (the METR list 2-500 minutes), as published.
        ``elo`` and ``points`` were not part of the published method; they get 1-2-5 steps
        giving about 20 thresholds over the observed range (a gapbayes extension, so that
        simulated or imported benchmarks on such scales still run).
    scores
        Observed scores on the benchmark (used only for ``elo``/``points``).

    Returns
    -------
    numpy.ndarray
        Increasing thresholds on the native scale.
    """
    scale = str(scale).lower()
    if scale == "proportion":
        # Zero is left out: every model "crosses" it, so it carries no timing information.
        return np.round(np.arange(1, 21) * 0.05, 10)
    if scale == "percent":
        return np.arange(1, 21) * 5.0
    if scale == "minutes":
        return np.array(METR_MINUTES)
    if scale in ("elo", "points"):
        arr = np.asarray(scores, dtype=float)
        arr = arr[np.isfinite(arr)]
        if arr.size == 0 or arr.max() == arr.min():
            return np.array([], dtype=float)
        step = _nice_step(float(arr.max() - arr.min()))
        lo = np.ceil(arr.min() / step) * step
        return np.round(np.arange(lo, arr.max() + step / 2, step), 10)
    raise ValueError(f"unknown benchmark scale {scale!r}")


def _list_on_scale(unit: str, values: Sequence[float], scale: str) -> np.ndarray | None:
    """Convert a published accepted list to the benchmark's native scale (None: incompatible)."""
    scale = str(scale).lower()
    if unit == "percent" and scale == "percent":
        return np.asarray(values, dtype=float)
    if unit == "percent" and scale == "proportion":
        return np.round(np.asarray(values, dtype=float) / 100.0, 10)
    if unit == "minutes" and scale == "minutes":
        return np.asarray(values, dtype=float)
    return None


def accepted_thresholds(
    benchmark_id: str,
    scale: str,
    scores: Sequence[float] | np.ndarray,
    name: str = "",
    accepted_lists: Mapping[str, tuple[str, Sequence[float]]] | None = None,
    percentile: float = DEFAULT_PERCENTILE,
) -> tuple[np.ndarray, str]:
    """Return the thresholds that count for one benchmark, and the rule that chose them.

    Parameters
    ----------
    benchmark_id, name
        Identify the benchmark; a published review list applies when either matches
        (see :func:`review_key`).
    scale
        Native scale of the scores (see :func:`threshold_grid`).
    scores
        Observed scores on the benchmark, one per model (the percentile rule uses them).
    accepted_lists
        Review lists to use; default :data:`ACCEPTED_LISTS`. Pass ``{}`` to apply the
        percentile rule everywhere (e.g. in simulation studies that reuse real ids).
    percentile
        Without a review list, thresholds strictly above this percentile of ``scores``
        (numpy's linear interpolation) count, as published (10th).

    Returns
    -------
    thresholds : numpy.ndarray
        Increasing accepted thresholds on the native scale.
    rule : str
        ``"review"`` (published hand-reviewed list) or ``"percentile"``.
    """
    lists = ACCEPTED_LISTS if accepted_lists is None else accepted_lists
    key = review_key(benchmark_id, name)
    if key is not None and key in lists:
        unit, values = lists[key]
        converted = _list_on_scale(unit, values, scale)
        if converted is not None:
            return np.sort(converted), "review"
        warnings.warn(
            f"benchmark {benchmark_id!r}: review list in {unit} does not fit scale {scale!r}; "
            "using the percentile rule",
            stacklevel=2,
        )
    arr = np.asarray(scores, dtype=float)
    arr = arr[np.isfinite(arr)]
    grid = threshold_grid(scale, arr)
    if arr.size == 0:
        return grid[:0], "percentile"
    cut = float(np.percentile(arr, percentile))
    return grid[grid > cut], "percentile"
