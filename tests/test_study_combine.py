"""``gapbayes study combine``: joined misspecified studies score each setting as its own run did.

Uses two committed reference studies (the real fit's sampler with the selection term at 1:1
and 10:1, run in different sessions with the same settings).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gapbayes.cli import main
from gapbayes.errors import GapbayesError
from gapbayes.inference.results import checksums
from gapbayes.studies.misspecified_combine import combine_studies

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"
ONE_TO_ONE = REFERENCE / "misspecified-realsampler-1to1-10worlds-selection"
TEN_TO_ONE = REFERENCE / "misspecified-realsampler-10to1-10worlds-selection"
THREE_FIVE = REFERENCE / "misspecified-realsampler-3to1-5to1-10worlds-selection"
NUMERIC = ["n_worlds", "n_estimates", "n_flagged", "bias", "bias_se", "rmse", "coverage90",
           "coverage90_se", "width90", "bias_with_flagged", "p_within_tolerance"]


@pytest.fixture(scope="module")
def joined(tmp_path_factory) -> Path:
    return combine_studies([ONE_TO_ONE, TEN_TO_ONE], tmp_path_factory.mktemp("studies"))


def test_each_setting_scores_as_in_its_own_study(joined):
    table = pd.read_csv(joined / "table.csv")
    assert sorted(table["ratio"].unique()) == [1, 10]
    for source, ratio in ((ONE_TO_ONE, 1), (TEN_TO_ONE, 10)):
        own = pd.read_csv(source / "table.csv").sort_values(["method", "group"])
        mine = table[table["ratio"] == ratio].sort_values(["method", "group"])
        assert list(mine["method"]) == list(own["method"])
        # the rows are stored to 6 significant digits, the source tables were computed
        # before rounding
        np.testing.assert_allclose(mine[NUMERIC].to_numpy(float), own[NUMERIC].to_numpy(float),
                                   rtol=1e-4, atol=1e-5)
        own_pairs = pd.read_csv(source / "paired.csv")
        pairs = pd.read_csv(joined / "paired.csv")
        pairs = pairs[pairs["ratio"] == ratio]
        np.testing.assert_allclose(pairs["diff_mean"], own_pairs["diff_mean"], rtol=1e-4)


def test_manifest_names_the_sources_and_the_union_of_ratios(joined):
    manifest = json.loads((joined / "manifest.json").read_text())
    assert manifest["config"]["ratios"] == [1.0, 10.0]
    assert [s["study_id"] for s in manifest["sources"]] == ["7512c403", "3efaab96"]
    assert manifest["worlds_finished"] == 20
    assert {"table.csv", "paired.csv", "rows.csv", "bias_vs_ratio.png"} <= set(manifest["files"])


def test_a_world_in_two_studies_is_refused(tmp_path):
    with pytest.raises(GapbayesError, match=r"^ratio 1, host off, world 0 is in both .*"
                                            r"must not share a world$"):
        combine_studies([ONE_TO_ONE, ONE_TO_ONE], tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_differing_setting_is_named(tmp_path):
    other = tmp_path / "other"
    shutil.copytree(TEN_TO_ONE, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["config"]["settings"]["target_accept"] = 0.95
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(GapbayesError, match=r"other/manifest.json: key "
                                            r"'config\.settings\.target_accept' is 0\.95, "
                                            r"but 0\.98 in .*only studies that differ in "
                                            r"ratios, hosts or worlds can be combined$"):
        combine_studies([ONE_TO_ONE, other], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_another_kind_of_study_is_refused(tmp_path):
    with pytest.raises(GapbayesError, match=r"winners-curse/manifest.json: key 'kind' is "
                                            r"'study:winners-curse'; only 'study:misspecified' "
                                            r"studies can be combined$"):
        combine_studies([ONE_TO_ONE, REFERENCE / "winners-curse"], tmp_path)


@pytest.mark.parametrize(("folders", "line"), [
    ([ONE_TO_ONE], "gapbayes: error: FOLDER: give at least two study folders to combine"),
    ([ONE_TO_ONE, Path("no-such-study")],
     "gapbayes: error: no-such-study/manifest.json: no such file (is no-such-study a study "
     "folder?)"),
])
def test_cli_bad_folders_are_one_line_exit_2(tmp_path, capsys, folders, line):
    out = tmp_path / "out"
    assert main(["study", "combine", *map(str, folders), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.strip() == line
    assert not out.exists()


def test_rows_changed_after_the_study_wrote_them_are_refused(tmp_path):
    edited = tmp_path / "edited"
    shutil.copytree(ONE_TO_ONE, edited)
    manifest = json.loads((edited / "manifest.json").read_text())
    # the checksums every study folder records since 2026-12-08 (this copy predates them)
    manifest["checksums"] = checksums(edited)
    (edited / "manifest.json").write_text(json.dumps(manifest))
    assert combine_studies([edited, TEN_TO_ONE], tmp_path / "before").exists()
    rows = pd.read_csv(edited / "rows.csv")
    rows.loc[0, "estimate"] += 1.0
    rows.to_csv(edited / "rows.csv", index=False)
    with pytest.raises(GapbayesError, match=r"edited/rows.csv: changed since the study wrote "
                                            r"it \(sha256 differs from .*manifest.json\)$"):
        combine_studies([edited, TEN_TO_ONE], tmp_path / "after")
    assert not (tmp_path / "after").exists()


def test_a_joined_study_joins_again_and_records_every_source(tmp_path, joined):
    # the joined (1:1, 10:1) study with the 1:1 study's worlds refused: they are in it
    with pytest.raises(GapbayesError, match=r"^ratio 1, host off, world 0 is in both"):
        combine_studies([joined, ONE_TO_ONE], tmp_path)
    manifest = json.loads((joined / "manifest.json").read_text())
    assert set(manifest["checksums"]) == set(manifest["files"])
    assert manifest["config"]["combined_from"] == ["7512c403", "3efaab96"]


def test_the_committed_four_ratio_table_is_what_its_committed_sources_give(tmp_path):
    joined_ref = REFERENCE / "misspecified-realsampler-selection-1-3-5-10"
    sources = [REFERENCE / s["folder"].split("/")[-1] for s in
               json.loads((joined_ref / "manifest.json").read_text())["sources"]]
    assert [p.name for p in sources] == [ONE_TO_ONE.name, THREE_FIVE.name, TEN_TO_ONE.name]
    again = combine_studies(sources, tmp_path)
    for name in ("table", "paired", "by_date"):
        mine, ref = pd.read_csv(again / f"{name}.csv"), pd.read_csv(joined_ref / f"{name}.csv")
        pd.testing.assert_frame_equal(mine, ref, check_exact=False, rtol=1e-5)
