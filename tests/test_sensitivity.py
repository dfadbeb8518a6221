"""Prior sensitivity study: variants, the grid table with its switch-off rows, the figure."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from test_compare import SETTINGS, fit_root, shrinking_world

from gapbayes.commands.sensitivity import _grid
from gapbayes.comparison.sensitivity import (
    PRIORS,
    run_sensitivity,
    sensitivity_manifest,
    sensitivity_variants,
    study_id,
)
from gapbayes.errors import GapbayesError
from gapbayes.inference.fit import run_fit
from gapbayes.model.spec import load_spec

GROUPS = {"overall", "private", "public"}
# the wrong (and cheaper) of test_compare's two fits: timeshift-v1 with a constant gap
BASE = str(Path(__file__).parent / "fixtures" / "specs" / "constant-gap.toml")
BASE_NAME = "constant-gap"


def test_variants_cover_the_grid_and_the_switches():
    spec = load_spec("default")
    variants, notes = sensitivity_variants(spec, [0.1, 0.3, 1.0])
    assert notes == []
    kinds = [v.kind for v in variants]
    assert kinds == ["base"] + ["prior"] * 6 + ["switch_off"] * 2
    for v in variants:
        if v.kind == "prior":
            assert v.spec.prior(v.parameter)["sigma"] == v.value
            # everything else stays at the base spec
            other = next(p for p in PRIORS if p != v.parameter)
            assert v.spec.prior(other) == spec.prior(other)
            assert v.spec.switches == spec.switches
        if v.kind == "switch_off":
            assert v.spec.switches[v.parameter] is False
    # the grid point equal to the base value (provider_penalty 0.3) is the base fit itself
    same = [v for v in variants if v.spec.spec_id == spec.spec_id]
    assert [v.label for v in same] == ["default (base)", "provider_penalty sigma 0.3"]
    assert all(v.spec.name == "default" for v in same)
    others = [v.spec.name for v in variants if v.spec.spec_id != spec.spec_id]
    assert len(set(others)) == len(others)  # distinct result folder names


def test_terms_that_are_off_in_the_base_spec_are_skipped():
    spec = load_spec("default").with_changes(switches={"self_report": False})
    variants, notes = sensitivity_variants(spec, [0.1, 1.0])
    assert [v.kind for v in variants] == ["base", "prior", "prior", "switch_off"]
    assert {v.parameter for v in variants[1:]} == {"provider_penalty", "provider_degradation"}
    assert notes == ["'self_report' is off in spec 'default': the self_report_offset prior is "
                     "unused, so its grid and switch-off rows are skipped"]
    with pytest.raises(GapbayesError, match=r"^spec 'no-bias-terms' has every bias term off: "
                                            r"nothing to vary"):
        sensitivity_variants(load_spec("no-bias-terms"), [0.1])
    with pytest.raises(GapbayesError,
                       match=r"^the sensitivity grid needs prior scales > 0, got \[0\.0\]$"):
        sensitivity_variants(load_spec("default"), [0.0])


def test_grid_argument():
    assert _grid("0.1,0.3,1") == [0.1, 0.3, 1.0]
    with pytest.raises(argparse.ArgumentTypeError,
                       match=r"^not a comma-separated list of numbers: '0\.1,abc'$"):
        _grid("0.1,abc")
    for bad in ("0,1", ""):
        with pytest.raises(argparse.ArgumentTypeError,
                           match=rf"^prior scales must be > 0: '{bad}'$"):
            _grid(bad)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The study on test_compare's simulated world, in its results folder (shared base fit).

    Base spec constant-gap (the cheaper of test_compare's two fits), grid 0.3: the
    provider-penalty row is the base fit (same spec), the self-report row a new fit, plus the
    two switch-offs: 4 fits for 5 variants (3 new ones when test_compare ran first).
    """
    inp = shrinking_world()

    def fit(spec):
        return run_fit(inp, spec, settings=SETTINGS, out_root=fit_root(tmp_path_factory),
                       log=lambda *a: None)

    return run_sensitivity(load_spec(BASE), [0.3], fit)


def test_sensitivity_table_has_grid_and_switch_off_rows(study, tmp_path):
    result, fits = study
    t = result.table
    assert len(fits) == 4
    groups = set(t["group"])
    assert groups == GROUPS
    expected = [f"{BASE_NAME} (base)", "provider_penalty sigma 0.3",
                "self_report_offset sigma 0.3", "provider_degradation off", "self_report off"]
    assert list(dict.fromkeys(t["variant"])) == expected
    assert len(t) == len(expected) * len(groups)
    off = t[t["kind"] == "switch_off"]
    assert set(off["parameter"]) == {"provider_degradation", "self_report"}
    prior = t[t["kind"] == "prior"]
    assert set(prior["prior_sigma"]) == {0.3}
    assert set(prior["base_sigma"]) == {0.3, 0.5}
    # same spec as the base: same fit, zero shift
    base = t[t["kind"] == "base"]
    same = t[t["variant"] == "provider_penalty sigma 0.3"]
    assert set(same["fit"]) == set(base["fit"])
    np.testing.assert_allclose(same["shift"], 0.0)
    np.testing.assert_allclose(base["shift"], 0.0)
    assert (t["eti90_lo"] <= t["median"]).all() and (t["median"] <= t["eti90_hi"]).all()
    assert t["date"].str.startswith("last").all()
    # outputs
    text = result.format("text")
    assert "self_report off" in text and "shift" in text
    assert json.loads(result.format("json"))["grid"] == [0.3]
    assert result.format("markdown").startswith("**")
    written = result.write(tmp_path)
    assert [p.name for p in written] == ["sensitivity.csv", "sensitivity.png"]
    assert all(p.stat().st_size > 0 for p in written)


def test_every_row_comes_from_a_fit_of_its_variant(study):
    """The fit behind each row was made with that row's prior scale or switch, on one data."""
    result, fits = study
    manifests = {f.path.name: f.manifest for f in fits}
    assert len({m["data"]["hash"] for m in manifests.values()}) == 1
    base = load_spec(BASE)
    for _, row in result.table.iterrows():
        spec = manifests[row["fit"]]["spec"]
        if row["kind"] == "prior":
            assert spec["priors"][row["parameter"]]["sigma"] == row["prior_sigma"]
            assert spec["switches"] == base.switches
        elif row["kind"] == "switch_off":
            assert spec["switches"] == {**base.switches, row["parameter"]: False}
            assert spec["priors"] == base.priors
        else:
            assert manifests[row["fit"]]["spec_id"] == base.spec_id
    # shift = the row's median minus the base fit's median of the same group
    t = result.table
    base_median = t[t["kind"] == "base"].set_index("group")["median"]
    np.testing.assert_allclose(t["shift"], t["median"] - t["group"].map(base_median).to_numpy())
    assert (t[t["kind"] != "base"]["shift"] != 0).any()


def test_sensitivity_command_arguments():
    from gapbayes.commands import sensitivity as command

    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["sensitivity", "--grid", "0.2,2", "--spec", BASE])
    assert args.grid == [0.2, 2.0] and args.spec == BASE
    assert parser.parse_args(["sensitivity"]).grid == [0.1, 0.3, 1.0]


def test_sensitivity_manifest_names_the_fits(study):
    result, fits = study
    manifest = json.loads(json.dumps(sensitivity_manifest(result, fits), default=str))
    assert manifest["kind"] == "sensitivity" and manifest["grid"] == [0.3]
    assert len(manifest["fits"]) == 4
    assert manifest["id"] == study_id(result, fits)
