"""The sections of the HTML fit report, one function each.

Every piece of text that comes from a file goes through :func:`esc` (``html.escape``;
:mod:`gapbayes.reporting.report_style` holds it with the labels, CSS and figure list).
:mod:`gapbayes.reporting.report` assembles the page from these sections and those of
:mod:`gapbayes.reporting.report_checks` (diagnostics, provenance).
"""

from __future__ import annotations

import base64
import html
import re

import pandas as pd

from gapbayes.errors import GapbayesError
from gapbayes.model.host_effects import term_label
from gapbayes.reporting.report_style import (
    ACCESS_GROUPS,
    BASELINE_GROUPS,
    BIAS_LABELS,
    FIG_ACCESS,
    FIG_CATEGORY,
    FIG_CURVES,
    FIG_DIRECTION,
    FIG_VECTOR,
    GROUP_TITLES,
    FigureSpec,
    esc,
    interval,
    month_of,
    num,
    png_size,
)


def _last_date(gaps: pd.DataFrame) -> str:
    """Return the ``last (YYYY-MM)`` label of the gap table (the last data month)."""
    labels = [d for d in dict.fromkeys(gaps["date"].astype(str)) if d.startswith("last")]
    if not labels:
        raise GapbayesError("gap_at_dates.csv has no 'last (...)' date: not a gapbayes fit "
                            "result or from an incompatible version")
    return labels[0]


def _row(gaps: pd.DataFrame, group: str, date: str,
         direction: str = "backward") -> pd.Series | None:
    sel = gaps[(gaps["group"] == group) & (gaps["date"].astype(str) == date)
               & (gaps["direction"] == direction)]
    return None if sel.empty else sel.iloc[0]


def headline_html(gaps: pd.DataFrame) -> str:
    """Return the headline sentence as escaped HTML, the gap figures in bold.

    The backward-looking gap by access type at the last data month, e.g. "Open-weight models
    trail the closed frontier by 5.9 months (90% ETI 2.7 to 9.0) on private benchmarks and
    3.8 months (90% ETI 0.8 to 7.0) on public benchmarks; 4.8 months (90% ETI 1.8 to 7.9)
    across all benchmarks, in 2026-04 (the last data month)."

    Parameters
    ----------
    gaps
        The result's ``gap_at_dates`` table.

    Raises
    ------
    GapbayesError
        When the table has no overall, private or public row at the last month.
    """
    last = _last_date(gaps)
    parts = {}
    for group, where in ACCESS_GROUPS.items():
        row = _row(gaps, group, last)
        if row is not None:
            where = "across all benchmarks" if group == "overall" else f"on {where}"
            parts[group] = (f"<strong>{esc(num(row['median']))} months</strong> "
                            f"(90% ETI {esc(interval(row))}) {esc(where)}")
    split = [parts[g] for g in ("private", "public") if g in parts]
    if not split and "overall" not in parts:
        raise GapbayesError("gap_at_dates.csv has no overall, private or public row")
    text = "Open-weight models trail the closed frontier by " + " and ".join(split)
    if "overall" in parts:
        text += f"; {parts['overall']}" if split else parts["overall"]
    return text + f", in {esc(month_of(last))} (the last data month)."


def headline_text(gaps: pd.DataFrame) -> str:
    """Return the headline sentence as plain text (see :func:`headline_html`)."""
    return html.unescape(re.sub(r"</?strong>", "", headline_html(gaps)))


def interval_cell(row: pd.Series | None) -> str:
    """Return a table cell: the median in bold, then the 50% and 90% ETI ("n/a" without row)."""
    if row is None:
        return '<td class="num">n/a</td>'
    return (f'<td class="num"><strong>{esc(num(row["median"]))}</strong> '
            f'<span title="50% ETI">[{esc(interval(row, 50))}]</span> '
            f'<span title="90% ETI">[{esc(interval(row, 90))}]</span></td>')


def diagnostics_verdict(manifest: dict) -> tuple[bool, str]:
    """Whether every diagnostic passed, and the one-line verdict shown in the report."""
    diag = manifest.get("diagnostics", {})
    checks = diag.get("checks", [])
    passed = bool(diag.get("passed")) and all(c.get("passed") for c in checks)
    if passed:
        return True, "PASS: every check passed"
    failed = ", ".join(str(c.get("name", "?")) for c in checks if not c.get("passed"))
    return False, (f"FAIL: {len(checks) - sum(bool(c.get('passed')) for c in checks)} of "
                   f"{len(checks)} checks failed ({failed}); read the gap numbers with care "
                   "(the sampler may not have converged)")


def section_headline(gaps: pd.DataFrame, manifest: dict | None = None) -> str:
    """Headline: the diagnostics verdict, then the gap by access type at the last month.

    A failed fit says so before any number (the verdict links to the Diagnostics section).
    """
    last = _last_date(gaps)
    dates = list(dict.fromkeys(gaps["date"].astype(str)))
    rows = []
    for group in ("overall", "private", "public"):
        for date in dates:
            back, fwd = _row(gaps, group, date), _row(gaps, group, date, "forward")
            if back is None and fwd is None:
                continue
            rows.append(f"<tr><td>{esc(GROUP_TITLES[group])}</td><td>{esc(date)}</td>"
                        f"{interval_cell(back)}{interval_cell(fwd)}</tr>")
    passed, verdict = diagnostics_verdict(manifest or {})
    banner = (f'<p class="banner {"pass" if passed else "fail"}" id="verdict">'
              f'<a href="#diagnostics">Diagnostics</a> {esc(verdict)}</p>'
              if manifest is not None else "")
    return f"""
<section id="headline">
{banner}
<p class="headline" id="headline-text">{headline_html(gaps)}</p>
<p class="note">Backward-looking gap: how many months ago the closed frontier stood where the
open frontier stands in {esc(month_of(last))}. Posterior median with its 90% equal-tailed
interval (ETI): the gap lies inside it with 90% posterior probability.</p>
<table>
<tr><th>group</th><th>date</th><th>backward-looking gap, months: median [50% ETI] [90% ETI]</th>
<th>forward-looking gap, months</th></tr>
{''.join(rows)}
</table>
</section>"""


def figure_html(figures: dict[str, bytes], fig: FigureSpec) -> str:
    """Return ``fig`` as an embedded PNG with its caption, or a note when it is missing."""
    data = figures.get(fig.stem)
    if data is None:
        return (f'<p class="note">Figure {esc(fig.stem)}.png is not available for this result '
                '(see Provenance, figures).</p>')
    size = png_size(data)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<figure id="fig-{esc(fig.stem)}"><img alt="{esc(fig.title)}"{dims} '
            f'src="data:image/png;base64,{b64}">'
            f"<figcaption>{esc(fig.caption)}</figcaption></figure>")


def section_over_time(figures: dict[str, bytes]) -> str:
    """Gap over time: the access-type and direction figures."""
    return f"""
<section id="over-time">
<h2>Gap over time</h2>
{figure_html(figures, FIG_ACCESS)}
{figure_html(figures, FIG_DIRECTION)}
</section>"""


def section_category(gaps: pd.DataFrame, figures: dict[str, bytes]) -> str:
    """Gap by benchmark category: table at the report dates and the figure."""
    last = _last_date(gaps)
    dates = [d for d in dict.fromkeys(gaps["date"].astype(str)) if d != last] + [last]
    cats = [g for g in dict.fromkeys(gaps["group"]) if str(g).startswith("category:")]
    head = "".join(f"<th>{esc(d)}</th>" for d in dates)
    rows = "".join(
        f"<tr><td>{esc(str(c).removeprefix('category:').replace('_', ' '))}</td>"
        + "".join(interval_cell(_row(gaps, c, d)) for d in dates) + "</tr>"
        for c in cats)
    table = (f"<table><tr><th>category (backward-looking gap, months: median [50% ETI] "
             f"[90% ETI])</th>{head}</tr>{rows}</table>" if cats
             else '<p class="note">No category groups in this result.</p>')
    return f"""
<section id="category">
<h2>Gap by benchmark category</h2>
{table}
{figure_html(figures, FIG_CATEGORY)}
</section>{section_vector(gaps, figures)}"""


def _vector_row(r: pd.Series) -> str:
    name = str(r["group"]).removeprefix("category:").replace("_", " ")
    gap = (f"{num(r['median'])} [{interval(r)}]" if pd.notna(r["median"])
           else "not identified")
    new = (f"{num(r['new_benchmark_median'])} [{num(r['new_benchmark_eti90_lo'])} to "
           f"{num(r['new_benchmark_eti90_hi'])}]" if pd.notna(r.get("new_benchmark_median"))
           else "")
    return (f"<tr><td>{esc(name)}</td><td class=\"num\">{esc(gap)}</td>"
            f"<td class=\"num\">{int(r['n_identified'])} of {int(r['n_benchmarks'])}</td>"
            f"<td class=\"num\">{esc(new)}</td></tr>")


def section_vector(gaps: pd.DataFrame, figures: dict[str, bytes]) -> str:
    """Return the gap-vector section: per category at the last month, and its figure.

    The table gives each category's gap over its identified benchmarks, their number and a
    new benchmark's interval; the figure every category and benchmark.
    """
    last = _last_date(gaps)
    table = '<p class="note">This result has no gap-vector columns (written before them).</p>'
    if "n_identified" in gaps:
        rows = gaps[(gaps["date"].astype(str) == last) & (gaps["direction"] == "backward")
                    & gaps["group"].astype(str).str.startswith("category:")]
        table = ("<table><tr><th>category</th><th>backward gap, months: median [90% ETI]</th>"
                 "<th>identified benchmarks</th><th>new benchmark of the category: median "
                 "[90% ETI]</th></tr>" + "".join(_vector_row(r) for _, r in rows.iterrows())
                 + "</table>")
    return f"""
<section id="gap-vector">
<h2>The gap as a vector ({esc(month_of(last))})</h2>
<p class="note">A group's gap: equal weight over its benchmarks identified at that month (the
open frontier inside 5-95% of a benchmark's range, and the dates compared inside its
category's scored releases); "not identified" where none is.</p>
{table}
{figure_html(figures, FIG_VECTOR)}
</section>"""


def _baseline_cell(point: dict | None) -> str:
    if not point or point.get("gap") is None:
        return '<td class="num">n/a</td>'
    ci = ""
    if point.get("lo90") is not None and point.get("hi90") is not None:
        ci = f" [{num(point['lo90'])} to {num(point['hi90'])}]"
    return (f'<td class="num"><strong>{esc(num(point["gap"]))}</strong>{esc(ci)}<br>'
            f'<span class="note">at {esc(point.get("date", "?"))}</span></td>')


def _model_cell(row: pd.Series | None, date: str) -> str:
    if row is None:
        return '<td class="num">n/a</td>'
    return (f'<td class="num"><strong>{esc(num(row["median"]))}</strong> '
            f'[{esc(interval(row))}]<br><span class="note">at {esc(month_of(date))}</span></td>')


def section_baseline(gaps: pd.DataFrame, baseline: dict | None,
                      baseline_note: str) -> str:
    """Baseline section: the threshold-crossing baseline beside the model at the same dates."""
    if baseline is None:
        body = f'<p class="note">{esc(baseline_note)}</p>'
    else:
        last = _last_date(gaps)
        named = [d for d in dict.fromkeys(gaps["date"].astype(str)) if d == "2025-01-20"]
        rows = []
        for group, bgroup in BASELINE_GROUPS.items():
            b = baseline["groups"].get(bgroup)
            if b is None and _row(gaps, group, last) is None:
                continue
            b = b or {}
            rows.append(
                f"<tr><td>{esc(GROUP_TITLES[group])}</td>"
                f"{_baseline_cell(b.get('last'))}{_model_cell(_row(gaps, group, last), last)}"
                + ("".join((_baseline_cell(b.get("near_2025_01_20")),
                            _model_cell(_row(gaps, group, named[0]), named[0])))
                   if named else "")
                + f'<td class="num">{esc(b.get("n_datapoints", "n/a"))}</td></tr>')
        near = ("<th>baseline near 2025-01-20</th><th>gapbayes at 2025-01-20</th>"
                if named else "")
        sigma = baseline.get("parameters", {}).get("sigma_days", "?")
        body = f"""
<table>
<tr><th>group</th><th>baseline, last smoothed date [90% bootstrap]</th>
<th>gapbayes, last data month [90% ETI]</th>{near}<th>baseline datapoints</th></tr>
{''.join(rows)}
</table>
<p class="note">Baseline: the published threshold-crossing method (first open minus first
closed model to cross each score threshold), smoothed with a Gaussian kernel (sd
{esc(sigma)} days); its interval is a bootstrap percentile interval over datapoints.
gapbayes: posterior median and 90% ETI of the backward-looking gap. The baseline's first
crossings are noisy maxima (winner's curse), which the model does not use.
{esc(baseline_note)}</p>"""
    return f"""
<section id="baseline">
<h2>Baseline vs Bayesian</h2>
{body}
</section>"""


def _bias_row(r: pd.Series) -> str:
    """One table row of a bias term; a term without support shows its status instead."""
    status = r.get("status")
    has_support = isinstance(status, str) and not pd.isna(r.get("n_scores"))
    n = int(r["n_scores"]) if has_support else 0
    support = f"{n} score{'' if n == 1 else 's'}" if has_support else ""
    name = (f"<td>{esc(term_label(str(r['term']), BIAS_LABELS))}</td>"
            f"<td><code>{esc(r['term'])}</code></td>")
    if has_support and status != "estimated":
        return (f'<tr>{name}<td class="num" colspan="3">{esc(status)}</td>'
                f'<td class="num">{esc(support)}</td></tr>')
    return (f'<tr>{name}<td class="num"><strong>{esc(num(r["median"]))}</strong></td>'
            f'<td class="num">{esc(interval(r, 50))}</td>'
            f'<td class="num">{esc(interval(r, 90))}</td>'
            f'<td class="num">{esc(support)}</td></tr>')


def section_bias(bias: pd.DataFrame | None) -> str:
    """Posterior summaries of the bias terms (or a note that the spec has none)."""
    if bias is None or bias.empty:
        body = '<p class="note">This specification has no bias terms.</p>'
    else:
        rows = "".join(_bias_row(r) for _, r in bias.iterrows())
        body = f"""
<table>
<tr><th>bias term</th><th>name</th><th>median (months)</th><th>50% ETI</th><th>90% ETI</th>
<th>support</th></tr>
{rows}
</table>
<p class="note">Capability shifts are converted to months with the closed frontier's growth
rate (model v2: at the release times of the scores they affect; timeshift-v1: at the last data
month); the public terms are gap differences in months already. Support: the number of scores
a term acts on; a term no score informs is "not estimable (prior only)", one whose scores carry
no same-weights contrast is "not identified on this data".</p>"""
    return f"""
<section id="bias">
<h2>Bias terms</h2>
{body}
</section>"""


def section_curves(figures: dict[str, bytes]) -> str:
    """Per-benchmark capability curves and the posterior predictive figures."""
    return f"""
<section id="benchmarks">
<h2>Per-benchmark curves</h2>
{figure_html(figures, FIG_CURVES)}
</section>"""
