"""Benchmarks of an independent world: their own response curves, eras and evaluation.

Response curve of benchmark b (a five-parameter, asymmetric logistic: the fitted model's link
is the symmetric four-parameter one, so this is one way the worlds are unlike it):

    E[score] = floor_b + (ceiling_b - floor_b) * logistic(slope_b (theta - difficulty_b))^asym_b

with floors 0, 0.1 or 0.25 (the benchmark's chance level), ceilings in [0.85, 0.99] and
asym in {0.5, 1, 2}. Difficulties are spread so that the technology curve passes them from
the window's start to 1.5 years after its end: about half of them saturate inside the window.

Each benchmark has an era: it appears 1.5 years before the technology curve reaches its
difficulty and is abandoned half a year after the curve is 2.5 / slope above it (near its
ceiling). A model is a candidate for evaluation when it was released inside the era (or up
to ``retro_years`` before it appeared: retroactive runs). The evaluation probability depends
on capability and access (:func:`evaluation_probability`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapbayes.worlds.config import CATEGORIES, WorldConfig, to_date
from gapbayes.worlds.curves import technology

FLOORS = (0.0, 0.25, 0.0, 0.1)
ASYMMETRY = (1.0, 0.5, 2.0)
ITEMS = (150, 200, 500, 1000)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark's metadata, response curve and era (years since the origin)."""

    benchmark_id: str
    category: str
    public: bool
    percent: bool
    floor: float
    ceiling: float
    difficulty: float
    slope: float
    asym: float
    n_items: int
    intro: float
    retired: float
    host_share: float

    def expected(self, theta: np.ndarray) -> np.ndarray:
        """Return the expected score (proportion scale) at capability ``theta``."""
        z = np.clip(self.slope * (np.asarray(theta, float) - self.difficulty), -60, 60)
        return self.floor + (self.ceiling - self.floor) / (1.0 + np.exp(-z)) ** self.asym


def _reach(level: float, cfg: WorldConfig, lo: float, hi: float) -> float:
    """First time in [lo, hi] the technology curve reaches ``level`` (hi when it does not)."""
    grid = np.arange(lo, hi, 1.0 / 365.0)
    above = np.flatnonzero(technology(grid, cfg) >= level)
    return float(grid[above[0]]) if len(above) else hi


def make_benchmarks(cfg: WorldConfig, rng: np.random.Generator) -> list[Benchmark]:
    """Draw the world's benchmarks (ids ``w01_math``, ``w02_reasoning``...).

    Host reliance cycles over 0, 0.5 and 1: on a third of the benchmarks every open model
    runs on a third-party host unless it also has a paired first-party run (the real data's
    unidentified case), on a third none does.
    """
    lo, hi = cfg.window
    B = cfg.n_benchmarks
    n_public = int(round(cfg.public_share * B))
    public = np.zeros(B, bool)
    public[rng.permutation(B)[:n_public]] = True
    # times at which the technology curve crosses each difficulty, spread over the window
    anchor = np.linspace(lo, hi + 1.5, B) + rng.uniform(-0.15, 0.15, B)
    out = []
    for j in range(B):
        category = CATEGORIES[j % len(CATEGORIES)]
        slope = float(rng.uniform(1.2, 2.5))
        difficulty = float(technology(anchor[j], cfg))
        saturated = _reach(difficulty + 2.5 / slope, cfg, anchor[j], hi + 10.0)
        out.append(Benchmark(
            benchmark_id=f"w{j + 1:02d}_{category}", category=category,
            public=bool(public[j]), percent=j % 2 == 1, floor=FLOORS[j % len(FLOORS)],
            ceiling=float(rng.uniform(0.85, 0.99)), difficulty=difficulty, slope=slope,
            asym=ASYMMETRY[j % len(ASYMMETRY)], n_items=int(rng.choice(ITEMS)),
            intro=float(anchor[j] - 1.5), retired=saturated + 0.5,
            host_share=(0.0, 0.5, 1.0)[j % 3]))
    return out


def saturates_in_window(bench: Benchmark, cfg: WorldConfig) -> bool:
    """Whether the technology curve's expected score passes 90% of the range by the end."""
    p = bench.expected(technology(cfg.window[1], cfg))
    return bool(p >= bench.floor + 0.9 * (bench.ceiling - bench.floor))


def candidates(bench: Benchmark, release: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """Models released inside the benchmark's era (with retroactive runs)."""
    return (release >= bench.intro - cfg.retro_years) & (release <= bench.retired)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def _solve(f, target: float, lo: float = -20.0, hi: float = 20.0) -> float:
    """Root of the increasing function ``f(x) = target`` by bisection (clamped to [lo, hi])."""
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def evaluation_probability(relative: np.ndarray, is_open: np.ndarray, active: np.ndarray,
                           cfg: WorldConfig) -> tuple[np.ndarray, dict[str, float]]:
    """P(model k evaluated on benchmark b), shape (K, B), and the calibration it used.

    logit P = alpha_access + capability_selection * relative_k, on candidate pairs only, with
    ``relative_k`` the model's ability minus the best frontier at its release. alpha_closed
    makes the closed models' mean probability ``closed_eval_rate``; alpha_open makes the
    expected closed:open count of evaluated pairs equal ``ratio`` (clamped when the open
    candidates cannot supply that many: then ``ratio_expected`` says what is reached).
    """
    score = cfg.capability_selection * relative[:, None] * np.ones(active.shape)
    closed_pairs = active & ~is_open[:, None]
    open_pairs = active & is_open[:, None]

    def mean_closed(a: float) -> float:
        return float(_logistic(a + score[closed_pairs]).mean()) if closed_pairs.any() else 0.0

    a_closed = _solve(mean_closed, cfg.closed_eval_rate)
    n_closed = float(_logistic(a_closed + score[closed_pairs]).sum())

    def n_open(a: float) -> float:
        return float(_logistic(a + score[open_pairs]).sum())

    a_open = _solve(n_open, n_closed / cfg.ratio)
    alpha = np.where(is_open, a_open, a_closed)[:, None]
    prob = np.where(active, _logistic(alpha + score), 0.0)
    expected = n_closed / max(n_open(a_open), 1e-12)
    return prob, {"alpha_closed": a_closed, "alpha_open": a_open, "ratio_expected": expected}


def benchmarks_frame(benches: list[Benchmark]) -> pd.DataFrame:
    """Return the benchmarks table in the tidy schema (docs/data-format.md), untyped."""
    rows = []
    for b in benches:
        rows.append({
            "benchmark_id": b.benchmark_id, "name": b.benchmark_id.replace("_", " ").upper(),
            "file": "", "score_column": "score", "stderr_column": "", "ci_low_column": "",
            "ci_high_column": "", "scale": "percent" if b.percent else "proportion",
            "scale_min": 0.0, "scale_max": 100.0 if b.percent else 1.0,
            "transform": "percent_to_proportion" if b.percent else "identity",
            "link": "sigmoid", "chance": b.floor, "n_items": b.n_items,
            "access_type": "public" if b.public else "private", "category": b.category,
            "provenance": "mixed",
            # flagged per score (third_party_host), never for the whole benchmark
            "third_party_hosts": "no" if b.host_share == 0 else "unknown",
            "published": True, "exclude": False, "exclude_reason": "",
            # the day the benchmark appears: what a contamination term measures exposure from
            "release_date": to_date(b.intro)})
    return pd.DataFrame(rows)
