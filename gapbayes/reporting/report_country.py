"""The HTML report's "By country" section: Chinese vs other open models (spec ``by-country``).

Shown only when the result has ``country_gaps.csv`` (the country term was fitted); the rows are
the named dates, each subgroup's backward gap behind the closed frontier and their difference.
"""

from __future__ import annotations

import pandas as pd

from gapbayes.inference.fit_tables import named_dates_only
from gapbayes.reporting.report_style import esc, interval, num

ANCHOR = ("country", "By country")


def section_country(country: pd.DataFrame | None, at_dates: pd.DataFrame | None) -> str:
    """Return the section, or "" when the result has no country gaps.

    Parameters
    ----------
    country
        The result's ``country_gaps`` table (named dates and every month).
    at_dates
        Its ``gap_at_dates`` table: only the named dates in it are shown.
    """
    if country is None or country.empty:
        return ""
    rows = named_dates_only(country, at_dates)
    body = "".join(
        f'<tr><td>{esc(r["country"])}</td><td>{esc(r["date"])}</td>'
        f'<td class="num"><strong>{esc(num(r["median"]))}</strong></td>'
        f'<td class="num">{esc(interval(r, 50))}</td>'
        f'<td class="num">{esc(interval(r, 90))}</td></tr>'
        for _, r in rows.iterrows())
    weighting = esc(str(rows["weighting"].iloc[0])) if len(rows) else ""
    return f"""
<section id="{ANCHOR[0]}">
<h2>{ANCHOR[1]}: Chinese vs other open models</h2>
<table>
<tr><th>open models</th><th>date</th><th>backward gap (months)</th><th>50% ETI</th>
<th>90% ETI</th></tr>
{body}
</table>
<p class="note">Each open subgroup's backward gap behind the closed frontier ({weighting});
"chinese minus other open" below 0 means the Chinese open models' frontier is closer to the
closed one. The open group's frontier, which the other sections read, is the better of the two
subgroups' frontiers at each month. Intervals are equal-tailed (ETI).</p>
</section>"""
