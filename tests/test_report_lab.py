"""The HTML report's "Lab lags" section, from the hand-made tables of :mod:`helpers_lab`."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from helpers_lab import lab_result
from test_plots_lab import lab_posterior

from gapbayes.reporting.plots_lab import lab_lags_figure
from gapbayes.reporting.report_lab import section_lab


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return lab_result().tables


def test_section_has_the_lags_the_holders_the_figure_and_the_definition(tables):
    png = io.BytesIO()
    lab_lags_figure(lab_posterior()).savefig(png, format="png", dpi=40)
    html = section_lab(tables["lab_lags"], tables["frontier_holders"], tables["gap_at_dates"],
                       {"lab_lags": png.getvalue()})
    assert html.lstrip().startswith('<section id="labs">\n<h2>Lab lags')
    assert '<th>2025-01-20</th><th>last (2026-04)</th>' in html
    assert ('<tr><td>OpenAI</td><td class="num">6</td><td class="num">1</td>'
            '<td class="num"><strong>2.0</strong>') in html
    assert "<strong>-1.5</strong> <span title=\"50% ETI\">[-2.0 to -0.5]</span>" in html
    moonshot = html[html.index("<tr><td>Moonshot</td>"):]
    assert moonshot[:moonshot.index("</tr>")].count("no model yet") == 1
    assert "<td>closed</td><td>last (2026-04)</td><td>Google 0.62, OpenAI 0.30, other 0.08" in html
    assert "Anthropic 0.04" not in html and "99.0" not in html
    assert 'id="fig-lab_lags"' in html and "data:image/png;base64," in html
    for phrase in ("best base model", "running best", "moves in steps",
                   "hierarchical family shortfall scale", "equal-tailed"):
        assert phrase in html


def test_section_only_with_lab_lags_and_escaped(tables):
    assert section_lab(None, None, None, {}) == ""
    assert section_lab(pd.DataFrame(), None, None, {}) == ""
    labs = tables["lab_lags"].replace({"lab": {"Meta": "<b>Meta</b>"}})
    html = section_lab(labs, None, tables["gap_at_dates"], {})
    assert "&lt;b&gt;Meta&lt;/b&gt;" in html and "<b>Meta" not in html
    assert "Figure lab_lags.png is not available" in html
    assert "This result has no frontier holders." in html


def test_lab_curves_get_their_own_table_and_figure(tables):
    """With ``lab_curves.csv`` (switch lab_curves) the section adds the curve lags."""
    plain = section_lab(tables["lab_lags"], tables["frontier_holders"], tables["gap_at_dates"],
                        {})
    assert "Lab curves" not in plain
    curves = tables["lab_lags"].copy()
    curves[["median", "eti50_lo", "eti50_hi", "eti90_lo", "eti90_hi"]] += 3.0
    html = section_lab(tables["lab_lags"], tables["frontier_holders"], tables["gap_at_dates"],
                       {}, curves)
    part = html[html.index("<h3>Lab curves"):]
    assert "typical model" in part and "yearly random walk" in part
    assert ('<tr><td>OpenAI</td><td class="num">6</td><td class="num">1</td>'
            '<td class="num"><strong>5.0</strong>') in part
    assert "Figure lab_curves.png is not available" in part
    assert part.rstrip().endswith("</section>")
