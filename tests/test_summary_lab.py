"""``gapbayes summary --by lab``: lab lags and frontier holders at the named dates.

The tables are made by hand (:mod:`helpers_lab`), so every printed line and value is known.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from helpers_lab import LAST, NAMED, lab_result

from gapbayes.commands.summary import register
from gapbayes.commands.summary_by import BY_CHOICES
from gapbayes.commands.summary_lab import print_lab
from gapbayes.errors import GapbayesError


@pytest.fixture
def loaded() -> SimpleNamespace:
    return lab_result()


def _run(loaded, fmt: str) -> str:
    out = io.StringIO()
    print_lab(loaded, fmt, out)
    return out.getvalue()


def test_text_lists_the_ten_labs_with_most_base_models_at_the_named_dates(loaded):
    text = _run(loaded, "text")
    lines = text.splitlines()
    assert lines[0] == ("Lab lag behind the closed frontier, in months: posterior median "
                        "[50% and 90% equal-tailed intervals (ETI)].")
    assert "negative: that model sits above the closed frontier" in lines[1]
    assert lines[2] == ("The 10 labs with the most base models in the fit (of 11), most "
                        "first; --format csv lists them all.")
    table = lines[lines.index("lab                closed  open  date             lag") + 1:]
    rows = table[:table.index("")]
    # most base models first (ties by name), each lab's dates in order
    order = list(dict.fromkeys(r.split()[0] for r in rows))
    assert order == ["Meta", "Google", "OpenAI", "Alibaba/Qwen", "DeepSeek", "Anthropic",
                     "Mistral", "Moonshot", "Zhipu", "xAI"]
    assert "Cohere" not in text and "99.0" not in text     # the 11th lab; no month rows
    assert rows[4] == ("OpenAI                  6     1  2025-01-20         "
                       "2.0 [  1.5,   3.0] [  0.5,   4.0]")
    assert rows[5] == ("OpenAI                  6     1  last (2026-04)    "
                       "-1.5 [ -2.0,  -0.5] [ -3.0,   0.5]")
    moonshot = [r for r in rows if r.startswith("Moonshot")]
    assert moonshot == ["Moonshot                0     4  last (2026-04)     "
                        "4.5 [  4.0,   5.5] [  3.0,   6.5]"]
    assert len(rows) == 19


def test_text_names_the_frontier_holders_of_each_group(loaded):
    lines = _run(loaded, "text").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Which lab holds"))
    assert "shares of 0.05 or more" in lines[start]
    assert lines[start + 1:] == [
        "closed  2025-01-20       OpenAI 0.70, Google 0.26",
        "closed  last (2026-04)   Google 0.62, OpenAI 0.30, other 0.08",
        "open    2025-01-20       Meta 1.00",
        "open    last (2026-04)   Alibaba/Qwen 0.55, DeepSeek 0.45",
    ]


def test_csv_has_every_lab_and_holder_at_the_named_dates(loaded):
    table = pd.read_csv(io.StringIO(_run(loaded, "csv")))
    assert table.columns.tolist() == ["kind", "lab", "closed_models", "open_models", "access",
                                      "date", "median", "eti50_lo", "eti50_hi", "eti90_lo",
                                      "eti90_hi", "probability"]
    lags = table[table["kind"] == "lag"]
    assert len(lags) == 2 * 11 - 1 and set(lags["date"]) == set(NAMED)
    assert lags["lab"].iloc[-1] == "Cohere"          # every lab, the 11th last
    openai = lags[(lags["lab"] == "OpenAI") & (lags["date"] == LAST)].iloc[0]
    assert (openai["median"], openai["eti90_lo"], openai["closed_models"]) == (-1.5, -3.0, 6)
    holders = table[table["kind"] == "frontier_holder"]
    assert len(holders) == 9 and "2026-04" not in set(holders["date"])
    assert holders.iloc[2][["access", "lab", "probability"]].tolist() == ["closed",
                                                                           "Anthropic", 0.04]


def test_json_has_the_lags_as_rows_and_the_holders(loaded):
    doc = json.loads(_run(loaded, "json"))
    assert doc["by"] == "lab" and doc["result"] == "r"
    assert "equal-tailed" in doc["intervals"] and "negative" in doc["lag"]
    assert len(doc["rows"]) == 21 and doc["rows"][0]["lab"] == "Meta"
    assert doc["rows"][0]["median"] == 9.0
    assert [h["holder"] for h in doc["frontier_holders"]][:3] == ["OpenAI", "Google",
                                                                  "Anthropic"]


def test_markdown_tables(loaded):
    text = _run(loaded, "markdown")
    assert "| lab | closed models | open models | date | lag |" in text
    assert "| OpenAI | 6 | 1 | last (2026-04) |  -1.5 [ -2.0,  -0.5] [ -3.0,   0.5] |" in text
    assert "| closed | last (2026-04) | Google 0.62, OpenAI 0.30, other 0.08 |" in text


def test_few_labs_are_all_shown(loaded):
    loaded.tables["lab_lags"] = loaded.tables["lab_lags"].query("lab in ['Meta', 'xAI']")
    text = _run(loaded, "text")
    assert "Labs with 3 or more base models in the fit, most base models first." in text
    assert [line.split()[0] for line in text.splitlines() if line.startswith(("Meta", "xAI"))
            ] == ["Meta", "Meta", "xAI", "xAI"]


def test_result_without_lab_tables_is_one_error():
    bare = SimpleNamespace(tables={"gap_at_dates": pd.DataFrame({"date": NAMED})},
                           manifest={"name": "r"}, path=Path("results/r"))
    with pytest.raises(GapbayesError, match=r"^results/r: no lab lags in this result \("
                       r"written before gapbayes had them, by the timeshift-v1 model, .* or no "
                       r"lab has 3 or more base models in the fit\)$") as err:
        print_lab(bare, "text", io.StringIO())
    assert "\n" not in str(err.value)


def test_lab_is_a_summary_view():
    import argparse

    assert "lab" in BY_CHOICES
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["summary", "results/r", "--by", "lab"])
    assert args.by == "lab"
    help_text = parser._subparsers._group_actions[0].choices["summary"].format_help()
    assert "lab (each lab's lag behind the closed frontier" in " ".join(help_text.split())


def test_lab_curves_add_a_second_table_in_every_format(loaded):
    """A result with ``lab_curves.csv`` (switch lab_curves) prints the curve lags as well.

    The curve table here is the lag table plus 3 months, so its rows are known.
    """
    assert "Lab curve lag" not in _run(loaded, "text")          # no curves: no table
    curves = loaded.tables["lab_lags"].copy()
    curves[["median", "eti50_lo", "eti50_hi", "eti90_lo", "eti90_hi"]] += 3.0
    loaded.tables["lab_curves"] = curves
    text = _run(loaded, "text")
    part = text[text.index("Lab curve lag, in months"):].splitlines()
    assert "the lab's typical model" in part[1]
    rows = [r for r in part if r.startswith("OpenAI")]
    assert rows == ["OpenAI                  6     1  2025-01-20         "
                    "5.0 [  4.5,   6.0] [  3.5,   7.0]",
                    "OpenAI                  6     1  last (2026-04)     "
                    "1.5 [  1.0,   2.5] [  0.0,   3.5]"]
    assert "Cohere" not in text and "102.0" not in text   # ten labs, named dates only
    markdown = _run(loaded, "markdown")
    assert "| OpenAI | 6 | 1 | last (2026-04) |   1.5 [  1.0,   2.5] [  0.0,   3.5] |" in markdown
    table = pd.read_csv(io.StringIO(_run(loaded, "csv")))
    curve = table[table["kind"] == "curve_lag"]
    assert len(curve) == 21 and set(curve["lab"]) >= {"Cohere", "Moonshot"}
    assert curve.loc[curve["lab"] == "Meta", "median"].tolist() == [12.0, 15.0]
    header = json.loads(_run(loaded, "json"))
    assert len(header["curve_lags"]) == 21
