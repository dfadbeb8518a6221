"""``gapbayes fit``: fit a model specification to tidy data and write a result folder."""

from __future__ import annotations

import argparse

from gapbayes.commands.common import add_fit_arguments, add_subcommand, fit_input, spec_fitter
from gapbayes.errors import EXIT_DIAGNOSTICS_FAILED

HELP = "fit a model specification (default: the default spec on the bundled data)"
DESCRIPTION = """
Fit a gapbayes specification. Writes results/<data>-<spec>-<id>/ with posterior.nc, summary
CSVs, plots and manifest.json; re-running with the same inputs reuses the cached result unless
--force.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``fit`` subcommand."""
    p = add_subcommand(sub, "fit", help=HELP, description=DESCRIPTION, func=run)
    p.add_argument("--spec", default="default",
                   help="shipped spec name (see 'gapbayes specs') or path to a spec .toml "
                        "(default: %(default)s)")
    add_fit_arguments(p)
    p.add_argument("--strict", action="store_true",
                   help="exit with code 3 when any diagnostic fails")


def run(args: argparse.Namespace) -> int:
    """Run the fit and print the summary."""
    from gapbayes.commands.summary import print_summary
    from gapbayes.inference.results import load_result
    from gapbayes.model.spec import load_spec

    spec = load_spec(args.spec)
    inp, subset = fit_input(args)
    result = spec_fitter(args, inp, subset)(spec)
    loaded = load_result(result.path)
    print_summary(loaded, "text")
    if args.strict and not loaded.manifest["diagnostics"]["passed"]:
        return EXIT_DIAGNOSTICS_FAILED
    return 0
