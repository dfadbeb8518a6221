"""``gapbayes sbc-selection``: SBC of the selection switch on a fixed sampling frame.

Flags (``gapbayes sbc-selection --help``)::

    --spec NAME|FILE        spec whose model is checked with the switch ``selection`` on
                            (default: default)
    --simulations N         number of simulated worlds (default 40)
    --n-models, --n-benchmarks, --design-seed
                            the frame (default 60 models, 6 benchmarks; one category,
                            sigmoid links, no effort variants: gapbayes/sbc/selection.py)
    --draws, --tune, --chains, --thin, --target-accept, --cores
                            per-fit sampling; ranks among L = chains * draws / thin draws
    --seed S                seeds simulations, fits and PIT jitter
    --out DIR               run folder (default results/sbc/selection-<spec>-<id>/)
    --include-not-converged rank non-converged fits too
    --report-only           only rewrite the report of an existing run folder
    --strict                exit with code 3 when SBC fails

Each simulation draws every parameter, every unit's ability, a score for every candidate
pair and the evaluation pattern from the model; the fit sees the evaluated pairs' scores and
the pattern, on the same frame. Which units are scored changes with the pattern, so each fit
compiles its own model (about a minute per simulation at the default size, 2 cores). The run
folder holds sbc.json, sims/<i>.json (rerunning resumes), ranks.csv, tests.csv, ecdf.png,
summary.json and summary.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

from gapbayes.commands.argtypes import nonnegative_int, positive_int
from gapbayes.commands.common import add_subcommand
from gapbayes.commands.sbc import add_report_flags, add_sampling_flags
from gapbayes.errors import EXIT_DIAGNOSTICS_FAILED, GapbayesError

HELP = "simulation-based calibration of the selection switch on a fixed frame"
DESCRIPTION = """
Draw parameters, abilities, scores and the evaluation pattern (which models are evaluated
on which benchmarks) from the model with the switch 'selection' on, fit the evaluated scores
and the pattern, and test that the ranks of the prior draws are uniform.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sbc-selection`` subcommand."""
    p = add_subcommand(sub, "sbc-selection", help=HELP, description=DESCRIPTION, func=run)
    p.add_argument("--spec", default="default",
                   help="spec of the frontier family; the switch 'selection' is turned on "
                        "(default: %(default)s)")
    p.add_argument("--simulations", type=positive_int, default=40,
                   help="number of simulations (default: %(default)s)")
    g = p.add_argument_group("the fixed frame")
    g.add_argument("--n-models", type=positive_int, default=60)
    g.add_argument("--n-benchmarks", type=positive_int, default=6)
    g.add_argument("--design-seed", type=nonnegative_int, default=0)
    add_sampling_flags(p, chains=4, cores_help="cpu count")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="(default %(default)s)")
    p.add_argument("--out", type=Path,
                   help="run folder (default results/sbc/selection-<spec>-<id>/)")
    p.add_argument("--include-not-converged", action="store_true",
                   help="rank non-converged fits too")
    add_report_flags(p, progress_help="no line per finished fit")


def _config(args: argparse.Namespace, spec_dict: dict, settings: dict) -> dict:
    """Return the run's configuration (a folder never mixes ranks from different ones)."""
    return {"kind": "selection", "spec": spec_dict, "simulate_spec": spec_dict,
            "backend": "pymc",
            "design": {"n_models": args.n_models, "n_benchmarks": args.n_benchmarks,
                       "design_seed": args.design_seed},
            "settings": settings, "seed": args.seed}


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the selection SBC and print its summary."""
    from gapbayes.atomic import write_text
    from gapbayes.model.spec import load_spec
    from gapbayes.paths import results_dir
    from gapbayes.sbc.backends import SBCSettings
    from gapbayes.sbc.report import summarise
    from gapbayes.sbc.selection import SelectionQuantities, run_selection_sbc, selection_design

    spec = load_spec(args.spec)
    if spec.model != "frontier":
        raise GapbayesError(f"--spec: the selection switch belongs to the frontier model; "
                            f"'{spec.name}' is a {spec.model} spec")
    spec = spec.with_changes(switches={"selection": True})
    settings = SBCSettings(chains=args.chains, draws=args.draws, tune=args.tune,
                           thin=args.thin, target_accept=args.target_accept,
                           cores=args.cores or max(1, os.cpu_count() or 1))
    config = _config(args, spec.as_dict(), settings.as_dict())
    run_id = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()
                            ).hexdigest()[:8]
    out = args.out or results_dir() / "sbc" / f"selection-{spec.name}-{run_id}"
    manifest = out / "sbc.json"
    if manifest.exists():
        old = json.loads(manifest.read_text()).get("config")
        if json.loads(json.dumps(config, default=str)) != old:
            raise GapbayesError(f"--out: {out} holds a run with another configuration; "
                                "choose another folder")
    elif args.report_only:
        raise GapbayesError(f"{out}: no SBC run there to report on")
    if not args.report_only:
        design = selection_design(spec, args.n_models, args.n_benchmarks, args.design_seed)
        quantities = SelectionQuantities(design)
        out.mkdir(parents=True, exist_ok=True)
        write_text(manifest, json.dumps({"problem_id": run_id, "config": config,
                                         "quantities": quantities.describe()},
                                        indent=2, default=str) + "\n")

        def show(i: int, rec: dict) -> None:
            print(f"simulation {i}: {rec['status']} ({rec['seconds']:.0f} s)"
                  + (f": {rec['reason'][:200]}" if rec.get("reason") else ""), flush=True)

        run_selection_sbc(design, out, args.simulations, settings, seed=args.seed,
                          progress=None if args.no_progress else show)
    summary = summarise(out, requested=args.simulations,
                        include_not_converged=args.include_not_converged)
    print((out / "summary.md").read_text(), end="")
    print(f"report: {out}")
    return EXIT_DIAGNOSTICS_FAILED if args.strict and not summary["passed"] else 0
