"""Text cells that a spreadsheet would run as formulas are neutralised where gapbayes writes
CSVs (tidy tables and result tables); numbers and plain text are left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gapbayes.data.csvfile import neutralise_formula, parse_csv
from gapbayes.data.tidy import format_table, load_tidy, parse_table
from gapbayes.inference import results

HOSTILE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("text, expected", [
    (HOSTILE, "'" + HOSTILE), ("+1", "'+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("-x", "'-x"), ("-5", "-5"), ("-.5", "-.5"), ("GPT-4", "GPT-4"), ("", ""),
])
def test_formula_cells_get_an_apostrophe(text, expected):
    assert neutralise_formula(text) == expected


def test_tidy_tables_neutralise_text_and_keep_numbers():
    models = load_tidy().models.head(3).copy()
    models.loc[models.index[0], "display_name"] = HOSTILE
    blob = format_table("models", models)
    assert HOSTILE not in blob.decode().replace("'" + HOSTILE, "")
    back = parse_table("models", parse_csv(blob, "models.csv"))
    assert ("'" + HOSTILE) in set(back["display_name"])
    numeric = [c for c in models.columns if pd.api.types.is_numeric_dtype(models[c])]
    for col in numeric:                                  # numbers survive the round trip
        assert np.allclose(back[col].astype(float).fillna(-1),
                           models.sort_values("model_id")[col].astype(float).fillna(-1))


def test_result_tables_neutralise_text(tmp_path):
    dt = xr.DataTree(xr.Dataset({"x": (("chain", "draw"), np.zeros((1, 2)))}))
    table = pd.DataFrame({"benchmark": [HOSTILE, "mmlu"], "median": [-1.5, 2.0]})
    results.write_result_files(tmp_path, dt, {"benchmark_gaps": table})
    back = pd.read_csv(tmp_path / "benchmark_gaps.csv")
    assert list(back["benchmark"]) == ["'" + HOSTILE, "mmlu"]
    assert list(back["median"]) == [-1.5, 2.0]
