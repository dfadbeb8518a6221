"""Hand-made lab tables, as ``lab_lags.csv`` and ``frontier_holders.csv`` hold them.

Named dates first, then months, so every printed line and value is known: eleven labs, one more
than the text of ``summary --by lab`` shows; Moonshot has no model at 2025-01-20; OpenAI's best
model at the last month sits above the closed frontier (a negative lag).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd

LAST = "last (2026-04)"
NAMED = ["2025-01-20", LAST]
# lab, closed and open base models, lag at 2025-01-20 (None: no model yet) and at the last month
LABS = [  # in no particular order: the view sorts them
    ("OpenAI", 6, 1, 2.0, -1.5),
    ("Meta", 0, 8, 9.0, 12.0),
    ("Google", 5, 2, 4.0, 3.0),              # 7 base models, as OpenAI: by name
    ("Alibaba/Qwen", 1, 5, 8.0, 6.5),
    ("xAI", 4, 0, 6.0, 8.0),
    ("Anthropic", 4, 0, 3.0, 1.0),
    ("DeepSeek", 0, 5, 7.0, 5.0),
    ("Mistral", 1, 3, 10.0, 14.0),
    ("Cohere", 0, 3, 15.0, 20.0),            # the 11th lab: left out of the text
    ("Moonshot", 0, 4, None, 4.5),           # first model after 2025-01-20
    ("Zhipu", 0, 4, 11.0, 9.0),
]
HOLDERS = [  # access, date, holder, probability (most probable first, as the table is)
    ("closed", "2025-01-20", "OpenAI", 0.70), ("closed", "2025-01-20", "Google", 0.26),
    ("closed", "2025-01-20", "Anthropic", 0.04),
    ("closed", LAST, "Google", 0.62), ("closed", LAST, "OpenAI", 0.30),
    ("closed", LAST, "other", 0.08),
    ("open", "2025-01-20", "Meta", 1.0),
    ("open", LAST, "Alibaba/Qwen", 0.55), ("open", LAST, "DeepSeek", 0.45),
    ("closed", "2026-04", "Google", 1.0),     # a month row: not a named date
]


def _lag_row(lab: str, closed: int, open_: int, date: str, lag: float) -> dict:
    return {"lab": lab, "closed_models": closed, "open_models": open_, "date": date,
            "median": lag, "eti50_lo": lag - 0.5, "eti50_hi": lag + 1.0,
            "eti90_lo": lag - 1.5, "eti90_hi": lag + 2.0}


def lab_table() -> pd.DataFrame:
    """``lab_lags`` as written by a fit: every lab at each named date, then months."""
    rows = []
    for d, date in enumerate(NAMED):
        rows += [_lag_row(lab, c, o, date, lags[d]) for lab, c, o, *lags in LABS
                 if lags[d] is not None]
    rows += [_lag_row(lab, c, o, "2026-04", 99.0) for lab, c, o, *_ in LABS]
    return pd.DataFrame(rows)


def holder_table() -> pd.DataFrame:
    """``frontier_holders`` as written by a fit (a month row at the end)."""
    return pd.DataFrame(HOLDERS, columns=["access", "date", "holder", "probability"])


def lab_result() -> SimpleNamespace:
    """A loaded result with the two lab tables and the named dates of ``gap_at_dates``."""
    tables = {"lab_lags": lab_table(),
              "frontier_holders": holder_table(),
              "gap_at_dates": pd.DataFrame({"date": NAMED * 2, "group": "overall"})}
    return SimpleNamespace(tables=tables, manifest={"name": "r"}, path=Path("results/r"))
