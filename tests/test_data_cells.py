"""The shared cell rules (gapbayes.data.cells) and what import, validate and the metadata
loaders do with them: one rule for numbers, dates and names; Open/Closed; every metadata
problem at once; the start-date note."""

from __future__ import annotations

import datetime as dt
import doctest
import re
import shutil

import pandas as pd
import pytest
from conftest import DATA_FIXTURES

from gapbayes import paths
from gapbayes.cli import main
from gapbayes.data import cells, defaults, problems
from gapbayes.data.importer import import_scores
from gapbayes.data.metadata import load_metadata
from gapbayes.data.validate import validate
from gapbayes.errors import InputError

RULES = DATA_FIXTURES / "model_rules.toml"
META = DATA_FIXTURES / "import_meta.csv"
TODAY = dt.date(2026, 5, 1)


def test_docstring_examples():
    for module in (cells, defaults, problems):
        assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize("text", ["4_5", "1_000.5", "0x10", "\u0664\u0665", "1,5", "5%", "--1"])
def test_numbers_python_would_take_or_misread_are_refused(text):
    assert cells.number_problem(text, "score")
    with pytest.raises(ValueError, match="is not a number"):
        cells.number(text)
    _, bad = cells.numbers(pd.Series([text], dtype="str"))
    assert bad.tolist() == [True]


@pytest.mark.parametrize("text", ["45", "-0.5", ".5", "5.", "1e-3", "+2E+2"])
def test_plain_numbers_are_read_alike_cell_and_column(text):
    values, bad = cells.numbers(pd.Series([text], dtype="str"))
    assert not bad[0] and values[0] == cells.number(text) == float(text)


def test_import_and_validate_share_the_release_date_rule(tmp_path):
    """The same date gives the same message in import (from the score table) and validate."""
    for date in ("2099-01-01", "1899-12-31"):
        path = tmp_path / "in.csv"
        path.write_text(f"model,release_date,access,benchmark,score\nx,{date},open,quiz,0.5\n")
        with pytest.raises(InputError) as imp:
            import_scores(path, META, out=tmp_path / "o", rules=RULES, today=TODAY)
        data = tmp_path / date
        shutil.copytree(paths.data_dir() / "tidy", data / "tidy")
        models = data / "tidy" / "models.csv"
        models.write_text(models.read_text().replace("2024-09-30", date, 1))
        with pytest.raises(InputError) as val:
            validate(data, today=TODAY)
        assert imp.value.message == val.value.message
        assert val.value.column == "release_date" and val.value.row == 2


def test_open_and_closed_in_any_case(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text(
        "model,release_date,access,benchmark,score\n"
        "a,2021-01-01,Open,quiz,0.5\nb,2025-01-01,CLOSED,quiz,0.6\nc,2025-02-01,Unknown,quiz,0.7\n"
    )
    code = main(["data", "import", str(path), "--metadata", str(META), "--rules", str(RULES),
                 "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == 0
    assert "3 models (1 open, 1 closed, 1 unknown)" in out
    # the start date of the default spec leaves model a out of the fit: said, not silent
    start = defaults.default_start_date()
    assert (f"note: 1 of 2 models with a known access and release date were released before "
            f"{start}, the default spec's [data] start_date") in out


def test_no_note_when_the_start_date_drops_nothing(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text("model,release_date,access,benchmark,score\nb,2025-01-01,closed,quiz,0.6\n")
    main(["data", "import", str(path), "--metadata", str(META), "--rules", str(RULES),
          "--out", str(tmp_path / "o")])
    assert "note:" not in capsys.readouterr().out


def test_toml_metadata_lists_every_problem(tmp_path):
    path = tmp_path / "benchmarks.toml"
    text = (DATA_FIXTURES / "benchmarks.toml").read_text()
    text = text.replace('scale = "percent"', 'scale = "percentage"', 1)
    text = text.replace("chance = 0.25", "chance = 0.97", 1)
    path.write_text(text.replace("n_items = 0", "n_items = -1", 1))  # beta's
    with pytest.raises(InputError) as exc:
        load_metadata(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: 3 problems: line ")
    for part in ("[alpha] chance 0.97 must be below the prior median 0.953",
                 "[beta] n_items must be a whole number", "[beta] scale 'percentage'"):
        assert part in message
    assert "\n" not in message


def test_many_problems_spell_out_the_first_ten_by_line_and_count_the_rest(tmp_path):
    path = tmp_path / "benchmarks.toml"
    path.write_text("".join(f"[b{i:02d}]\nname = 'B{i}'\n" for i in range(12)))
    with pytest.raises(InputError) as exc:
        load_metadata(path)
    message = str(exc.value)
    n = message.count("missing key")
    assert n == 10 and message.startswith(f"{path}: ")
    total = int(message.split(": ", 2)[1].split(" problems")[0])
    assert message.endswith(f"; and {total - 10} more") and total > 12
    assert "\n" not in message


def test_an_audited_ceiling_is_the_bound(tmp_path):
    """Mmlu's label-error audit (6.5%) puts its median ceiling at 0.935."""
    rate = defaults.label_error_rates()["mmlu"]
    path = tmp_path / "meta.csv"
    path.write_text(
        "benchmark_id,name,scale,scale_min,scale_max,transform,link,chance,n_items,access_type,"
        "category,provenance,third_party_hosts,published\n"
        "mmlu,MMLU,proportion,0,1,identity,sigmoid,0.94,,public,knowledge,independent,no,false\n"
    )
    with pytest.raises(InputError, match=re.escape(
            f"chance 0.94 must be below the prior median {1 - rate:.3f} of the benchmark's "
            "ceiling (its label-error audit in data/label_errors.toml)")):
        load_metadata(path)


def test_bundled_metadata_passes_the_new_rules():
    metas = load_metadata(paths.data_dir() / "benchmarks.toml")
    assert all(m.chance < defaults.ceiling_median(m.benchmark_id)[0] for m in metas)
