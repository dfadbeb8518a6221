"""``gapbayes compare`` as a function: fit or reuse every spec, compare, write the folder.

Shared by the command (``gapbayes.commands.compare``) and the Python API (``gb.compare``,
which re-exports :class:`Comparison` from ``gapbayes.api``): the API calls the commands'
code, never the other way round.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from gapbayes.comparison.compare_table import ComparisonResult


@dataclass
class Comparison:
    """A model comparison (``gapbayes compare``) and the folder it was written to.

    Attributes
    ----------
    path : Path
        ``OUT/compare/<id>/`` with comparison.csv, gaps.csv, compare.png, manifest.json.
    result : ComparisonResult
        ``table`` (one row per spec, best first: elpd, differences and their se, stacking
        weights, Pareto k counts, gaps at the last month), ``gaps``, ``criterion``,
        ``warnings``.
    """

    path: Path
    result: ComparisonResult

    @property
    def table(self) -> pd.DataFrame:
        """One row per spec, best first (elpd, se, stacking weight, Pareto k, gaps)."""
        return self.result.table

    @property
    def gaps(self) -> pd.DataFrame:
        """The gap posteriors of every spec side by side (long table)."""
        return self.result.gaps

    @property
    def warnings(self) -> list[str]:
        """Lines the CLI prints as warnings (high Pareto k, failed diagnostics)."""
        return list(self.result.warnings)

    def text(self, fmt: str = "text") -> str:
        """Return the comparison as ``gapbayes compare --format FMT`` prints it."""
        return self.result.format(fmt)


def run_compare(args: argparse.Namespace, log: Callable[[str], Any]) -> Comparison:
    """Fit or reuse every spec of ``args.specs``, compare them and write the folder.

    The same steps as ``gapbayes compare`` (``gapbayes.commands.compare.run``), returning
    the result instead of printing it.
    """
    from gapbayes.atomic import staged_dir, write_text
    from gapbayes.commands import common
    from gapbayes.comparison.compare import KFOLD_K, compare_fits, comparison_manifest
    from gapbayes.errors import GapbayesError
    from gapbayes.inference.results import fit_id, load_result
    from gapbayes.model.spec import load_spec
    from gapbayes.studies.common import dask_client

    if len(set(args.specs)) < 2:
        raise GapbayesError("gapbayes compare needs at least two different specs")
    cv = getattr(args, "cv", "loo")
    # connect before any fit: a wrong address must not cost the fits first
    client = dask_client(getattr(args, "scheduler", None),
                         refits=cv != "loo" or args.kfold != "never")
    fits = {s: load_result(s) for s in args.specs if (Path(s) / "manifest.json").is_file()}
    specs = {s: load_spec(s) for s in args.specs if s not in fits}
    if specs:
        fitter = common.spec_fitter(args, *common.fit_input(args), log=log)
        fits.update({s: fitter(spec) for s, spec in specs.items()})
    ordered = [fits[s] for s in args.specs]
    root = common.out_root(args)
    folds, cutoff = getattr(args, "cv_folds", 10), getattr(args, "cv_cutoff", None)
    models = common.fit_input(args)[0].models if cv != "loo" else None
    try:
        result = compare_fits(ordered, kfold=args.kfold, k=KFOLD_K, kfold_seed=args.seed,
                              kfold_dir=root / "compare" / "kfold", cv=cv, cv_folds=folds,
                              cv_cutoff=cutoff, models=models,
                              workers=getattr(args, "workers", 1), log=log, client=client)
    finally:
        if client is not None:
            client.close()
    # The id covers the fits themselves (spec, data, backend, sampler settings) and the
    # criterion: a comparison of short test chains must not replace a full one.
    cid = fit_id({"fits": [f.manifest["fit_id"] for f in ordered],
                  "criterion": result.criterion,
                  **({"cv": [cv, folds, cutoff, args.seed]} if cv != "loo" else {})})
    manifest = comparison_manifest(result, ordered, {"id": cid, "specs": args.specs,
                                                     "kfold": args.kfold, "cv": cv})
    folder = root / "compare" / cid
    with staged_dir(folder) as tmp:
        result.write(tmp)
        write_text(tmp / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
    log(f"written to {folder}")
    return Comparison(folder, result)
