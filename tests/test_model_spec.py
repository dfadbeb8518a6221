import pytest

from gapbayes.errors import SpecError
from gapbayes.model.spec import load_spec, shipped_spec_names


def test_shipped_specs_have_distinct_stable_ids():
    names = shipped_spec_names()
    assert {"default", "constant-gap", "no-bias-terms", "selection"} <= set(names)
    ids = {n: load_spec(n).spec_id for n in names}
    assert len(set(ids.values())) == len(ids)
    assert all(len(i) == 8 for i in ids.values())
    assert load_spec("default").spec_id == ids["default"]  # content hash, not random


def test_extends_merges_only_the_changed_keys():
    default, const = load_spec("default"), load_spec("constant-gap")
    assert const.switches["time_varying_gap"] is False
    assert default.switches["time_varying_gap"] is True
    assert const.priors == default.priors
    assert const.data == default.data
    nob = load_spec("no-bias-terms")
    assert not nob.switches["provider_degradation"] and not nob.switches["self_report"]


def test_sampler_settings_do_not_change_the_spec_id():
    default = load_spec("default")
    faster = default.with_changes(sampler={"draws": 10})
    assert faster.spec_id == default.spec_id
    wider = default.with_changes(priors={"gap_rw": {"sigma": 5.0}})
    assert wider.spec_id != default.spec_id


def test_spec_file_with_a_typo_is_refused(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('extends = "default"\n[priors]\ngap_rww = { sigma = 2.0 }\n')
    with pytest.raises(SpecError, match=r"unknown key 'gap_rww' in \[priors\]"):
        load_spec(f)


def test_bad_prior_and_bad_type_are_refused(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('extends = "default"\n[priors]\ngap_rw = { sigma = -1.0 }\n')
    with pytest.raises(SpecError, match=r"prior 'gap_rw' needs sigma > 0, got -1.0"):
        load_spec(f)
    f.write_text('extends = "default"\n[switches]\nselection = "yes"\n')
    with pytest.raises(SpecError, match=r"\[switches\] selection must be bool, got 'yes'"):
        load_spec(f)


def test_unknown_spec_name_lists_the_shipped_ones():
    expected = r"unknown spec 'nope': expected one of all-benchmarks, constant-gap"
    with pytest.raises(SpecError, match=expected):
        load_spec("nope")
