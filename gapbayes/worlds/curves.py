"""Lab trajectories, the world's closed and open frontiers and its true gap path.

The world has one shared technology curve T(t) (capability reachable at time t). Lab j
stands ``L_j(t)`` months behind it: its trajectory is T(t - L_j(t) / 12). For a closed lab
L_j(t) = max(0, a_j + d_j t); for an open lab L_j(t) = G(t) + max(0, a_j + d_j t), with G the
open group's lag path (``WorldConfig.gap_path``), a_j the lab's lag at the origin (0 for the
leader of its group) and d_j its drift in months per year. So lags are lab-specific and drift.

**The true gap.** The group frontiers are the best lab trajectories,
F_closed(t) = max over closed labs, F_open(t) = max over open labs (no per-model noise: the
frontier is where a group's labs stand, not its luckiest release). The backward gap is

    D(t) = t - F_closed^{-1}(F_open(t))      (in months: x 12)

the fitted model's definition: how far back the closed frontier stood at today's open level.
It is invariant to any increasing transformation of the capability scale, so it is comparable
with the model's gap although the two scales differ. F_closed is inverted numerically on a
grid of 1/1460 year (6 hours) after a running maximum, so a falling lab never makes it
non-invertible; a level below the grid's reach gives NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapbayes.worlds.config import WorldConfig, years

STEP = 1.0 / 1460.0


@dataclass(frozen=True)
class Lab:
    """One lab: access group, lag at the origin (months) and drift (months per year)."""

    name: str
    access: str
    lag0: float
    drift: float
    chinese: bool = False

    def own_lag(self, t: np.ndarray) -> np.ndarray:
        """Return the lab's lag behind its group's base path, months (>= 0)."""
        return np.maximum(0.0, self.lag0 + self.drift * np.asarray(t, float))


def technology(t: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """Shared technology curve T(t), 0 at the origin (capability units)."""
    t = np.asarray(t, float)
    if cfg.trajectory == "linear":
        return cfg.linear_growth * t

    def sig(x: np.ndarray | float) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))

    return cfg.curve_total * (sig(cfg.curve_rate * (t - cfg.curve_mid))
                              - sig(-cfg.curve_rate * cfg.curve_mid))


def open_base_lag(t: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """Return the open group's lag path G(t), months: linear between its points, flat outside."""
    when = years(pd.DatetimeIndex([pd.Timestamp(d) for d, _ in cfg.gap_path]))
    months = np.array([m for _, m in cfg.gap_path], float)
    order = np.argsort(when)
    return np.interp(np.asarray(t, float), when[order], months[order])


def lab_lag(lab: Lab, t: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """Total lag of ``lab`` behind the technology curve at ``t``, months."""
    base = open_base_lag(t, cfg) if lab.access == "open" else 0.0
    return base + lab.own_lag(t)


def lab_capability(lab: Lab, t: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """Return the lab's trajectory T(t - L(t) / 12)."""
    t = np.asarray(t, float)
    return technology(t - lab_lag(lab, t, cfg) / 12.0, cfg)


def group_frontier(labs: list[Lab], access: str, cfg: WorldConfig
                   ) -> Callable[[np.ndarray], np.ndarray]:
    """F_access(t): the best trajectory among the group's labs."""
    members = [lab for lab in labs if lab.access == access]
    if not members:
        raise ValueError(f"no {access} lab")

    def frontier(t: np.ndarray) -> np.ndarray:
        return np.max([lab_capability(lab, t, cfg) for lab in members], axis=0)

    return frontier


def backward_gap(times: np.ndarray, f_closed: Callable[[np.ndarray], np.ndarray],
                 f_open: Callable[[np.ndarray], np.ndarray], lookback: float = 8.0,
                 lookahead: float = 3.0) -> np.ndarray:
    """D(t) = t - F_closed^{-1}(F_open(t)) in months, by numerical inversion.

    Parameters
    ----------
    times
        Years since the origin.
    f_closed, f_open
        Frontier curves (vectorised functions of years).
    lookback, lookahead
        How far before the first and after the last time the closed curve is tabulated: a
        gap longer than ``lookback`` years (or an open lead beyond ``lookahead``) is NaN.
    """
    times = np.atleast_1d(np.asarray(times, float))
    grid = np.arange(times.min() - lookback, times.max() + lookahead + STEP, STEP)
    closed = np.maximum.accumulate(f_closed(grid))
    closed = closed + 1e-12 * np.arange(len(grid))   # strictly increasing for interpolation
    level = f_open(times)
    when = np.interp(level, closed, grid)
    out = (times - when) * 12.0
    out[(level < closed[0]) | (level > closed[-1])] = np.nan
    return out


def make_labs(cfg: WorldConfig, rng: np.random.Generator) -> list[Lab]:
    """Draw the labs: the first lab of each group leads it (lag 0 at the origin).

    One open lab in three is Chinese (the real data's mix: the threshold method has a
    Chinese-only variant, so the column must be filled).
    """
    labs = []
    for access, n in (("closed", cfg.n_closed_labs), ("open", cfg.n_open_labs)):
        for j in range(n):
            lag0 = 0.0 if j == 0 else abs(float(rng.normal(0.0, cfg.lab_lag_sd)))
            labs.append(Lab(name=f"{access}lab{j + 1}", access=access, lag0=lag0,
                            drift=float(rng.normal(0.0, cfg.lab_drift_sd)),
                            chinese=access == "open" and j % 3 == 1))
    return labs


def truth_path(labs: list[Lab], cfg: WorldConfig) -> pd.DataFrame:
    """Monthly truth over the window: date, t, F_closed, F_open and the backward gap D(t)."""
    months = pd.date_range(pd.Timestamp(cfg.start).to_period("M").to_timestamp(),
                           pd.Timestamp(cfg.end), freq="MS")
    t = years(months)
    fc, fo = group_frontier(labs, "closed", cfg), group_frontier(labs, "open", cfg)
    return pd.DataFrame({"date": months, "t": t, "closed_frontier": fc(t),
                         "open_frontier": fo(t), "gap_months": backward_gap(t, fc, fo)})
