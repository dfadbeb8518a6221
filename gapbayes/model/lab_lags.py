"""Lab lags: how many months each lab's best model so far trails the closed frontier.

Definitions (docs/model.md, "Lab lags"), per posterior draw:

- a lab is a ``family`` of models.csv (organisation lineage, data/model_rules.toml); the
  catch-all family ``other`` (many small organisations) is not a lab and gets no lag;
- lab L's **level** at month t is the best general ability among its base models released by
  t (the base model's ability at the provider's default effort, before category deviations and
  open-vs-closed benchmark shifts, which average to zero over the benchmarks);
- its **lag** is ``t - F_closed^-1(level)`` in months, with ``F_closed`` the closed group's
  general frontier (inverted after a running maximum, as the gaps are). A level below the
  grid's start is censored there (the lag is at least the value given); a level above the
  closed frontier gives a negative lag (the lab's best model sits above the closed curve: the
  frontier is soft, a model's ability scatters around its group's curve);
- the **holder** of a group's frontier at t is the lab of the group's best base model released
  by t; over the draws this gives the posterior probability that each lab holds it;
- the **country lags**: the same lag for the best Chinese open base model so far and for the
  best other open one, and their difference (negative: the Chinese open models lead). These
  need no model term; spec ``by-country`` adds one (:mod:`gapbayes.model.country`), whose gaps
  read frontier curves instead of best models.

The level is a functional of the sampled abilities, so its posterior carries their shrinkage:
abilities are skew-normal around the group frontier with a shortfall scale per family drawn
from a common distribution (:func:`gapbayes.model.frontier_pymc.base_abilities`), so a lab
with few models is pulled towards the group. The lag is a running best and moves in steps at
the lab's releases: it is not a smooth per-lab curve (docs/model.md says why not yet).
"""

from __future__ import annotations

import numpy as np

from gapbayes.model.frontier_design import FrontierData
from gapbayes.model.gap_vector import monotone

#: base models a lab needs in the fit for its lag to be reported
MIN_LAB_MODELS = 3
#: the catch-all family: many organisations, not one lab
OTHER = "other"
ACCESS = ("closed", "open")
#: rows of the country lags: each open subgroup's best model so far, and their difference
COUNTRY_LAG_ROWS = ("chinese open", "other open", "chinese minus other open")


def reported_labs(data: FrontierData) -> list[str]:
    """Labs with at least ``MIN_LAB_MODELS`` base models, most models first (then by name)."""
    counts = np.bincount(data.base_family, minlength=len(data.family_names))
    labs = [(int(n), name) for name, n in zip(data.family_names, counts, strict=True)
            if name != OTHER and n >= MIN_LAB_MODELS]
    return [name for _, name in sorted(labs, key=lambda x: (-x[0], x[1]))]


def lab_model_counts(data: FrontierData, labs: list[str]) -> dict[str, tuple[int, int]]:
    """Count each lab's (closed, open) base models in the fit."""
    out = {}
    for lab in labs:
        members = data.base_family == data.family_names.index(lab)
        out[lab] = (int((members & (data.base_open == 0)).sum()),
                    int((members & (data.base_open == 1)).sum()))
    return out


def running_best(ability: np.ndarray, times_k: np.ndarray, times: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Best ability among the models released by each time, and which model holds it.

    Parameters
    ----------
    ability
        (S, K) abilities of K models.
    times_k
        (K,) release times.
    times
        (T,) times at which to read the best.

    Returns
    -------
    tuple of numpy.ndarray
        Level (S, T), ``-inf`` before the first release, and the holder's column (S, T),
        -1 before the first release.
    """
    order = np.argsort(times_k, kind="stable")
    sorted_ability = ability[:, order]
    run = np.maximum.accumulate(sorted_ability, axis=1)                    # (S, K)
    # position (in release order) of the model that set the running best
    setter = np.where(sorted_ability >= run, np.arange(len(order))[None, :], 0)
    setter = np.maximum.accumulate(setter, axis=1)
    n_released = np.searchsorted(times_k[order], times + 1e-9, side="right")  # (T,)
    col = np.maximum(n_released - 1, 0)
    level = np.where(n_released[None, :] > 0, run[:, col], -np.inf)
    holder = np.where(n_released[None, :] > 0, order[setter[:, col]], -1)
    return level, holder


def lag_months(level: np.ndarray, closed: np.ndarray, grid: np.ndarray, times: np.ndarray
               ) -> np.ndarray:
    """Months by which ``level`` (S, L, T) trails the closed frontier ``closed`` (S, G) at t.

    NaN where the level is ``-inf`` (no model released yet).
    """
    out = np.full(level.shape, np.nan)
    for s in range(level.shape[0]):
        cm = monotone(closed[s])
        ok = np.isfinite(level[s])
        reached = np.interp(np.where(ok, level[s], 0.0), cm, grid)
        out[s] = np.where(ok, (times[None, :] - reached) * 12.0, np.nan)
    return out


def lab_lag_draws(ability: np.ndarray, closed: np.ndarray, data: FrontierData,
                  times: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Lag (months) of every reported lab behind the closed frontier: labs and (S, L, T).

    Parameters
    ----------
    ability
        (S, K) base-model abilities.
    closed
        (S, G) the closed general frontier on the grid.
    data
        The design (families, release times, grid).
    times
        (T,) years since the origin at which to read the lags.
    """
    labs = reported_labs(data)
    S, T = ability.shape[0], len(times)
    level = np.full((S, len(labs), T), -np.inf)
    for i, lab in enumerate(labs):
        members = np.flatnonzero(data.base_family == data.family_names.index(lab))
        level[:, i] = running_best(ability[:, members], data.base_time[members], times)[0]
    return labs, lag_months(level, closed, data.grid_time, times)


def country_members(data: FrontierData) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the columns of the Chinese and of the other open base models.

    None when either subgroup has fewer than ``MIN_LAB_MODELS`` base models.
    """
    cn = np.flatnonzero((data.base_open == 1) & (data.base_chinese == 1))
    other = np.flatnonzero((data.base_open == 1) & (data.base_chinese == 0))
    if min(len(cn), len(other)) < MIN_LAB_MODELS:
        return None
    return cn, other


def country_lag_draws(ability: np.ndarray, closed: np.ndarray, data: FrontierData,
                      times: np.ndarray) -> np.ndarray | None:
    """Lags of the best Chinese and best other open base model so far, and their difference.

    Parameters
    ----------
    ability, closed, data, times
        As for :func:`lab_lag_draws`.

    Returns
    -------
    numpy.ndarray or None
        (S, 3, T) in the order of ``COUNTRY_LAG_ROWS`` (NaN before a subgroup's first
        release), or None when a subgroup has fewer than ``MIN_LAB_MODELS`` base models.
    """
    members = country_members(data)
    if members is None:
        return None
    level = np.stack([running_best(ability[:, m], data.base_time[m], times)[0]
                      for m in members], axis=1)
    lags = lag_months(level, closed, data.grid_time, times)
    return np.concatenate([lags, lags[:, :1] - lags[:, 1:2]], axis=1)


def frontier_holders(ability: np.ndarray, data: FrontierData, times: np.ndarray) -> np.ndarray:
    """Family index of each group's frontier holder per draw: (S, 2, T), -1 before any release.

    A holder is the family of the group's best base model so far; every family can hold it
    (``other`` included, as "other organisations"), so over the draws the shares of the
    families sum to one at every time after the group's first release
    (:func:`holder_probabilities`).
    """
    out = np.full((ability.shape[0], 2, len(times)), -1)
    for g in (0, 1):
        members = np.flatnonzero(data.base_open == g)
        if len(members):
            _, holder = running_best(ability[:, members], data.base_time[members], times)
            out[:, g] = np.where(holder >= 0, data.base_family[members][np.maximum(holder, 0)],
                                 -1)
    return out


def holder_probabilities(codes: np.ndarray, n_families: int) -> np.ndarray:
    """Turn family codes (S, ...) into the share of draws each family holds: (n_families, ...)."""
    return np.stack([(codes == h).mean(axis=0) for h in range(n_families)])
