"""Pilot-learned low-rank preconditioning for nutpie (``adaptation = "pilot"``).

Why: the default model's posterior has a few slow directions, each spread over a couple of
hundred coordinates (the latent-scale stretch: 2023 abilities and legacy difficulties up,
agentic difficulties and the frontier's growth down; docs/model.md, "One slow direction").
A diagonal mass matrix cannot see a direction that is not a coordinate, and nutpie's
low-rank adaptation, which learns each chain's metric from its own short window, did not
find it either. Draws pooled over all chains do: the chains sit at different points along the
slow direction, so its variance shows in the pooled correlation matrix.

The scheme keeps the tuning budget (``tune`` steps in all, then ``draws``):

1. **Pilot.** nutpie with its diagonal adaptation: ``PILOT_TUNE`` of the tuning budget as
   tuning, ``PILOT_DRAWS`` of it as draws. These draws are tuning, not posterior draws.
2. **Directions.** Standardise each unconstrained coordinate by the pilot's mean and sd,
   eigen-decompose the pooled correlation matrix, and keep the eigenvectors V whose
   eigenvalues rise above the noise of a correlation matrix estimated from n draws in d
   dimensions (the Marchenko-Pastur edge (1 + sqrt(d / n))^2; at most ``MAX_RANK``). A
   sample eigenvalue above the edge overstates its true value (a "spike" l shows as
   l + (d / n) l / (l - 1)), so each kept one is replaced by the l that it implies
   (Baik, Ben Arous and Peche 2005; Paul 2007). Below the edge the pilot cannot tell a
   direction from noise and leaves it to the diagonal adaptation.
   Before that, the link parameters (every benchmark's difficulty, log slope, ceiling and
   noise, :data:`LINK_VARIABLES`) and the frontier curves with the category trends
   (:data:`CURVE_VARIABLES`) are whitened as one dense block (207 unconstrained coordinates
   on the bundled data): their pooled correlation, with the entries that noise explains set
   to 0 (:func:`whitening_block`), factored as L L'. Two kinds of ridge only a few
   coordinates wide, which a global direction does not resolve, live there: a weakly
   informed benchmark's difficulty, slope and ceiling (Video-MME: correlations 0.64-0.83,
   bulk ESS 450-550 with the stretch alone), and a benchmark that carries most of its
   category's scores against that category's trend (difficulty and trend knot correlated
   0.96, both at bulk ESS ~540 with the link alone in the block). The spikes are then
   found in the block-whitened draws.
3. **Sample.** A linear change of variables, theta = mean + sd * B(phi + V diag(sqrt(lambda)
   - 1) V' phi), B multiplying the block's coordinates by L, so that the kept directions have unit
   scale in phi; nutpie adapts its diagonal metric on phi for the rest of the tuning budget
   and draws. The Jacobian is constant, so the posterior is the same; every named variable
   and deterministic of the model is recomputed from theta and stored under its usual name.

The default spec's metric since 2026-12-06. With the link block alone, on the bundled data
(seeds 0-2), the ``published`` selection and a random half of the models (seed 0 each) it
left 6 values over R-hat 1.01 in all and 1 divergence, where nutpie's diagonal metric left
192 and 7; with the curves in the block the bundled seeds 0-2 pass R-hat with gap ESS about
twice as large (docs/model.md, "The curves join the block"). With seed-keyed starts and the
log-normal symmetric-term sd, ``published`` passes with seeds 0 and 1; the bundled data and
random halves leave one or two values at R-hat 1.010-1.019 (a weakly identified ceiling's
curved ridge, a saturated benchmark, a shift sd near 0), which no linear map straightens.

One compiled model serves both stages: the transform's mean, sd, vectors and stretches are
shared data, the identity during the pilot (theta = phi).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

PILOT_TUNE = 0.4      # share of the tuning budget that tunes the pilot
PILOT_DRAWS = 0.3     # share of the tuning budget drawn by the pilot (discarded)
MIN_TUNE = 300        # below this budget the stages would be too short: plain "diag"
MAX_RANK = 100        # directions kept at most
THRESHOLD = 4.0       # link-block correlations below this many noise sds are set to 0
MIN_EIGENVALUE = 0.05  # smallest eigenvalue of the dense block's correlation
FLAT_NAME = "pilot_phi"
#: the link parameters of both model families, whitened as one dense block
LINK_VARIABLES = ("difficulty", "log_slope_sd", "log_slope", "ceiling_z", "noise_z",
                  "log_top_rate", "linear_slope_z", "linear_intercept_z", "linear_noise_z")
#: the frontier curves and category trends, whitened in the same block: a benchmark that
#: carries most of its category's scores trades its difficulty against the category's trend
#: (correlation 0.96, both at bulk ESS ~540 with the link block alone)
CURVE_VARIABLES = ("growth_rw_sd", "log_growth_partial", "closed_level", "open_level",
                   "category_trend_sd", "category_trend_z", "category_rate")
BLOCK_VARIABLES = LINK_VARIABLES + CURVE_VARIABLES


@dataclass(frozen=True)
class Stretch:
    """x -> x + V diag(sqrt(l) - 1) V' x for orthonormal V: scales V's directions by sqrt(l)."""

    vectors: np.ndarray       # (d, max rank); unused columns are 0
    eigenvalues: np.ndarray   # (rank,)

    def factors(self, power: float) -> np.ndarray:
        """Return l ** power - 1 per column of ``vectors`` (0 for unused columns)."""
        out = np.zeros(self.vectors.shape[1])
        out[: self.eigenvalues.size] = self.eigenvalues ** power - 1.0
        return out

    def apply(self, x: np.ndarray, power: float = 0.5) -> np.ndarray:
        """Scale the directions by l ** power (-0.5 undoes 0.5); x is (..., d)."""
        return x + (x @ self.vectors) * self.factors(power) @ self.vectors.T

    @classmethod
    def none(cls, d: int, max_rank: int) -> Stretch:
        """Return the identity."""
        return cls(np.zeros((d, max_rank)), np.zeros(0))

    @classmethod
    def from_eigen(cls, vectors: np.ndarray, eigenvalues: np.ndarray, max_rank: int) -> Stretch:
        """Return the stretch of the first ``len(eigenvalues)`` columns of ``vectors``."""
        padded = np.zeros((vectors.shape[0], max_rank))
        padded[:, : eigenvalues.size] = vectors[:, : eigenvalues.size]
        return cls(padded, np.asarray(eigenvalues, dtype=float))


@dataclass(frozen=True)
class Block:
    """x -> x with x[index] replaced by chol @ x[index] (chol: m x m, index: m coordinates)."""

    index: np.ndarray         # (m,) coordinates of the flat vector, increasing
    chol: np.ndarray          # (m, m) lower triangular
    shrinkage: float = 0.0    # weight of the identity in the correlation it factors

    def apply(self, x: np.ndarray, inverse: bool = False) -> np.ndarray:
        """Multiply the block's coordinates of x (..., d) by chol, or solve with it."""
        out = np.array(x, dtype=float, copy=True)
        part = out[..., self.index]
        out[..., self.index] = (np.linalg.solve(self.chol, part.T).T if inverse
                                else part @ self.chol.T)
        return out

    @classmethod
    def none(cls, index: np.ndarray | None = None) -> Block:
        """Return the identity on the coordinates ``index`` (none by default)."""
        index = np.zeros(0, int) if index is None else np.asarray(index, int)
        return cls(index, np.eye(index.size))


def whitening_block(index: np.ndarray, z: np.ndarray) -> Block:
    """Return the Cholesky factor of the thresholded correlation of standardised draws z (n, m).

    Correlations within ``THRESHOLD`` / sqrt(n) of 0 (noise: the sd of a sample correlation
    of independent draws is 1 / sqrt(n)) are set to 0 (Bickel and Levina 2008), so a ridge
    of a few strongly correlated coordinates keeps its size while the many noise pairs add
    nothing; if what is left is not positive definite enough, it is shrunk towards the
    identity until its smallest eigenvalue is ``MIN_EIGENVALUE``.
    """
    n, m = z.shape
    if m == 0:
        return Block.none()
    sample = z.T @ z / n
    sd = np.sqrt(np.diag(sample))
    corr = sample / np.outer(sd, sd)
    kept = np.where(np.abs(corr) >= THRESHOLD / np.sqrt(n), corr, 0.0)
    np.fill_diagonal(kept, 1.0)
    low = float(np.linalg.eigvalsh(kept)[0])
    weight = 0.0 if low >= MIN_EIGENVALUE else (MIN_EIGENVALUE - low) / (1.0 - low)
    shrunk = (1.0 - weight) * kept + weight * np.eye(m)
    return Block(np.asarray(index, int), sd[:, None] * np.linalg.cholesky(shrunk), weight)


@dataclass(frozen=True)
class PilotDirections:
    """What the pilot learned: theta = mean + sd * B(S(phi)), S the stretch, B the block."""

    mean: np.ndarray          # (d,)
    sd: np.ndarray            # (d,)
    stretch: Stretch
    block: Block = Block.none()

    def to_theta(self, phi: np.ndarray) -> np.ndarray:
        """Apply the change of variables (for tests; the model builds it in PyTensor)."""
        return self.mean + self.sd * self.block.apply(self.stretch.apply(phi))

    def to_phi(self, theta: np.ndarray) -> np.ndarray:
        """Undo the change of variables (for start points)."""
        return self.stretch.apply(self.block.apply((theta - self.mean) / self.sd, inverse=True),
                                  power=-0.5)

    def summary(self) -> dict[str, Any]:
        """For the manifest: how many directions, how stretched, and the dense block."""
        return {"rank": int(self.stretch.eigenvalues.size),
                "eigenvalues": [round(float(x), 2) for x in self.stretch.eigenvalues],
                "block": int(self.block.chol.shape[0]),
                "block_shrinkage": round(float(self.block.shrinkage), 3)}


def identity(d: int, block: np.ndarray | None = None) -> PilotDirections:
    """Return the transform that leaves the model as it is (the pilot stage)."""
    return PilotDirections(np.zeros(d), np.ones(d), Stretch.none(d, MAX_RANK),
                           Block.none(block))


def learn_directions(draws: np.ndarray, block: np.ndarray | None = None) -> PilotDirections:
    """Directions from pooled pilot draws of shape (chain, draw, d).

    The coordinates ``block`` (the link parameters and frontier curves,
    :func:`block_index`) are whitened as one dense block (:func:`whitening_block`); then
    the eigenvectors of the
    pooled correlation matrix above the noise edge, with their eigenvalues corrected by
    :func:`spike`.

    Raises
    ------
    ValueError
        Fewer pooled draws than 10 (no correlation matrix to speak of).
    """
    flat = draws.reshape(-1, draws.shape[-1])
    n, d = flat.shape
    if n < 10:
        raise ValueError(f"pilot has {n} draws: need at least 10")
    mean = flat.mean(axis=0)
    sd = flat.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = (flat - mean) / sd
    index = np.zeros(0, int) if block is None else np.asarray(block, int)
    whitening = whitening_block(index, z[:, index])
    z = whitening.apply(z, inverse=True)
    lam, vec = _eigen(z.T @ z / n)
    ratio = d / n
    rank = int(min(MAX_RANK, np.sum(lam > (1.0 + np.sqrt(ratio)) ** 2)))
    return PilotDirections(mean, sd, Stretch.from_eigen(vec, spike(lam[:rank], ratio),
                                                        MAX_RANK), whitening)


def _eigen(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lam, vec = np.linalg.eigh(matrix)
    order = np.argsort(lam)[::-1]
    return lam[order], vec[:, order]


def spike(sample_eigenvalues: np.ndarray, ratio: float) -> np.ndarray:
    """Return the population eigenvalue l behind each sample eigenvalue above the noise edge.

    Inverts lambda = l + ratio * l / (l - 1) (ratio = dimensions / draws) for l > 1.
    """
    b = sample_eigenvalues + 1.0 - ratio
    return (b + np.sqrt(np.maximum(b * b - 4.0 * sample_eigenvalues, 0.0))) / 2.0


def shared_values(directions: PilotDirections) -> dict[str, np.ndarray]:
    """Return the shared-data values of :func:`preconditioned_model` for ``directions``."""
    return {"pilot_mean": directions.mean, "pilot_sd": directions.sd,
            "pilot_vectors": directions.stretch.vectors,
            "pilot_stretch": directions.stretch.factors(0.5),
            "pilot_block": directions.block.chol}


def value_layout(model: Any) -> list[tuple[Any, tuple[int, ...]]]:
    """(value variable, shape) in nutpie's order of the flat unconstrained vector."""
    point = model.initial_point()
    return [(model.rvs_to_values[rv], point[model.rvs_to_values[rv].name].shape)
            for rv in model.free_RVs]


def block_index(model: Any) -> np.ndarray:
    """Coordinates of the flat vector that belong to a :data:`BLOCK_VARIABLES` variable."""
    offset, inside = 0, []
    for rv, (_, shape) in zip(model.free_RVs, value_layout(model), strict=True):
        size = int(np.prod(shape, dtype=int))
        if rv.name in BLOCK_VARIABLES:
            inside.append(np.arange(offset, offset + size))
        offset += size
    return np.concatenate(inside) if inside else np.zeros(0, int)


def preconditioned_model(model: Any) -> Any:
    """Build a PyMC model over ``pilot_phi`` whose posterior is ``model``'s, changed linearly.

    Every free variable (on its constrained scale) and deterministic of ``model`` is a
    deterministic of the new model under the same name and dims, so the draws look like
    ``model``'s; ``pilot_phi`` is dropped after sampling.
    """
    import pymc as pm
    import pytensor.tensor as pt
    from pytensor.graph.replace import graph_replace

    layout = value_layout(model)
    d = int(sum(np.prod(shape, dtype=int) for _, shape in layout))
    index = block_index(model)
    start = identity(d, index)
    named = [*model.free_RVs, *model.deterministics]
    with pm.Model(coords=model.coords) as pre:
        data = {k: pm.Data(k, v) for k, v in shared_values(start).items()}
        phi = pm.Flat(FLAT_NAME, shape=d)

        def stretch(x, vectors, factors):
            return x + pt.dot(vectors, factors * pt.dot(vectors.T, x))

        stretched = stretch(phi, data["pilot_vectors"], data["pilot_stretch"])
        if index.size:
            stretched = pt.set_subtensor(stretched[index],
                                         pt.dot(data["pilot_block"], stretched[index]))
        theta = data["pilot_mean"] + data["pilot_sd"] * stretched
        replace, offset = {}, 0
        for value, shape in layout:
            size = int(np.prod(shape, dtype=int))
            replace[value] = theta[offset:offset + size].reshape(shape).astype(value.dtype)
            offset += size
        pm.Potential("pilot_logp", graph_replace(model.logp(), replace, strict=False))
        for var, graph in zip(named, model.replace_rvs_by_values(named), strict=True):
            pm.Deterministic(var.name, graph_replace(graph, replace, strict=False),
                             dims=model.named_vars_to_dims.get(var.name))
    return pre


def pilot_draws(dt: Any) -> np.ndarray:
    """Return the pilot's unconstrained draws (chain, draw, d): under the identity phi is theta."""
    return np.asarray(dt["posterior"].to_dataset()[FLAT_NAME].values)


def last_points(draws: np.ndarray, directions: PilotDirections) -> Any:
    """Return an initial-point function that starts a chain at a pilot draw chosen by its seed.

    The draw is one of the last halves of the pilot chains, pooled, picked by
    ``numpy.random.default_rng(seed)`` with the seed nutpie passes for that chain, and
    returned in phi. Why by seed: nutpie calls the function from its chain threads, in
    whatever order they start, but each chain's seed is fixed by the sampler's seed and the
    chain's number; a start handed out in call order let two runs with one seed swap the
    starts of chains 0 and 1 and draw differently (docs/model.md, "Seed-keyed starts and
    the hard envelope").
    """
    late = draws[:, draws.shape[1] // 2:].reshape(-1, draws.shape[-1])
    # converted here, in the calling thread: the chain threads only pick and copy (a first
    # version solved the block's triangular system in each chain thread and the fit segfaulted)
    candidates = np.stack([directions.to_phi(theta) for theta in late])

    def start(seed: Any) -> np.ndarray:
        return candidates[int(np.random.default_rng(seed).integers(len(candidates)))].copy()

    return start
