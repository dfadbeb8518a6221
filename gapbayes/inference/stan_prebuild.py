"""Build every shipped Stan program into the cache (``python -m gapbayes.inference.stan_prebuild``).

``make test`` starts this beside pytest on a machine whose cache lacks the programs. Why:
frontier.stan takes about 8 minutes of one core to build (462 s measured on 2026-12-05;
timeshift_v1.stan 112 s), and the test files that need it (``test_stan_agreement.py``,
``test_stan_fit_agreement.py``, ``test_sbc_pymc.py``) tend to start together on the two
pytest-xdist workers, so one worker built it while the other sat waiting on the build lock.
Built beside the tests from their start, the build overlaps the first test files instead
of idling a worker. Measured on a clean clone (2026-12-05): the Stan files' first setups fell
from 1,108 s and 424 s to 456 s and 402 s. What is left of them is the wait for this build
(a clean clone's run with a timestamp on every line: test_stan_agreement's first case started
22 s into pytest and passed when frontier.stan was built; warm, that setup takes 3-4 s); the
other worker and the build keep both cores busy meanwhile, so the wait costs no CPU. The lock in
:func:`gapbayes.inference.backend_stan.compile_model` keeps a worker that gets there first
from building it a second time.

Quiet by design: a build that fails here fails again, with its message, in the test that
needs it. Without CmdStan it does nothing (the Stan tests are then skipped with the reason).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from gapbayes.errors import GapbayesError
from gapbayes.model.families import STAN_DIR


def shipped_programs(stan_dir: Path = STAN_DIR) -> list[Path]:
    """Return the Stan programs of the model families, largest (slowest to build) first.

    Parameters
    ----------
    stan_dir
        Folder holding the ``.stan`` files.

    Returns
    -------
    list of Path
        Every ``*.stan`` file in ``stan_dir``, by decreasing size.
    """
    return sorted(stan_dir.glob("*.stan"), key=lambda p: (-p.stat().st_size, p.name))


def prebuild(programs: list[Path]) -> list[str]:
    """Build each program that the cache lacks; return one line per failure.

    Parameters
    ----------
    programs
        Stan files to build, in order.

    Returns
    -------
    list of str
        ``"<file>: <first line of the error>"`` for each program that did not build; empty
        when all did, or when no CmdStan is installed (then nothing is attempted).
    """
    from gapbayes.inference.backend_stan import compile_model
    from gapbayes.inference.stan_install import find_cmdstan

    if find_cmdstan() is None:
        return []
    failures = []
    for path in programs:
        try:
            compile_model(path)
        except GapbayesError as exc:
            failures.append(f"{path.name}: {str(exc).splitlines()[0]}")
    return failures


def main() -> int:
    """Entry point: build the shipped programs; exit 1 if any failed (one line each)."""
    # cmdstanpy's INFO lines ("compiling stan file ...") would interleave with pytest's output
    logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
    failures = prebuild(shipped_programs())
    for line in failures:
        print(f"gapbayes: Stan prebuild failed: {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
