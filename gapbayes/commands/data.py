"""``gapbayes data build|validate|import|info``: the tidy tables (docs/data-format.md).

Flags::

    data build    [--raw DIR] [--metadata FILE] [--rules FILE] [--out DIR]
    data validate [--data DIR] [--metadata FILE]
    data import   FILE --metadata FILE [--format long|wide] [--rules FILE] [--out DIR]
    data info     [--data DIR]

Bad input exits with code 2 and one line naming file, line and column; nothing is written.
``data import`` of 100,000 rows or more reports its phases on stderr as it goes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gapbayes import paths
from gapbayes.commands.common import add_command_group, add_subcommand

_DATA_HELP = (
    "data folder holding tidy/ (or the tidy folder itself); default: the bundled "
    "data/ (env GAPBAYES_DATA)"
)


def _path_option(parser: argparse.ArgumentParser, flag: str, metavar: str, help_text: str,
                 **kw) -> None:
    """Add a path-valued option (the data commands have many)."""
    parser.add_argument(flag, type=Path, metavar=metavar, help=help_text,
                        **{"default": None, **kw})


HELP = "build, validate, import and summarise the tidy tables"
DESCRIPTION = """
The tidy tables models.csv, benchmarks.csv and scores.csv (plus unclassified.csv and
dropped_models.csv) described in docs/data-format.md.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` subcommand and its sub-subcommands to ``subparsers``."""
    sub = add_command_group(subparsers, "data", help=HELP, description=DESCRIPTION,
                            dest="data_command", metavar="ACTION")

    b = add_subcommand(sub, "build", func=run_build,
                       help="build the tidy tables from the raw Epoch dump", description="""
        Read the Epoch AI Benchmarking Hub dump, the accessibility overrides, the benchmark
        metadata and the model rules, and write OUT/tidy/*.csv atomically (all tables or none)
        and reproducibly (same input, same bytes).""")
    _path_option(b, "--raw", "DIR", "folder with the epoch-benchmark-hub-*/ dump and "
                 "accessibility-overrides.csv (default: data/raw)")
    _path_option(b, "--metadata", "FILE",
                 "benchmark metadata TOML (default: data/benchmarks.toml)")
    _path_option(b, "--rules", "FILE", "model rules TOML: families, host prefixes, access "
                 "rules, duplicate resolutions (default: data/model_rules.toml)")
    _path_option(b, "--out", "DIR", "data folder to write tidy/ into (default: the bundled "
                 "data folder in a checkout, ./data when gapbayes is installed from a wheel)")

    v = add_subcommand(sub, "validate", func=run_validate,
                       help="check existing tidy tables (and the metadata) without writing",
                       description="""
        Validate the tidy tables (types, keys, sort order, links between tables, scores on
        their scale) and check benchmarks.csv against the metadata. Exit 0 when valid, 2
        otherwise.""")
    _path_option(v, "--data", "DIR", _DATA_HELP)
    _path_option(v, "--metadata", "FILE", "benchmark metadata to validate and compare with "
                 "benchmarks.csv (default: DIR/benchmarks.toml when it exists)")

    i = add_subcommand(sub, "import", func=run_import,
                       help="tidy tables from your own long or wide score table", description="""
        Long format: columns model, release_date, access, benchmark, score (optional stderr,
        setting, source, organization, country). Wide format: model, release_date, access
        (optional organization, country) and one column per benchmark id, empty = not
        evaluated. access is open, closed or unknown; dates YYYY-MM-DD.""")
    i.add_argument("file", type=Path, metavar="FILE", help="the score table (CSV, UTF-8)")
    _path_option(i, "--metadata", "FILE", "benchmark metadata: TOML like "
                 "data/benchmarks.toml, or CSV with the columns of benchmarks.csv (required)",
                 required=True)
    i.add_argument(
        "--format", choices=("long", "wide"), default="long", help="layout of FILE (default: long)"
    )
    _path_option(i, "--rules", "FILE", "model rules TOML for families and host prefixes "
                 "(default: data/model_rules.toml)")
    _path_option(i, "--out", "DIR", "folder to write tidy/ into (default: the current folder)",
                 default=Path("."))

    n = add_subcommand(sub, "info", func=run_info, help="print counts of the tidy tables",
                       description="""
        Models by access and country, benchmarks by access type and category, scores (total and
        usable), release date range, and per benchmark the raw rows left out of scores.csv or
        not yet usable.""")
    _path_option(n, "--data", "DIR", _DATA_HELP)


def run_build(args: argparse.Namespace) -> int:
    """Build the tidy tables and print what was done."""
    from gapbayes.data.build import build

    report = build(raw=args.raw, metadata=args.metadata, rules=args.rules, out=args.out)
    print("\n".join(report.lines()))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Validate the tidy tables (and the metadata); print one line when valid."""
    from gapbayes.data.validate import validate

    print(validate(args.data, args.metadata))
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Import a score table and print what was written."""
    from gapbayes.data.defaults import start_date_note
    from gapbayes.data.importer import import_scores

    tables = import_scores(
        args.file, args.metadata, fmt=args.format, out=args.out, rules=args.rules,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    access = tables["models"]["access"].value_counts()
    print(
        f"wrote {paths.tidy_dir(args.out)}: {len(tables['models'])} models "
        f"({access.get('open', 0)} open, {access.get('closed', 0)} closed, "
        f"{access.get('unknown', 0)} unknown), {len(tables['benchmarks'])} benchmarks, "
        f"{len(tables['scores'])} scores"
    )
    if note := start_date_note(tables["models"]):
        print(note)
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Print the counts of the tidy tables."""
    from gapbayes.data.info import info_lines

    print("\n".join(info_lines(args.data)))
    return 0
