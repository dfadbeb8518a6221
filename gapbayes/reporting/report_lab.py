"""The HTML report's "Lab lags" section: each lab against the closed frontier, and who leads.

Shown only when the result has ``lab_lags.csv`` (:mod:`gapbayes.model.lab_lags`): a table of
every reported lab's lag at the named dates, the posterior probability that each lab holds
its access group's frontier there (``frontier_holders.csv``), the figure ``lab_lags.png`` and
a note with the definition. :func:`holder_lines` also serves ``gapbayes summary --by lab``.
"""

from __future__ import annotations

import pandas as pd

from gapbayes.inference.fit_tables import frontier_holders_at_dates, lab_lags_at_dates
from gapbayes.model.lab_lags import MIN_LAB_MODELS
from gapbayes.reporting.report_sections import figure_html, interval_cell
from gapbayes.reporting.report_style import FIG_LAB, FIG_LAB_CURVES, esc

ANCHOR = ("labs", "Lab lags")
#: frontier holders below this probability are left out of the tables and lines
MIN_HOLDER_PROBABILITY = 0.05
NOTE = f"""A lab is a model family with at least {MIN_LAB_MODELS} base models in the fit. Its
lag at a date: the months since the closed frontier stood at the level of the lab's best base
model released by that date (its best model so far, at the provider's default effort). This is
a running best, so it moves in steps: it grows by a month each month between the lab's releases
and drops when a release beats the lab's best. A negative lag: that model sits above the closed
frontier (the frontier is soft; single models scatter around it). Abilities are shrunk towards
their access group's frontier through the hierarchical family shortfall scale, so a lab with
few models is pulled towards its group. Frontier holder: the lab whose base model is the best
of its access group so far, as a share of the posterior draws ("other": the organisations
outside the listed labs); holders below {MIN_HOLDER_PROBABILITY} are left out. Intervals are
equal-tailed (ETI)."""


def holder_lines(holders: pd.DataFrame, min_probability: float = MIN_HOLDER_PROBABILITY
                 ) -> list[tuple[str, str, str]]:
    """Return (access, date, "OpenAI 0.62, Google 0.30") per access group and date.

    Parameters
    ----------
    holders
        Rows of ``frontier_holders`` (access, date, holder, probability), most probable
        holder first within each access group and date.
    min_probability
        Holders below it are left out; a group and date none of whose holders reaches it
        gets an empty text.
    """
    out = []
    for (access, date), rows in holders.groupby(["access", "date"], sort=False):
        kept = rows[rows["probability"] >= min_probability - 1e-9]
        out.append((str(access), str(date), ", ".join(
            f"{r['holder']} {r['probability']:.2f}" for _, r in kept.iterrows())))
    return out


def _lag_table(rows: pd.DataFrame) -> str:
    """One row per lab (most base models first), one column per named date."""
    dates = list(dict.fromkeys(rows["date"].astype(str)))
    head = "".join(f"<th>{esc(d)}</th>" for d in dates)
    body = []
    for lab, sel in rows.groupby("lab", sort=False):
        at = {str(r["date"]): r for _, r in sel.iterrows()}
        cells = "".join(interval_cell(at[d]) if d in at
                        else '<td class="num">no model yet</td>' for d in dates)
        first = sel.iloc[0]
        body.append(f'<tr><td>{esc(lab)}</td><td class="num">{int(first["closed_models"])}</td>'
                    f'<td class="num">{int(first["open_models"])}</td>{cells}</tr>')
    return (f"<table><tr><th>lab</th><th>closed models</th><th>open models</th>{head}</tr>"
            f"{''.join(body)}</table>")


def _holder_table(holders: pd.DataFrame) -> str:
    lines = holder_lines(holders)
    if not lines:
        return '<p class="note">This result has no frontier holders.</p>'
    body = "".join(f"<tr><td>{esc(a)}</td><td>{esc(d)}</td><td>{esc(text)}</td></tr>"
                   for a, d, text in lines)
    return ("<table><tr><th>access group</th><th>date</th><th>which lab holds the frontier "
            f"(posterior probability, {MIN_HOLDER_PROBABILITY} or more)</th></tr>{body}</table>")


def section_lab(labs: pd.DataFrame | None, holders: pd.DataFrame | None,
                at_dates: pd.DataFrame | None, figures: dict[str, bytes],
                curves: pd.DataFrame | None = None) -> str:
    """Return the section, or "" when the result has no lab lags.

    Parameters
    ----------
    labs
        The result's ``lab_lags`` table (named dates and every month).
    holders
        Its ``frontier_holders`` table, or None.
    at_dates
        Its ``gap_at_dates`` table: only the named dates in it are shown.
    figures
        ``{stem: PNG bytes}``: ``lab_lags`` is embedded when present.
    curves
        Its ``lab_curves`` table (switch ``lab_curves``), or None: shown after the lags.
    """
    if labs is None or labs.empty:
        return ""
    if holders is None:
        holders = pd.DataFrame(columns=["access", "date", "holder", "probability"])
    rows = lab_lags_at_dates(labs, at_dates)
    return f"""
<section id="{ANCHOR[0]}">
<h2>{ANCHOR[1]}: each lab's best model against the closed frontier</h2>
<p class="note">Each lab's lag behind the closed frontier at the named dates, in months:
posterior median [50% ETI] [90% ETI]; labs with the most base models first.</p>
{_lag_table(rows)}
{_holder_table(frontier_holders_at_dates(holders, at_dates))}
{figure_html(figures, FIG_LAB)}
<p class="note">{esc(NOTE)}</p>
{_curve_part(curves, at_dates, figures)}
</section>"""


def _curve_part(curves: pd.DataFrame | None, at_dates: pd.DataFrame | None,
                figures: dict[str, bytes]) -> str:
    """Return the labs' typical-model curve lags (switch lab_curves), or "" without them."""
    if curves is None or curves.empty:
        return ""
    return f"""<h3>Lab curves: each lab's typical model against the closed frontier</h3>
<p class="note">Months since the closed frontier stood at the lab's group frontier minus its
mean shortfall (the lab's shortfall scale follows a yearly random walk, so this is a smooth
curve, unlike the best-model lag above): posterior median [50% ETI] [90% ETI].</p>
{_lag_table(lab_lags_at_dates(curves, at_dates))}
{figure_html(figures, FIG_LAB_CURVES)}"""
