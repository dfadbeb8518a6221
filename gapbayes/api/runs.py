"""Comparisons and SBC runs for the Python API: run them, keep their tables and folders.

The comparison itself is ``gapbayes.commands.compare_run`` (shared with the command, which
must not import the API); it is re-exported here.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapbayes.api.result import folder_repr
from gapbayes.commands.compare_run import Comparison, run_compare

__all__ = ["Comparison", "SBCRun", "run_compare", "run_sbc"]

if TYPE_CHECKING:
    import pandas as pd



@dataclass
class SBCRun:
    """A simulation-based calibration run folder (``gapbayes sbc``) and its summary.

    Attributes
    ----------
    path : Path
        The run folder: sims/, ranks.csv, tests.csv, ecdf.png, summary.json, summary.md.
    summary : dict
        ``summary.json``: counts (done, used, failed, not converged), the uniformity test of
        every quantity, ``passed``.
    """

    path: Path
    summary: dict[str, Any]

    def __repr__(self) -> str:
        used, done = self.summary["used"], self.summary["done"]
        return folder_repr("SBCRun", self.path, f"{used} simulations used of {done},",
                           self.passed)

    @property
    def passed(self) -> bool:
        """Whether every quantity's ranks were uniform and few fits were unusable."""
        return bool(self.summary["passed"])

    def tests(self) -> pd.DataFrame:
        """Return the uniformity test of each monitored quantity (p-values, ``passed``)."""
        import pandas as pd

        return pd.DataFrame(self.summary["quantities"])

    def ranks(self) -> pd.DataFrame:
        """Return ``ranks.csv``: one row per simulation, its status and PIT values."""
        import pandas as pd

        return pd.read_csv(self.path / "ranks.csv")

    def text(self) -> str:
        """Return the markdown report (``summary.md``) the CLI prints."""
        return (self.path / "summary.md").read_text()


def run_sbc(args: argparse.Namespace) -> SBCRun:
    """Run (or resume) the SBC that ``args`` describes; as ``gapbayes sbc`` without printing."""
    from gapbayes.commands.sbc import build_problem, default_out
    from gapbayes.sbc.report import summarise
    from gapbayes.sbc.runner import run_sbc as run

    problem = build_problem(args)
    out = Path(args.out) if args.out is not None else default_out(problem)
    run(problem, args.simulations, out, workers=args.workers, scheduler=args.scheduler,
        progress=not args.no_progress, retry_failed=args.retry_failed)
    summary = summarise(out, requested=args.simulations,
                        include_not_converged=args.include_not_converged)
    return SBCRun(out, summary)
