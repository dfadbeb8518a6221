"""Settings of an independent world: every knob with its unit and why it has its default.

Capability is the world's own latent scale (not the fitted model's logits): the shared
technology curve is 0 at the origin 2024-01-01 and grows by 0.8 units a year at the start of
the window (2022-06), 1.4 at the origin and 2 at the end (2026-03): an S-curve seen on its
rising half, growth rising 2.5-fold as measured on the real data (1-2.4/yr, then 3.4/yr).
A first calibration (total 9, rate 0.9) grew at only 0.2 units a year in 2022, so a model's
noise of 0.3 units was 10 months there and the frontiers were not identifiable by anyone.

Score effects (host cost, self-report inflation, tuning boost) are in percentage points of
the expected score, not in capability: the fitted model puts its bias terms on capability, so
points are one of the ways these worlds are unlike it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from gapbayes.errors import GapbayesError

ORIGIN = pd.Timestamp("2024-01-01")
TRAJECTORIES = ("s-curve", "linear")
HOSTS = ("chutes", "fireworks", "deepinfra")
CATEGORIES = ("math", "reasoning", "coding_agentic", "knowledge")


@dataclass(frozen=True)
class WorldConfig:
    """Everything that defines a world (besides its seed).

    Attributes
    ----------
    n_models
        Model releases (base models, first-party weights) in the window.
    open_share
        Share of releases with open weights.
    n_closed_labs, n_open_labs
        Labs per access group; each has its own trajectory (lag path) and releases.
    start, end
        Release window (ISO dates).
    trajectory
        ``s-curve`` (logistic in time: growth accelerates through the window) or ``linear``
        (constant growth; used by tests where the true gap is known by hand).
    curve_total, curve_rate, curve_mid
        S-curve: total rise, rate per year and midpoint (years since 2024-01-01).
    linear_growth
        Capability per year of the ``linear`` trajectory.
    gap_path
        The open group's lag in months at dates, ((date, months), ...), linear in between and
        flat outside: the lag of the leading open lab behind the shared technology curve.
    lab_lag_sd, lab_drift_sd
        Lab lags: every lab but the leader of its group lags by |N(0, lab_lag_sd)| months,
        and every lab's lag drifts by N(0, lab_drift_sd) months a year (clipped at 0).
    ability_scale, ability_df
        Per-model ability = lab trajectory at release + ability_scale * Student-t(ability_df).
    small_share, small_shortfall
        Share of releases that are small models, below their lab's trajectory by a
        Gamma(2, small_shortfall / 2) shortfall (mean ``small_shortfall``).
    category_sd
        Sd of (model, category) ability deviations.
    n_benchmarks, public_share
        Benchmarks and the share of them that are public.
    overdispersion
        Item heterogeneity: the score's sd at p = 0.5 before item sampling (proportion scale).
    ratio
        Target closed:open ratio of evaluated (base model, benchmark) pairs.
    closed_eval_rate
        Mean evaluation probability of closed models on benchmarks active at their release.
    capability_selection
        Log-odds of being evaluated per capability unit above (below) the era's frontier.
    retro_years
        Models released up to this long before a benchmark appears may still be evaluated.
    host_cost
        Percentage points lost on a third-party host (mean over hosts; hosts cost 0.5, 1
        and 1.5 times it). 0 = host degradation off (host runs still exist).
    host_pair_share
        Share of host-served (model, benchmark) pairs that also have a first-party run.
    self_report_share, self_inflation
        Share of evaluated pairs with a developer's own report, and its inflation in points.
    self_pair_share
        Share of self-reported pairs that also have an independent run.
    tuned_share, tuning_boost
        Share of open models tuned on public benchmarks, and their boost in points there.
    contamination, contamination_years
        Points that every open model gains on a public benchmark once its items have been
        public for ``contamination_years`` (a linear ramp from the benchmark's appearance;
        0 before it): leaked items in pre-training data. Off (0) by default. The fitted
        model's term ramps over one year and acts on capability, not points: two more ways
        these worlds are unlike it.
    """

    n_models: int = 120
    open_share: float = 0.55
    n_closed_labs: int = 4
    n_open_labs: int = 6
    start: str = "2022-06-01"
    end: str = "2026-03-31"
    trajectory: str = "s-curve"
    curve_total: float = 16.0
    curve_rate: float = 0.5
    curve_mid: float = 2.5
    linear_growth: float = 1.5
    gap_path: tuple[tuple[str, float], ...] = (("2022-06-01", 12.0), ("2025-01-01", 5.0),
                                               ("2026-03-31", 7.0))
    lab_lag_sd: float = 4.0
    lab_drift_sd: float = 1.5
    ability_scale: float = 0.3
    ability_df: float = 3.0
    small_share: float = 0.35
    small_shortfall: float = 1.0
    category_sd: float = 0.2
    n_benchmarks: int = 10
    public_share: float = 0.5
    overdispersion: float = 0.03
    ratio: float = 1.0
    closed_eval_rate: float = 0.7
    capability_selection: float = 1.5
    retro_years: float = 0.75
    host_cost: float = 0.0
    host_pair_share: float = 0.3
    self_report_share: float = 0.12
    self_inflation: float = 3.0
    self_pair_share: float = 0.5
    tuned_share: float = 0.3
    tuning_boost: float = 4.0
    contamination: float = 0.0
    contamination_years: float = 2.0

    def __post_init__(self) -> None:
        checks = [
            (self.n_models >= 10, "n_models must be >= 10"),
            (0.0 < self.open_share < 1.0, "open_share must be in (0, 1)"),
            (self.n_closed_labs >= 1 and self.n_open_labs >= 1, "need >= 1 lab per group"),
            (self.n_benchmarks >= 2, "n_benchmarks must be >= 2"),
            (0.0 <= self.public_share <= 1.0, "public_share must be in [0, 1]"),
            (self.ratio > 0, "ratio must be > 0"),
            (0.0 < self.closed_eval_rate < 1.0, "closed_eval_rate must be in (0, 1)"),
            (self.trajectory in TRAJECTORIES,
             f"trajectory must be one of {', '.join(TRAJECTORIES)}"),
            (self.ability_df > 0 and self.ability_scale >= 0, "ability noise must be >= 0"),
            (self.host_cost >= 0, "host_cost must be >= 0 points"),
            (self.contamination_years > 0, "contamination_years must be > 0"),
            (len(self.gap_path) >= 1, "gap_path needs at least one (date, months) point"),
            (pd.Timestamp(self.start) < pd.Timestamp(self.end), "start must precede end"),
        ]
        for ok, message in checks:
            if not ok:
                raise GapbayesError(f"world config: {message}")

    @property
    def window(self) -> tuple[float, float]:
        """Release window in years since the origin."""
        return years(pd.Timestamp(self.start)), years(pd.Timestamp(self.end))

    def as_dict(self) -> dict[str, Any]:
        """Return JSON-ready settings (what a study manifest stores)."""
        out = asdict(self)
        out["gap_path"] = [list(p) for p in self.gap_path]
        return out


def years(when: pd.Timestamp | pd.Series | pd.DatetimeIndex) -> Any:
    """Years since the origin (365.25-day years, as the rest of gapbayes)."""
    delta = pd.to_datetime(when) - ORIGIN
    if isinstance(delta, pd.Timedelta):
        return delta.days / 365.25 + delta.seconds / 86400 / 365.25
    return (delta / pd.Timedelta(days=1)).to_numpy(float) / 365.25


def to_date(t: float) -> pd.Timestamp:
    """Return the day ``t`` years after the origin."""
    return (ORIGIN + pd.Timedelta(days=float(t) * 365.25)).normalize()
