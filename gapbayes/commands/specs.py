"""``gapbayes specs``: list the shipped model specifications."""

from __future__ import annotations

import argparse
import json

from gapbayes.commands.common import add_subcommand

HELP = "list the shipped model specifications"
DESCRIPTION = """
List shipped specs with their content-hash ids and switches, or print one resolved spec.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``specs`` subcommand."""
    p = add_subcommand(sub, "specs", help=HELP, description=DESCRIPTION, func=run)
    p.add_argument("name", nargs="?", help="print this spec (name or .toml path) in full")


def run(args: argparse.Namespace) -> int:
    """Print the list or one spec."""
    from gapbayes.model.spec import load_spec, shipped_spec_names

    if args.name:
        spec = load_spec(args.name)
        print(json.dumps({"id": spec.spec_id, **spec.as_dict()}, indent=2))
        return 0
    for name in shipped_spec_names():
        spec = load_spec(name)
        # a list-valued switch (asymmetric_link_benchmarks) shows what it lists, a string-valued
        # one (shortfall) its value
        on = [k if v is True else f"{k}={v}" if isinstance(v, str) else f"{k} ({', '.join(v)})"
              for k, v in spec.switches.items() if v]
        print(f"{name:16s} {spec.spec_id}  switches on: {', '.join(on) or '-'}")
        print(f"{'':16s} {spec.description}")
    return 0
