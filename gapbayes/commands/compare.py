"""``gapbayes compare``: fit several specs on the same data and compare them (PSIS-LOO)."""

from __future__ import annotations

import argparse

from gapbayes.commands import common
from gapbayes.commands.argtypes import iso_date, positive_int

LOMO_FOLDS = 10   # gapbayes.comparison.crossval.LOMO_FOLDS (not imported: keeps --help fast)


HELP = "fit specs on the same data and compare them (PSIS-LOO, stacking weights)"
DESCRIPTION = """
Fit each SPEC on the same data (reusing cached fits), then compare them by PSIS-LOO on the score
likelihood (y_sig + y_lin; the selection spec's 'evaluated' likelihood is left out): elpd
differences and their standard errors, Pareto-k counts, stacking weights and the gap posteriors
side by side. When a Pareto k is high, a warning says so; with --kfold auto every spec is then
compared on exact 5-fold CV instead (5 refits per spec: on the full data about an hour on 2
cores). Writes OUT/compare/<id>/ (comparison.csv, gaps.csv, pointwise_elpd.csv, compare.png,
manifest.json) atomically and prints the table. Fits made on different data are refused (exit
code 2).
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    p = common.add_subcommand(sub, "compare", help=HELP, description=DESCRIPTION, func=run)
    p.add_argument("specs", nargs="+", metavar="SPEC",
                   help="shipped spec name (see 'gapbayes specs'), spec .toml path, or an "
                        "existing fit result folder; at least two")
    common.add_fit_arguments(p)
    common.add_format_argument(p)
    p.add_argument("--kfold", choices=["auto", "always", "never"], default="never",
                   help="exact 5-fold CV over (model, benchmark) score cells: when a Pareto k "
                        "is high (auto), always, or never (default: PSIS-LOO with a warning "
                        "when k is high)")
    p.add_argument("--cv", choices=["loo", "lomo", "lfo"], default="loo",
                   help="loo: PSIS-LOO (default); lomo: leave-one-model-out, exact refits on "
                        "folds of base models; lfo: leave-future-out, fit on the models released "
                        "before --cv-cutoff and score the later ones. lomo and lfo may compare "
                        "specs that select different benchmarks (e.g. default and timeshift-v1) "
                        "on the scores they all predict")
    p.add_argument("--cv-folds", type=positive_int, default=LOMO_FOLDS,
                   help="LOMO folds (default %(default)s; seed: --seed)")
    p.add_argument("--cv-cutoff", type=iso_date, metavar="DATE",
                   help="LFO cut-off date (default: the last 20%% of base models are predicted)")
    p.add_argument("--workers", type=positive_int, default=1,
                   help="refits in parallel processes (default %(default)s; each uses --cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the refits (--cv lomo|lfo, --kfold) on the Dask cluster whose "
                        "scheduler is at ADDRESS (tcp://host:8786) instead of --workers local "
                        "processes; results come back to this machine, so the workers need "
                        "not share its disk")


def run(args: argparse.Namespace) -> int:
    """Fit (or reuse) every spec, compare, write the folder and print the table."""
    import sys

    from gapbayes.commands.compare_run import run_compare

    comparison = run_compare(args, log=common.log_stderr)
    sys.stdout.write(comparison.text(args.format))
    return 0
