import pytest

from gapbayes.errors import SpecError
from gapbayes.model.spec import load_spec, shipped_spec_names


def test_shipped_specs_have_distinct_stable_ids():
    names = shipped_spec_names()
    assert names == ["by-country", "default", "gamma-shortfall", "lab-curves", "no-bias-terms",
                     "published", "timeshift-v1"]
    ids = {n: load_spec(n).spec_id for n in names}
    assert len(set(ids.values())) == len(ids)
    assert all(len(i) == 8 for i in ids.values())
    assert load_spec("default").spec_id == ids["default"]  # content hash, not random


def test_families_and_extends():
    default, published = load_spec("default"), load_spec("published")
    assert default.model == published.model == "frontier"
    assert default.data["benchmarks"] == "all" and published.data["benchmarks"] == "published"
    assert published.priors == default.priors and published.switches == default.switches
    nob = load_spec("no-bias-terms")
    assert not nob.switches["provider_degradation"] and not nob.switches["self_report"]
    country = load_spec("by-country")
    assert country.switches["country"] and not default.switches["country"]
    assert country.priors == default.priors
    v1 = load_spec("timeshift-v1")
    assert v1.model == "timeshift-v1" and v1.switches["time_varying_gap"] is True


def test_sampler_settings_do_not_change_the_spec_id():
    default = load_spec("default")
    faster = default.with_changes(sampler={"draws": 10})
    assert faster.spec_id == default.spec_id
    wider = default.with_changes(priors={"growth_rw": {"sigma": 5.0}})
    assert wider.spec_id != default.spec_id


def test_spec_file_with_a_typo_is_refused(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('extends = "default"\n[priors]\ngrowth_rww = { sigma = 2.0 }\n')
    with pytest.raises(SpecError, match=r"unknown key 'growth_rww' in \[priors\]"):
        load_spec(f)


def test_keys_are_checked_against_the_family_of_the_spec(tmp_path):
    # a v1 prior is not a key of the frontier family, and the other way round
    f = tmp_path / "mixed.toml"
    f.write_text('extends = "default"\n[priors]\ngap_rw = { sigma = 2.0 }\n')
    with pytest.raises(SpecError, match=r"unknown key 'gap_rw' in \[priors\]"):
        load_spec(f)
    f.write_text('extends = "timeshift-v1"\n[priors]\ngap_rw = { sigma = 2.0 }\n')
    assert load_spec(f).prior("gap_rw")["sigma"] == 2.0
    f.write_text('extends = "default"\nmodel = "nope"\n')
    with pytest.raises(SpecError, match=r"unknown model 'nope'; known: frontier, timeshift-v1"):
        load_spec(f)


def test_bad_prior_and_bad_type_are_refused(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('extends = "default"\n[priors]\ngrowth_rw = { sigma = -1.0 }\n')
    with pytest.raises(SpecError, match=r"prior 'growth_rw' needs sigma > 0, got -1.0"):
        load_spec(f)
    f.write_text('extends = "default"\n[switches]\ncategory_trends = "yes"\n')
    with pytest.raises(SpecError, match=r"\[switches\] category_trends must be bool, got 'yes'"):
        load_spec(f)
    f.write_text('extends = "default"\n[switches]\nasymmetric_link_benchmarks = "mmlu"\n')
    with pytest.raises(SpecError, match=r"\[switches\] asymmetric_link_benchmarks must be a "
                                        r"list of strings, got 'mmlu'"):
        load_spec(f)
    f.write_text('extends = "default"\n[sampler]\nadaptation = "dense"\n')
    with pytest.raises(SpecError, match=r"\[sampler\] adaptation must be 'diag', 'low_rank' "
                                        r"or 'pilot', got 'dense'"):
        load_spec(f)
    f.write_text('extends = "default"\n[sampler]\nextra_doublings = 5\n')
    with pytest.raises(SpecError, match=r"\[sampler\] extra_doublings must be an integer from "
                                        r"0 to 3, got 5"):
        load_spec(f)


def test_unknown_spec_name_lists_the_shipped_ones():
    expected = (r"unknown spec 'nope': expected one of by-country, default, gamma-shortfall, "
                r"lab-curves, no-bias-terms, published")
    with pytest.raises(SpecError, match=expected):
        load_spec("nope")
