"""One latent ability per model from an item-response fit across benchmarks (ECI-style).

The Epoch Capabilities Index (Ho et al. 2025, arXiv:2512.00193; ``docs/methods.md`` section 3)
models a score as ``sigmoid(alpha_b (C_m - D_b))`` and fits abilities ``C``, difficulties ``D``
and slopes ``alpha`` by ridge-penalised least squares on the scores. This module fits the same
two-parameter logistic form, simplified so that one fit takes a few hundredths of a second and
a benchmark bootstrap of a thousand refits stays cheap on a shared machine:

- Each score is first put on [0, 1] (``percent`` scales divided by 100), then normalised
  between the benchmark's chance level and 1 (``(y - chance) / (1 - chance)``; ECI has no
  chance floor, observational scaling laws do), clipped to [0.01, 0.99] and turned into a
  logit ``z``. The fit is least squares of ``z`` on ``alpha_b (C_m - D_b)`` (in logit space,
  not ECI's score space), by alternating closed-form updates: every model's ability given the
  benchmarks, then every benchmark's slope and difficulty (one linear regression each) given
  the abilities. Both steps carry a ridge penalty (``ridge``: abilities towards 0, slopes
  towards 1); slopes are kept >= 0.05 so that the scale cannot flip.
- The scale is fixed by standardising the abilities after every sweep (mean 0, sd 1 over the
  fitted models) instead of ECI's anchor (WinoGrande at D = 0, alpha = 1) and its rescaling to
  Claude 3.5 Sonnet = 130, GPT-5 = 150. Gaps in months compare the *order* of abilities over
  time, so they do not depend on this choice.
- Benchmarks with a ``linear`` link (standardised scales: METR minutes, Elo, points) have no
  [0, 1] range for a logistic item and are skipped. Benchmarks flagged ``exclude`` are skipped.
- A model needs scores on at least ``min_benchmarks`` benchmarks (default 3): with one or two
  scores its ability is mostly that benchmark's noise, and a running best over hundreds of such
  models would pick the luckiest. Epoch also leaves models without "enough evaluations"
  unscored; its exact rule is not in our sources.
- Several scores of one model on one benchmark are reduced to the maximum, as the threshold
  method does (:func:`gapbayes.baseline.crossings.prepare_scores`); every model id (each
  reasoning-effort variant) is its own model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logit

from gapbayes.baseline.crossings import as_bool, prepare_scores

DEFAULT_MIN_BENCHMARKS = 3
#: Benchmark-bootstrap refits (about 30 ms each on the bundled data).
DEFAULT_BOOTSTRAP = 1000
DEFAULT_RIDGE = 0.1
#: Normalised scores are clipped to [CLIP, 1 - CLIP] before the logit: a score of 0 or 1 has no
#: finite logit, and a clip of 0.01 caps its pull at about 4.6 logits.
CLIP = 0.01
MIN_SLOPE = 0.05
#: Benchmarks need this many fitted models to estimate a slope and a difficulty.
MIN_MODELS_PER_BENCHMARK = 3


@dataclass(frozen=True)
class ItemTable:
    """Scores ready for the item-response fit.

    Made by :func:`item_table`; :func:`fit_abilities` and :func:`bootstrap_abilities` fit it.

    Attributes
    ----------
    rows
        One row per (benchmark, model): ``benchmark_id, model_id, z`` (logit of the normalised
        score).
    models
        One row per fitted model: ``model_id, release_date, access, chinese, n_benchmarks``.
    skipped
        benchmark_id -> why it is not in the fit.
    """

    rows: pd.DataFrame
    models: pd.DataFrame
    skipped: dict[str, str]


@dataclass(frozen=True)
class AbilityFit:
    """Result of :func:`fit_abilities`.

    Attributes
    ----------
    ability
        Standardised ability per model id (mean 0, sd 1 over the fitted models).
    slope, difficulty
        Per benchmark id, on the same scale.
    rmse
        Root mean square residual in logits.
    iterations
        Sweeps until the relative change of the squared error fell below the tolerance.
    """

    ability: pd.Series
    slope: pd.Series
    difficulty: pd.Series
    rmse: float
    iterations: int


def _benchmark_column(bench: pd.DataFrame, col: str, default: object) -> pd.Series:
    """Return ``bench[col]`` or a column of ``default`` when the frame lacks it (simulations)."""
    return bench[col] if col in bench.columns else pd.Series(default, index=bench.index)


def item_table(
    scores: pd.DataFrame,
    benchmarks: pd.DataFrame,
    min_benchmarks: int = DEFAULT_MIN_BENCHMARKS,
) -> ItemTable:
    """Normalise the scores and apply the inclusion rules of the module docstring.

    Parameters
    ----------
    scores
        "Scores with model info" (see :func:`gapbayes.baseline.run.run_baseline`).
    benchmarks
        Tidy benchmarks: ``benchmark_id`` and, when present, ``transform``, ``link``,
        ``chance`` and ``exclude`` (missing columns mean identity, sigmoid, 0, false).
    min_benchmarks
        Scores a model needs to be fitted.

    Returns
    -------
    ItemTable
    """
    bench = benchmarks.copy()
    bench["benchmark_id"] = bench["benchmark_id"].astype(str)
    bench = bench.set_index("benchmark_id")
    link = _benchmark_column(bench, "link", "sigmoid").astype(str)
    transform = _benchmark_column(bench, "transform", "identity").astype(str)
    chance = pd.to_numeric(_benchmark_column(bench, "chance", 0.0), errors="coerce").fillna(0.0)
    exclude = as_bool(_benchmark_column(bench, "exclude", False).astype(str))
    skipped = {b: "excluded in the benchmark metadata" for b in bench.index[exclude.to_numpy()]}
    for b in bench.index[(link != "sigmoid").to_numpy() & ~exclude.to_numpy()]:
        skipped[b] = f"{link[b]} link: no [0, 1] range for a logistic item"

    df = prepare_scores(scores)
    df = df[df["benchmark_id"].isin(bench.index) & ~df["benchmark_id"].isin(list(skipped))]
    y = df["score"].to_numpy(float).copy()
    pct = (df["benchmark_id"].map(transform) == "percent_to_proportion").to_numpy()
    y[pct] /= 100.0
    c = df["benchmark_id"].map(chance).to_numpy(float)
    q = (y - c) / (1.0 - c)
    df = df.assign(z=logit(np.clip(q, CLIP, 1.0 - CLIP)))

    # Dropping a sparse benchmark can push a model under min_benchmarks and back: repeat.
    while True:
        per_model = df.groupby("model_id")["benchmark_id"].transform("size")
        df = df[per_model >= min_benchmarks]
        per_bench = df.groupby("benchmark_id")["model_id"].transform("size")
        if (per_bench >= MIN_MODELS_PER_BENCHMARK).all():
            break
        df = df[per_bench >= MIN_MODELS_PER_BENCHMARK]
    for b in bench.index:
        if b not in skipped and b not in set(df["benchmark_id"]):
            skipped[b] = (f"fewer than {MIN_MODELS_PER_BENCHMARK} models with "
                          f">= {min_benchmarks} benchmarks")
    rows = df[["benchmark_id", "model_id", "z"]].reset_index(drop=True)
    models = (
        df.groupby("model_id", sort=True)
        .agg(release_date=("release_date", "first"), access=("access", "first"),
             chinese=("chinese", "first"), n_benchmarks=("benchmark_id", "size"))
        .reset_index()
    )
    return ItemTable(rows, models, dict(sorted(skipped.items())))


def als_fit(
    z: np.ndarray,
    model_idx: np.ndarray,
    bench_idx: np.ndarray,
    n_models: int,
    n_benchmarks: int,
    ridge: float = DEFAULT_RIDGE,
    max_iter: int = 5000,
    tol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Fit ``z ~ alpha[b] (C[m] - D[b])`` by alternating ridge least squares.

    Parameters
    ----------
    z
        Logit scores, one per row.
    model_idx, bench_idx
        Integer codes of each row's model (``0..n_models-1``) and benchmark.
    n_models, n_benchmarks
        Number of codes; every code must have at least one row.
    ridge
        Penalty on abilities (towards 0) and slopes (towards 1).
    max_iter, tol
        Stop after ``max_iter`` sweeps or when the squared error changes by less than ``tol``
        relative.

    Returns
    -------
    ability, slope, difficulty, iterations
        Abilities standardised to mean 0 and sd 1.
    """
    n = np.bincount(bench_idx, minlength=n_benchmarks).astype(float)
    slope = np.ones(n_benchmarks)
    # Start from the benchmark means: a hard benchmark (low mean logit) gets a high difficulty.
    difficulty = -np.bincount(bench_idx, z, n_benchmarks) / n
    sse_prev = np.inf
    sweeps = 0
    while sweeps < max_iter:
        sweeps += 1
        a, d = slope[bench_idx], difficulty[bench_idx]
        num = np.bincount(model_idx, a * (z + a * d), n_models)
        ability = num / (np.bincount(model_idx, a * a, n_models) + ridge)
        sd = ability.std()
        ability = (ability - ability.mean()) / (sd if sd > 0 else 1.0)
        x = ability[model_idx]
        sx, sy = np.bincount(bench_idx, x, n_benchmarks), np.bincount(bench_idx, z, n_benchmarks)
        vx = np.bincount(bench_idx, x * x, n_benchmarks) - sx * sx / n
        cxy = np.bincount(bench_idx, x * z, n_benchmarks) - sx * sy / n
        slope = np.maximum((cxy + ridge) / (vx + ridge), MIN_SLOPE)
        difficulty = -(sy - slope * sx) / n / slope
        r = z - slope[bench_idx] * (x - difficulty[bench_idx])
        sse = float(r @ r)
        if abs(sse_prev - sse) <= tol * max(1.0, sse):
            break
        sse_prev = sse
    return ability, slope, difficulty, sweeps


def fit_abilities(table: ItemTable, ridge: float = DEFAULT_RIDGE) -> AbilityFit:
    """Fit the abilities of every model in ``table`` (see :func:`als_fit`).

    Raises
    ------
    ValueError
        When the table has no rows.
    """
    rows = table.rows
    if rows.empty:
        raise ValueError("no model has scores on enough logistic benchmarks to be fitted")
    mi, models = pd.factorize(rows["model_id"], sort=True)
    bi, benches = pd.factorize(rows["benchmark_id"], sort=True)
    z = rows["z"].to_numpy(float)
    c, a, d, it = als_fit(z, mi, bi, len(models), len(benches), ridge)
    r = z - a[bi] * (c[mi] - d[bi])
    return AbilityFit(
        ability=pd.Series(c, index=pd.Index(models, name="model_id")),
        slope=pd.Series(a, index=pd.Index(benches, name="benchmark_id")),
        difficulty=pd.Series(d, index=pd.Index(benches, name="benchmark_id")),
        rmse=float(np.sqrt(np.mean(r * r))),
        iterations=it,
    )


def bootstrap_abilities(
    table: ItemTable,
    n_boot: int,
    rng: np.random.Generator,
    min_benchmarks: int = DEFAULT_MIN_BENCHMARKS,
    ridge: float = DEFAULT_RIDGE,
) -> Iterator[pd.Series]:
    """Yield abilities refitted on benchmarks resampled with replacement.

    A replicate draws as many benchmarks as the table has, with replacement; a benchmark drawn
    twice enters as two benchmarks (the method applied to the resampled table). A model keeps an
    ability only when it has at least ``min_benchmarks`` scores in the replicate; the others
    are NaN and leave that replicate's frontiers.

    Parameters
    ----------
    table
        The full item table.
    n_boot
        Number of replicates.
    rng
        Source of the resampling.
    min_benchmarks, ridge
        As in :func:`item_table` and :func:`als_fit`.

    Yields
    ------
    pandas.Series
        Ability per model id of ``table.models`` (NaN: not fitted in this replicate).
    """
    rows = table.rows
    model_codes, models = pd.factorize(rows["model_id"], sort=True)
    bench_codes, benches = pd.factorize(rows["benchmark_id"], sort=True)
    z_all = rows["z"].to_numpy(float)
    members = [np.flatnonzero(bench_codes == k) for k in range(len(benches))]
    index = pd.Index(models, name="model_id")
    for _ in range(n_boot):
        draw = rng.integers(0, len(benches), size=len(benches))
        take = np.concatenate([members[k] for k in draw])
        copy = np.repeat(np.arange(len(draw)), [members[k].size for k in draw])
        count = np.bincount(model_codes[take], minlength=len(models))
        kept = count >= min_benchmarks
        sel = kept[model_codes[take]]
        take, copy = take[sel], copy[sel]
        out = np.full(len(models), np.nan)
        if take.size:
            mi, fitted = pd.factorize(model_codes[take], sort=True)
            bi, used = pd.factorize(copy, sort=True)
            c, _, _, _ = als_fit(z_all[take], mi, bi, len(fitted), len(used), ridge)
            out[fitted] = c
        yield pd.Series(out, index=index)


@dataclass(frozen=True)
class AbilitySample:
    """Point abilities and their benchmark-bootstrap replicates.

    Shared by the ECI-style and censored estimators so that both see the same fit.

    Attributes
    ----------
    table
        The item table the fit used.
    fit
        The fit on all benchmarks.
    replicates
        Shape (n_boot, n_models), columns in the order of ``table.models``; NaN where a model
        was not fitted in a replicate.
    min_benchmarks, ridge, seed
        The settings used.
    """

    table: ItemTable
    fit: AbilityFit
    replicates: np.ndarray
    min_benchmarks: int
    ridge: float
    seed: int

    @property
    def settings(self) -> dict[str, float | int]:
        """The fit and bootstrap settings, for summary.json."""
        return {"n_bootstrap": int(len(self.replicates)), "seed": self.seed,
                "min_benchmarks": self.min_benchmarks, "ridge": self.ridge, "clip": CLIP}

    @property
    def models(self) -> pd.DataFrame:
        """Fitted models with their point ``ability`` (``table.models`` plus one column)."""
        m = self.table.models
        return m.assign(ability=m["model_id"].map(self.fit.ability).to_numpy(float))


def sample_abilities(scores: pd.DataFrame, benchmarks: pd.DataFrame, n_boot: int, seed: int = 0,
                     min_benchmarks: int = DEFAULT_MIN_BENCHMARKS, ridge: float = DEFAULT_RIDGE
                     ) -> AbilitySample:
    """Build the item table, fit it and draw ``n_boot`` benchmark-bootstrap refits.

    Parameters
    ----------
    scores, benchmarks, min_benchmarks
        As in :func:`item_table`.
    n_boot
        Bootstrap replicates (0: none).
    seed
        Seed of ``numpy.random.default_rng`` for the resampling.
    ridge
        As in :func:`als_fit`.

    Returns
    -------
    AbilitySample
    """
    table = item_table(scores, benchmarks, min_benchmarks)
    fit = fit_abilities(table, ridge)
    rng = np.random.default_rng(seed)
    order = table.models["model_id"]
    reps = [r.reindex(order).to_numpy()
            for r in bootstrap_abilities(table, n_boot, rng, min_benchmarks, ridge)]
    matrix = np.vstack(reps) if reps else np.empty((0, len(table.models)))
    return AbilitySample(table, fit, matrix, min_benchmarks, ridge, seed)
