"""Running-best ability curves per access group and the time between them.

Shared by the ECI-style gap (:mod:`gapbayes.baseline.eci`) and the censored time-to-match
estimate (:mod:`gapbayes.baseline.censored`). A group's running best at date ``t`` is the
highest ability among its models released on or before ``t``; it is a step function, so "the
date at which a curve first reached level L" is the release date of the first model (by date)
whose ability is >= L.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gapbayes.baseline.crossings import DAYS_PER_MONTH

#: Gap value for "the open running best is above every closed model of the data": the closed
#: curve never reached it, so the gap is below ``t - data end`` (open leads, by an unknown
#: margin). Ordered below every finite gap in bootstrap quantiles.
OPEN_AHEAD = -np.inf


@dataclass(frozen=True)
class Frontier:
    """A running-best step curve.

    Attributes
    ----------
    dates
        Release dates in curve order (``datetime64[D]``, non-decreasing).
    best
        Running best ability after each model (non-decreasing).
    holder
        Position, in the arrays given to :func:`running_best`, of the model that set ``best``
        (the earliest one when several reach the same value).
    """

    dates: np.ndarray
    best: np.ndarray
    holder: np.ndarray

    def __len__(self) -> int:
        return int(self.dates.size)

    def level_at(self, when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the running best at each date and the curve position (-1: no model yet)."""
        i = np.searchsorted(self.dates, np.asarray(when, dtype="datetime64[D]"), side="right") - 1
        level = np.where(i >= 0, self.best[np.maximum(i, 0)] if len(self) else np.nan, np.nan)
        return level, i

    def first_reach(self, level: np.ndarray) -> np.ndarray:
        """Return the curve position where the running best first reaches ``level``.

        ``len(self)`` means never (the level is above the curve's maximum).
        """
        return np.searchsorted(self.best, np.asarray(level, dtype=float), side="left")


def running_best(dates: np.ndarray, ability: np.ndarray) -> Frontier:
    """Return the running-best curve of models released at ``dates`` with ``ability``.

    Models with a NaN ability (not fitted in a bootstrap replicate) are left out. Models
    released the same day are ordered strongest first, so the day's best is credited to the
    strongest of them.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    ability = np.asarray(ability, dtype=float)
    ok = np.flatnonzero(np.isfinite(ability))
    order = ok[np.lexsort((-ability[ok], dates[ok]))]
    a = ability[order]
    best = np.maximum.accumulate(a) if a.size else a
    new = np.ones(a.size, dtype=bool)
    new[1:] = a[1:] > best[:-1]
    pos = np.maximum.accumulate(np.where(new, np.arange(a.size), 0)) if a.size else new
    return Frontier(dates[order], best, order[pos] if a.size else order)


def backward_gap(
    when: np.ndarray, open_front: Frontier, closed_front: Frontier
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the backward-looking gap at each date of ``when``, in months.

    gap(t) = t - (first date at which the closed running best reached the open running best at
    t). Negative when the closed curve got there only after t; :data:`OPEN_AHEAD` when it never
    did; NaN before the first open model.

    Returns
    -------
    gap, open_holder, closed_holder
        Gap in months; positions (in the arrays given to :func:`running_best`) of the open
        model holding the level and of the closed model that first reached it (-1: none).
    """
    when = np.asarray(when, dtype="datetime64[D]")
    level, i = open_front.level_at(when)
    has_open = i >= 0
    j = closed_front.first_reach(np.where(has_open, level, np.inf))
    reached = has_open & (j < len(closed_front))
    jj = np.minimum(j, max(len(closed_front) - 1, 0))
    days = (when - closed_front.dates[jj]).astype(float) if len(closed_front) else np.nan
    gap = np.where(reached, days / DAYS_PER_MONTH, np.where(has_open, OPEN_AHEAD, np.nan))
    open_holder = np.where(has_open, open_front.holder[np.maximum(i, 0)], -1) if len(
        open_front) else np.full(when.size, -1)
    closed_holder = np.where(reached, closed_front.holder[jj], -1) if len(
        closed_front) else np.full(when.size, -1)
    return gap, open_holder, closed_holder


def mean_horizontal_gap(
    open_front: Frontier, closed_front: Frontier, since: np.datetime64, until: np.datetime64
) -> float:
    """Return the mean horizontal distance between the curves over the levels both cross.

    Epoch's published average (Emberson 2025, docs/methods.md section 5): for every level L
    that both curves first reach inside [``since``, ``until``] (above both curves' value at
    ``since``, or at their first model if later, up to the lower of their values at
    ``until``), the time from the closed curve reaching L to the open curve reaching it,
    averaged uniformly over L. The step curves make the average an exact sum over the
    intervals between the curves' values.

    Returns
    -------
    float
        Months; NaN when the curves share no level in the window.
    """
    def clip(front: Frontier) -> Frontier:
        k = int(np.searchsorted(front.dates, np.datetime64(until, "D"), side="right"))
        return Frontier(front.dates[:k], front.best[:k], front.holder[:k])

    o, c = clip(open_front), clip(closed_front)
    if not len(o) or not len(c):
        return float("nan")
    start = np.array([np.datetime64(since, "D")])
    # A curve is drawn from its first model on: before that it has no value to measure from.
    lo = max(float(np.nan_to_num(f.level_at(start)[0][0], nan=f.best[0])) for f in (o, c))
    hi = min(o.best[-1], c.best[-1])
    if not hi > lo:
        return float("nan")
    cuts = np.unique(np.concatenate([[lo, hi], o.best, c.best]))
    cuts = cuts[(cuts >= lo) & (cuts <= hi)]
    # On (cuts[k], cuts[k+1]] no curve value lies strictly inside, so both first-reach dates
    # are those of the upper end.
    top = cuts[1:]
    t_open = o.dates[o.first_reach(top)]
    t_closed = c.dates[c.first_reach(top)]
    months = (t_open - t_closed).astype(float) / DAYS_PER_MONTH
    return float(np.sum(months * np.diff(cuts)) / (hi - lo))


def _quantile(x: np.ndarray, q: float) -> np.ndarray:
    """Return the linear-interpolation quantile ``q`` along axis 0, ignoring NaN.

    Between two finite neighbours the usual interpolation; when a neighbour is infinite
    ("open ahead", "not reached") the nearer neighbour, as interpolating towards an infinity
    has no meaning.
    """
    n = np.sum(~np.isnan(x), axis=0)
    srt = np.sort(x, axis=0)                       # NaN sort last
    pos = q * np.maximum(n - 1, 0)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, np.maximum(n - 1, 0))
    t = pos - i0
    a = np.take_along_axis(srt, i0[None, ...], axis=0)[0]
    b = np.take_along_axis(srt, i1[None, ...], axis=0)[0]
    finite = np.isfinite(a) & np.isfinite(b)
    with np.errstate(invalid="ignore"):
        lerp = a + (b - a) * t
    out = np.where(finite, lerp, np.where(t < 0.5, a, b))
    return np.where(n > 0, out, np.nan)


def interval(samples: np.ndarray, level: float = 0.90) -> np.ndarray:
    """Return the median and equal-tailed bounds of ``samples`` along axis 0.

    NaN replicates are ignored. Infinite replicates keep their order: :data:`OPEN_AHEAD` (-inf)
    ranks below every finite gap and a median time that was never reached (+inf) above every
    finite time; a bound that falls among them is infinite too.

    Returns
    -------
    numpy.ndarray
        Shape (3, ...): median, lower, upper. NaN where every replicate is NaN.
    """
    x = np.asarray(samples, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
        return interval(x, level)[:, 0]
    tail = (1.0 - level) / 2.0
    return np.stack([_quantile(x, q) for q in (0.5, tail, 1.0 - tail)])
