"""The HTML report's "By country" section: Chinese vs other open models.

Shown when the result has ``country_lags.csv`` (every default fit with enough Chinese and
other open base models: each subgroup's best model so far, :mod:`gapbayes.model.lab_lags`) or
``country_gaps.csv`` (spec ``by-country``: each subgroup's frontier curve,
:mod:`gapbayes.model.country`); the rows are the named dates, each subgroup behind the closed
frontier and their difference.
"""

from __future__ import annotations

import pandas as pd

from gapbayes.inference.fit_tables import named_dates_only
from gapbayes.reporting.report_style import esc, interval, num

ANCHOR = ("country", "By country")


MEASURES = (("best model so far", "the lag of the subgroup's best base model released so far"),
            ("frontier (country term)", "the backward gap of the subgroup's frontier curve"))


def section_country(country: pd.DataFrame | None, at_dates: pd.DataFrame | None,
                    lags: pd.DataFrame | None = None) -> str:
    """Return the section, or "" when the result has neither country lags nor country gaps.

    Parameters
    ----------
    country
        The result's ``country_gaps`` table (spec ``by-country``), or None.
    at_dates
        Its ``gap_at_dates`` table: only the named dates in it are shown.
    lags
        The result's ``country_lags`` table, or None.
    """
    tables = [(m, how, t) for (m, how), t in zip(MEASURES, (lags, country), strict=True)
              if t is not None and not t.empty]
    if not tables:
        return ""
    body, notes = "", []
    for measure, how, table in tables:
        rows = named_dates_only(table, at_dates)
        body += "".join(
            f'<tr><td>{esc(measure)}</td><td>{esc(r["country"])}</td><td>{esc(r["date"])}</td>'
            f'<td class="num"><strong>{esc(num(r["median"]))}</strong></td>'
            f'<td class="num">{esc(interval(r, 50))}</td>'
            f'<td class="num">{esc(interval(r, 90))}</td></tr>'
            for _, r in rows.iterrows())
        weighting = (f" ({esc(str(rows['weighting'].iloc[0]))})"
                     if "weighting" in rows and len(rows) else "")
        notes.append(f"<em>{esc(measure)}</em>: {esc(how)}{weighting}")
    return f"""
<section id="{ANCHOR[0]}">
<h2>{ANCHOR[1]}: Chinese vs other open models</h2>
<table>
<tr><th>measure</th><th>open models</th><th>date</th><th>months behind the closed frontier</th>
<th>50% ETI</th><th>90% ETI</th></tr>
{body}
</table>
<p class="note">{"; ".join(notes)}. "chinese minus other open" below 0 means the Chinese open
models are closer to the closed frontier. With the country term (spec <code>by-country</code>)
the open group's frontier, which the other sections read, is the better of the two subgroups'
frontiers at each month. Intervals are equal-tailed (ETI).</p>
</section>"""
