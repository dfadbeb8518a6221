"""How large split R-hat gets by chance when many quantities are checked at once.

Draws independent AR(1) chains (4 x 1000 draws, the default fit's shape) for ``--quantities``
quantities at several autocorrelations, and prints per row the median bulk ESS, the largest
rank-normalised split R-hat (ArviZ) and the share of quantities over 1.01. docs/model.md
("The multiplicity floor, measured") quotes its output: it is why a fit whose slowest hundred
quantities have bulk ESS ~300 misses R-hat <= 1.01 although nothing in it is stuck.

Run: ``.venv/bin/python bench/rhat_floor.py`` (a few seconds, one core).
"""

from __future__ import annotations

import argparse

import arviz as az
import numpy as np
import xarray as xr


def ar1_chains(rho: float, chains: int, draws: int, quantities: int,
               rng: np.random.Generator) -> np.ndarray:
    """Stationary unit-innovation AR(1) draws, shape (chains, draws, quantities)."""
    e = rng.standard_normal((chains, draws, quantities))
    x = np.empty_like(e)
    x[:, 0] = e[:, 0] / np.sqrt(1.0 - rho**2)
    for t in range(1, draws):
        x[:, t] = rho * x[:, t - 1] + e[:, t]
    return x


def _values(result: xr.Dataset | xr.DataTree) -> np.ndarray:
    ds = result.to_dataset() if isinstance(result, xr.DataTree) else result
    return np.asarray(ds["x"].values)


def main() -> None:
    """Print the R-hat floor table as markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quantities", type=int, default=2500)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print("| autocorrelation | median bulk ESS | largest R-hat | share over 1.01 |")
    print("|---|---|---|---|")
    for rho in (0.0, 0.6, 0.8, 0.9):
        x = ar1_chains(rho, args.chains, args.draws, args.quantities, rng)
        ds = xr.Dataset({"x": (("chain", "draw", "quantity"), x)})
        rhat, ess = _values(az.rhat(ds)), _values(az.ess(ds, method="bulk"))
        print(f"| {rho} | {np.median(ess):.0f} | {rhat.max():.4f} | {np.mean(rhat > 1.01):.4f} |")


if __name__ == "__main__":
    main()
