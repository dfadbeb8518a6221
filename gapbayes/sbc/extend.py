"""Refit the simulations whose fit did not converge, with longer chains and fresh seeds.

Short chains are what make a 400-simulation SBC affordable, but on a hard posterior some
fits end with too few effective draws for R-hat to settle. Dropping those fits would hide
the hard part of the prior; keeping them ranks draws that may not have mixed. The third way
is to run those fits again, ``factor`` times longer, and thin ``factor`` times more, so L
(the number of draws each prior draw is ranked among) stays the same. A fit that is still
not converged after that first refit is mostly one with divergent transitions, which longer
chains do not remove; it gets a second refit, as long again and with a higher NUTS target
acceptance (smaller steps), which is what one would do with a real fit that diverges.

Why the ranks stay valid: which simulations are refitted depends on the data and on the
first attempt's draws, but the refit is a new run with its own seed, so given the data its
draws are independent of that choice. An exact posterior sampler therefore still gives
uniform ranks for every simulation, refitted or not (the same holds for the second refit,
given the data and both earlier attempts). A refit record replaces the earlier record
(``sims/<i>.json``) and keeps the diagnostics of every earlier attempt under ``earlier``,
latest first; nothing is dropped, and a refit that still does not converge says so.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gapbayes.atomic import write_text
from gapbayes.errors import GapbayesError
from gapbayes.sbc.runner import (
    STATUS_NOT_CONVERGED,
    STATUS_OK,
    SBCProblem,
    fit_simulations,
    load_records,
    sim_path,
)

#: What a refit record keeps of the attempt it replaces.
EARLIER_FIELDS = ("attempt", "seed", "status", "reason", "seconds", "divergences", "rhat",
                  "ess_bulk", "settings")


@dataclass
class ExtendInfo:
    """What :func:`extend_not_converged` did."""

    out: Path
    factor: int
    attempt: int = 1
    target_accept: float | None = None
    refitted: list[int] = field(default_factory=list)
    still_not_converged: list[int] = field(default_factory=list)
    seconds: float = 0.0


def longer_problem(problem: SBCProblem, factor: int, attempt: int = 1,
                   target_accept: float | None = None) -> SBCProblem:
    """Return ``problem`` with ``factor`` times the draws and the thinning (same L).

    Parameters
    ----------
    problem
        The run's problem (as recorded in its ``sbc.json``).
    factor
        How many times longer the post-warmup chains are (>= 2). Warm-up is unchanged.
    attempt
        Attempt number of the refits (fresh seeds per attempt).
    target_accept
        NUTS target acceptance of the refits; None keeps the run's. Must be higher than the
        run's and below 1.
    """
    if factor < 2:
        raise GapbayesError(f"--extend-not-converged must be at least 2 (got {factor})")
    s = problem.settings
    check_target_accept(target_accept, s.target_accept)
    settings = replace(s, draws=s.draws * factor, thin=s.thin * factor,
                       target_accept=target_accept or s.target_accept)
    backend = problem.backend
    if not isinstance(backend, str):
        # A backend instance (tests) carries its own settings: give the refits a copy.
        backend = copy.copy(backend)
        backend.settings = settings
    return replace(problem, settings=settings, backend=backend, attempt=attempt)


def check_target_accept(target_accept: float | None, run_target_accept: float) -> None:
    """Refuse a refit target acceptance that is not above the run's or not below 1."""
    if target_accept is not None and not run_target_accept < target_accept < 1.0:
        raise GapbayesError(f"--refit-target-accept must be above the run's target acceptance "
                            f"{run_target_accept} and below 1 (got {target_accept})")


def extend_not_converged(problem: SBCProblem, out: Path, factor: int = 4, workers: int = 1,
                         client: Any = None, progress: bool = True, attempt: int = 1,
                         target_accept: float | None = None) -> ExtendInfo:
    """Refit every ``not_converged`` simulation of the previous attempt ``factor`` x longer.

    Resumable: refitted records carry their ``attempt``, so a rerun only fits the rest.

    Parameters
    ----------
    problem
        The run's problem; its id must match the folder's ``sbc.json``.
    out
        The run folder.
    factor
        Chain-length multiplier (draws and thinning), at least 2.
    workers, client
        Local worker processes, or a Dask client, as in :func:`~gapbayes.sbc.runner.run_sbc`.
    progress
        Show a progress bar.
    attempt
        1 refits first attempts that did not converge; 2 refits the first refits that did
        not, and so on.
    target_accept
        NUTS target acceptance of these refits (None: the run's).

    Returns
    -------
    ExtendInfo
        Which simulations were refitted and which still did not converge.
    """
    from tqdm.auto import tqdm

    out = Path(out)
    manifest = out / "sbc.json"
    if not manifest.exists():
        raise GapbayesError(f"{out}: no SBC run there to extend")
    recorded = json.loads(manifest.read_text()).get("problem_id")
    if recorded != problem.problem_id:
        raise GapbayesError(f"{out}: run {recorded} is not this configuration "
                            f"({problem.problem_id}); pass the flags it was run with")
    longer = longer_problem(problem, factor, attempt, target_accept)
    old = {r["index"]: r for r in load_records(out)
           if r["status"] == STATUS_NOT_CONVERGED and r.get("attempt", 0) == attempt - 1}
    info = ExtendInfo(out, factor, attempt, longer.settings.target_accept)
    if not old:
        return info
    start = time.perf_counter()
    sims = problem.make_simulator().simulate(sorted(old))
    label = f"SBC refits x{factor}" + (f", target_accept {target_accept}" if target_accept
                                        else "")
    bar = tqdm(total=len(sims), desc=label, unit="fit",
               disable=not progress)
    try:
        for rec in fit_simulations(longer, sims, workers, client):
            previous = old[rec["index"]]
            previous.setdefault("settings", problem.settings.as_dict())
            previous.setdefault("attempt", 0)
            rec.update(problem_id=problem.problem_id, attempt=longer.attempt,
                       settings=longer.settings.as_dict(),
                       earlier=[{k: previous[k] for k in EARLIER_FIELDS if k in previous},
                                *previous.get("earlier", [])])
            write_text(sim_path(out, rec["index"]), json.dumps(rec, indent=1) + "\n")
            info.refitted.append(rec["index"])
            if rec["status"] != STATUS_OK:
                info.still_not_converged.append(rec["index"])
            bar.update(1)
            bar.set_postfix(not_ok=len(info.still_not_converged), refresh=False)
    finally:
        bar.close()
    info.seconds = time.perf_counter() - start
    return info
