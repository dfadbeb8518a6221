"""``gapbayes summary``: the gap table of a fit result."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from gapbayes.commands.common import add_subcommand
from gapbayes.commands.select import add_result_arguments, chosen_result
from gapbayes.commands.summary_by import (
    BY_CHOICES,
    print_benchmarks,
    print_groups,
    select_groups,
)
from gapbayes.commands.summary_country import print_country
from gapbayes.commands.summary_lab import print_lab
from gapbayes.model.host_effects import term_label

INTERVALS = "posterior median, 50% and 90% equal-tailed intervals (ETI)"
BIAS_LABELS = {
    "public_offset": "public-benchmark offset (negative: public benchmarks understate the gap)",
    "public_vs_private": "public minus private gap at the last month",
    "provider_penalty": "provider degradation (third-party hosts), as months",
    "self_report_offset": "self-report inflation, as months",
    "contamination": "contamination: months by which public benchmarks understate the gap",
    "china_offset": "Chinese open models' extra gap",
}

HELP = "gap table of a fit result"
DESCRIPTION = f"""
Print the posterior gap by access type and category at named dates ({INTERVALS}), the bias
terms, the country gaps and the lab lags when the result has them, and the diagnostics.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``summary`` subcommand."""
    p = add_subcommand(sub, "summary", help=HELP, description=DESCRIPTION, func=run)
    add_result_arguments(p)
    p.add_argument("--format", choices=["text", "csv", "json", "markdown"], default="text",
                   help="output format (default: %(default)s)")
    p.add_argument("--by", choices=BY_CHOICES, default=None,
                   help="one view of the gap vector at the last month: access type "
                        "(overall/private/public) or category (gap over the identified "
                        "benchmarks, their number, a new benchmark's interval), or benchmark "
                        "(saturated ones marked), or country (Chinese vs other open models), "
                        "or lab (each lab's lag behind the closed frontier and which lab "
                        "holds each group's frontier); default: access types and categories "
                        "at the named dates")


def run(args: argparse.Namespace) -> int:
    """Print the summary of one result."""
    from gapbayes.inference.results import load_result

    path = chosen_result(args)
    loaded = load_result(path)
    if args.by == "benchmark":
        print_benchmarks(loaded, args.format)
    elif args.by == "country":
        print_country(loaded, args.format)
    elif args.by == "lab":
        print_lab(loaded, args.format)
    elif args.by in ("access", "category"):
        print_groups(loaded, args.by, args.format)
    else:
        print_summary(loaded, args.format, by=args.by)
    return 0


def _fmt(row: pd.Series) -> str:
    if pd.isna(row["median"]):
        return "not identified"
    text = (f"{row['median']:5.1f} [{row['eti50_lo']:5.1f}, {row['eti50_hi']:5.1f}]"
            f" [{row['eti90_lo']:5.1f}, {row['eti90_hi']:5.1f}]")
    if "n_identified" in row and pd.notna(row.get("n_benchmarks")):
        text += f" {int(row['n_identified'])}/{int(row['n_benchmarks'])}"
    return text


WEIGHTING = ("Group gaps: equal weight over the group's benchmarks that are identified at that "
             "date (both frontiers inside 5-95% of the benchmark's range, the dates compared "
             "inside its category's scored releases; n/N after each interval); "
             "'not identified' where none is.")
ALL_BENCHMARKS = ("Group gaps: equal weight over all the group's benchmarks (a result made "
                  "before saturated benchmarks were left out; refit for the identified-only "
                  "gaps, or see summary --by).")


def gap_table(loaded) -> pd.DataFrame:
    """Return the gap at named dates, one row per (group, date, direction).

    Overall, private and public come first, then the categories.
    """
    table = loaded.tables["gap_at_dates"]
    first = ["overall", "private", "public"]
    order = {g: i for i, g in enumerate(
        first + sorted(g for g in dict.fromkeys(table["group"]) if g not in first))}
    return table.sort_values(by="group", key=lambda g: g.map(order), kind="stable")


def _forecast(row: pd.Series) -> str:
    return " forecast" if bool(row.get("forecast", False)) else ""


def _before(row: pd.Series) -> str:
    return " *" if bool(row.get("before_closed_data", False)) else ""


BEFORE_NOTE = ("* backward gap that reads the closed curve before the first closed release in "
               "more than 10% of draws: there the curve is its prior extrapolation, so the "
               "number comes mostly from the prior (on independent worlds such medians were "
               "4-9 months too small; docs/studies.md)")


def _window_line(man: dict) -> str:
    d = man.get("data", {})
    if "last_open_release" not in d:
        return ""
    return (f"Window: {d['first_month']} (first month with open and closed models) to "
            f"{d['last_month']} (last open release {d['last_open_release']}); "
            f"forward gaps marked 'forecast' rest on the open curve past that release.\n")


def _bias_value(row: pd.Series) -> str:
    """Format a bias term's interval with its support, or say why there is no number."""
    status = row.get("status")
    if not isinstance(status, str) or pd.isna(row.get("n_scores")):
        return _fmt(row)
    n = int(row["n_scores"])
    count = f"{n} score{'' if n == 1 else 's'}"
    if status != "estimated":
        return f"{status} ({count})"
    return f"{_fmt(row)}   ({count})"


def _trend_lines(loaded) -> list[str]:
    change = loaded.tables.get("gap_change")
    if change is None or change.empty:
        return []
    rows = change[change["group"] == "overall"]
    out = ["", "Change of the overall backward gap (months; posterior vs prior sd, "
               "P(widening)):"]
    for r in rows.itertuples():
        out.append(f"  {r.span:16s} {r.median:5.1f} [{r.eti90_lo:5.1f}, {r.eti90_hi:5.1f}] "
                   f"90% ETI   sd {r.posterior_sd:.1f} (prior {r.prior_sd:.1f})   "
                   f"P(widening) {r.p_widening:.2f}")
    return out


def _prior_line(man: dict) -> str:
    pc = man.get("prior_check")
    if not pc:
        return ""
    outside = [k for k, q in pc["quantiles"].items() if not 0.01 <= q <= 0.99]
    if not outside:
        return (f"prior check: PASS (every hyperparameter's posterior median inside its "
                f"prior's 1-99% band; {len(pc['quantiles'])} checked)")
    return ("prior check: FAIL: posterior median outside the prior's 1-99% band for "
            + ", ".join(f"{k} (quantile {pc['quantiles'][k]:.3f})" for k in outside))


def _ceiling_line(man: dict) -> str:
    cc = man.get("ceiling_check")
    if not cc:
        return ""
    q = cc["quantiles"]
    low = [f"{k} (quantile {v:.3f})" for k, v in q.items() if v < 0.01]
    high = [f"{k} (quantile {v:.3f})" for k, v in q.items() if v > 0.99]
    if not low and not high:
        return (f"ceiling check: every benchmark ceiling's posterior median inside its "
                f"label-error prior's 1-99% band ({len(q)} checked)")
    parts = []
    if low:
        parts.append("below the band for " + ", ".join(low) + ": the ceiling stands in for "
                     "what the link cannot draw (a plateau: [switches] "
                     "asymmetric_link_benchmarks; or a capability the benchmark's category "
                     "does not hold)")
    if high:
        parts.append("above the band for " + ", ".join(high) + ": the best scores come "
                     "closer to 1 than the prior's label-error rate allows")
    return ("ceiling check: WARNING: ceiling median outside its label-error prior's 1-99% "
            "band: " + "; ".join(parts))


def print_summary(loaded, fmt: str = "text", out=None, by: str | None = None) -> None:
    """Print a result's gap table, bias terms and diagnostics line in ``fmt``.

    ``by`` ("access" or "category") keeps only those groups; None prints both.
    """
    from gapbayes.inference.results import backend_label

    out = out or sys.stdout
    man = loaded.manifest
    gaps = select_groups(gap_table(loaded), by)
    bias = loaded.tables.get("bias_terms", pd.DataFrame())
    diag = man["diagnostics"]
    if fmt == "json":
        json.dump({"result": man["name"], "intervals": INTERVALS,
                   "gap_at_dates": gaps.to_dict("records"),
                   "bias_terms_months": bias.to_dict("records"),
                   "diagnostics": diag}, out, indent=2, default=str)
        out.write("\n")
        return
    if fmt == "csv":
        both = pd.concat([gaps.assign(kind="gap"),
                          bias.rename(columns={"term": "group"}).assign(kind="bias_months")],
                         ignore_index=True)
        both.to_csv(out, index=False, float_format="%.3f")
        return
    sampler = man["sampler"]
    head = (f"gapbayes result {man['name']}: spec {man['spec']['name']} ({man['spec_id']}), "
            f"data {man['data']['label']} {man['data']['hash']}, backend {backend_label(man)}"
            f", {sampler['chains']} chains x {sampler['draws']} draws, "
            f"seed {sampler['seed']}")
    dates = list(dict.fromkeys(gaps["date"]))
    if fmt == "markdown":
        weighting = WEIGHTING if "n_identified" in gaps else ALL_BENCHMARKS
        out.write(f"**{head}**\n\nGap in months: {INTERVALS}. {weighting}\n\n")
        out.write("| group | date | backward | forward |\n|---|---|---|---|\n")
    else:
        out.write(head + "\n")
        out.write(_window_line(man) + "\n")
        out.write(f"Open-weight gap in months: {INTERVALS}\n")
        out.write((WEIGHTING if "n_identified" in gaps else ALL_BENCHMARKS) + "\n")
        out.write(f"{'group':28s} {'date':16s} {'backward-looking':38s} forward-looking\n")
    for group in dict.fromkeys(gaps["group"]):
        for date in dates:
            sel = gaps[(gaps["group"] == group) & (gaps["date"] == date)]
            b = sel[sel["direction"] == "backward"].iloc[0]
            f = sel[sel["direction"] == "forward"].iloc[0]
            if fmt == "markdown":
                out.write(f"| {group} | {date} | {_fmt(b)}{_before(b)} | "
                          f"{_fmt(f)}{_forecast(f)} |\n")
            else:
                out.write(f"{group:28s} {date:16s} {_fmt(b) + _before(b):38s} "
                          f"{_fmt(f)}{_forecast(f)}\n")
    if "before_closed_data" in gaps and gaps["before_closed_data"].astype(bool).any():
        out.write(("\n" if fmt == "markdown" else "") + BEFORE_NOTE + "\n")
    if not bias.empty:
        out.write("\nBias terms in months (" + INTERVALS + "):\n" if fmt == "text"
                  else "\n| bias term | months |\n|---|---|\n")
        for _, row in bias.iterrows():
            label = term_label(str(row["term"]), BIAS_LABELS)
            value = _bias_value(row)
            if fmt == "markdown":
                out.write(f"| {label} | {value} |\n")
            else:
                out.write(f"  {label:72s} {value}\n")
    from gapbayes.inference.diagnostics import Check, Diagnostics

    if fmt == "text" and ({"country_gaps", "country_lags"} & set(loaded.tables)):
        out.write("\n")
        print_country(loaded, fmt, out)
    if fmt == "text" and "lab_lags" in loaded.tables:
        out.write("\n")
        print_lab(loaded, fmt, out)
    if fmt == "text":
        for text in _trend_lines(loaded):
            out.write(text + "\n")
    line = Diagnostics([Check(**c) for c in diag["checks"]]).line()
    out.write(f"\n{line}\n")
    for extra in (_prior_line(man), _ceiling_line(man)):
        if extra:
            out.write(extra + "\n")
