"""The Stan data builders, the compile cache key and the CmdStan lookup (no CmdStan needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gapbayes.inference.backend_stan import STAN_FILE, program_hash, stan_sources
from gapbayes.inference.stan_install import find_cmdstan, is_built
from gapbayes.model import frontier_stan, stan_data
from gapbayes.model.families import family
from gapbayes.model.frontier_simulate import frontier_design
from gapbayes.model.simulate import synthetic_design
from gapbayes.model.spec import load_spec, shipped_spec_names

DESIGN = {"n_models": 40, "n_benchmarks": 6, "n_linear": 1}
FIXTURE_SPECS = Path(__file__).parent / "fixtures" / "specs"


def _specs():
    """Every shipped spec, the v1 spec with its country switch, the constant-gap fixture."""
    out = [load_spec(name) for name in shipped_spec_names()]
    out.append(load_spec("timeshift-v1").with_changes(switches={"country": True}))
    out.append(load_spec(FIXTURE_SPECS / "constant-gap.toml"))
    return out


@pytest.fixture(scope="module")
def designs():
    """A small design per family (the frontier one has effort variants)."""
    return {"frontier": frontier_design(seed=3, **DESIGN),
            "timeshift-v1": synthetic_design(seed=3, **DESIGN)}


@pytest.mark.parametrize("spec", _specs(), ids=lambda s: f"{s.name}-{s.spec_id}")
def test_names_and_dims_match_the_pymc_model(designs, spec):
    fam = family(spec)
    side = fam.stan()
    data = fam.build_data(*designs[spec.model], spec)
    model = fam.build_pymc(data, spec)
    assert side.parameter_names(data, spec) == [v.name for v in model.free_RVs]
    dims = side.dims(data, spec)
    coords = side.coords(data, spec)
    for name, pymc_dims in model.named_vars_to_dims.items():
        if name in model.named_vars and not name.endswith("_data"):
            assert tuple(dims.get(name, ())) == tuple(pymc_dims), name
    for dim, values in model.coords.items():
        assert list(coords[dim]) == list(values), dim
    assert set(side.observed_data(data, spec)) == {v.name for v in model.observed_RVs}


def test_frontier_stan_data_is_consistent(designs):
    spec = load_spec("default")
    data = family(spec).build_data(*designs["frontier"], spec)
    sd = frontier_stan.stan_data(data, spec)
    assert sd["N_sig"] + sd["N_lin"] == sd["N"] == len(data.y)
    for name, upper in [("obs_cell", sd["L"]), ("obs_bench", sd["B"]),
                        ("sig_bench", sd["B_sig"]), ("lin_bench", sd["B_lin"]),
                        ("base_family", sd["N_fam"]), ("bench_category", sd["N_cat"]),
                        ("cell_base", sd["K"]), ("base_left", 2 * sd["G"]),
                        ("base_right", 2 * sd["G"])]:
        assert 1 <= sd[name].min() and sd[name].max() <= upper, name
    # Stan reads the frontier column-major (closed and open alternate): the release points
    # must be the same grid points PyMC reads from its (2, G) matrix
    G = sd["G"]
    stacked = np.arange(2 * G).reshape(2, G)           # stacked[g, j] = PyMC's flat index
    interleaved = stacked.T.reshape(-1)                # Stan's to_vector(frontier) order
    pymc_left = data.base_open * G + data.base_cell_left
    np.testing.assert_array_equal(interleaved[sd["base_left"] - 1], pymc_left)
    np.testing.assert_array_equal(interleaved[sd["base_right"] - 1], pymc_left + 1)
    assert sd["growth_interp"].shape == (G, sd["n_back"] + sd["W"] + sd["n_ahead"])
    assert data.grid_time[sd["grid_origin"][0] - 1] == 0.0
    assert sd["mu_closed_level"] == spec.prior("closed_level")["mu"]
    assert sd["sigma_provider_penalty"] == spec.prior("provider_penalty")["sigma"]
    np.testing.assert_array_equal(sd["y_sig"], data.y[data.sig_idx])
    assert abs(sd["bench_public_centred"].sum()) < 1e-12


def test_v1_stan_data_is_consistent(designs):
    spec = load_spec("timeshift-v1")
    data = family(spec).build_data(*designs["timeshift-v1"], spec)
    sd = stan_data.stan_data(data, spec)
    assert sd["N_sig"] + sd["N_lin"] == sd["N"] == len(data.y)
    assert sd["N_open"] + len(sd["closed_obs"]) == sd["N"]
    assert sorted(np.r_[sd["open_obs"], sd["closed_obs"]]) == list(range(1, sd["N"] + 1))
    for name, upper in [("obs_model", sd["M"]), ("obs_bench", sd["B"]),
                        ("sig_bench", sd["B_sig"]), ("lin_bench", sd["B_lin"]),
                        ("model_family", sd["N_fam"]), ("bench_category", sd["N_cat"])]:
        assert 1 <= sd[name].min() and sd[name].max() <= upper, name
    assert sd["growth_interp"].shape == (sd["G"], sd["K_g"])
    assert sd["gap_rw"].shape == (sd["K_d"], sd["K_d"] - 1)
    assert data.grid_time[sd["grid_origin"] - 1] == 0.0
    assert sd["mu_gap_mean"] == spec.prior("gap_mean")["mu"]
    np.testing.assert_array_equal(sd["y_sig"], data.y[data.sig_idx])


def test_switches_off_give_empty_parameters(designs):
    spec = load_spec(FIXTURE_SPECS / "constant-gap.toml")
    data = family(spec).build_data(*designs["timeshift-v1"], spec)
    sd = stan_data.stan_data(data, spec)
    assert sd["use_time_varying_gap"] == 0
    assert "gap_rw_sd" not in stan_data.parameter_names(data, spec)
    spec = load_spec("no-bias-terms")
    data = family(spec).build_data(*designs["frontier"], spec)
    sd = frontier_stan.stan_data(data, spec)
    assert sd["use_provider"] == 0 and sd["use_self_report"] == 0
    names = frontier_stan.parameter_names(data, spec)
    assert "provider_penalty" not in names and "self_report_offset" not in names


def test_stan_point_wraps_optional_scalars_and_zero_sums():
    point = stan_data.stan_point({"gap_rw_sd": np.float64(1.5), "gap_mean": 2.0,
                                  "gap_z": np.ones(3)})
    assert point == {"gap_rw_sd": [1.5], "gap_mean": 2.0, "gap_z": [1.0, 1.0, 1.0]}
    diff = np.array([0.5, -1.0, 0.25, 0.25])
    point = frontier_stan.stan_point({"public_shift": 0.3, "difficulty": diff})
    assert point["public_shift"] == [0.3] and len(point["difficulty_zerosum"]) == 3
    back = frontier_stan.from_stan_point(point)
    np.testing.assert_allclose(back["difficulty"], diff, atol=1e-12)
    assert back["public_shift"].shape == ()


def _fake_cmdstan(root: Path, version: str = "2.35.0") -> Path:
    path = root / f"cmdstan-{version}"
    (path / "bin").mkdir(parents=True)
    (path / "makefile").write_text(f"CMDSTAN_VERSION := {version}\n")
    for tool in ("stanc", "stansummary"):
        (path / "bin" / tool).write_text("")
    return path


def test_program_hash_follows_content_not_timestamps(tmp_path):
    cmdstan = _fake_cmdstan(tmp_path / "cs")
    prog = tmp_path / "m" / "model.stan"
    prog.parent.mkdir()
    (prog.parent / "part.stanfunctions").write_text("real f() { return 1; }\n")
    prog.write_text('functions {\n#include "part.stanfunctions"\n}\n')
    assert stan_sources(prog) == [prog, prog.parent / "part.stanfunctions"]
    first = program_hash(cmdstan, prog)
    prog.touch()
    assert program_hash(cmdstan, prog) == first
    (prog.parent / "part.stanfunctions").write_text("real f() { return 2; }\n")
    changed = program_hash(cmdstan, prog)
    assert changed != first
    (cmdstan / "make").mkdir()
    (cmdstan / "make" / "local").write_text("CXXFLAGS += -march=native\n")
    assert program_hash(cmdstan, prog) != changed
    assert len(program_hash(cmdstan, STAN_FILE)) == 16


def test_find_cmdstan_order(tmp_path, monkeypatch):
    monkeypatch.setenv("GAPBAYES_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CMDSTAN", str(tmp_path / "nowhere"))
    assert find_cmdstan() is None
    half = tmp_path / "cache" / "cmdstan" / "cmdstan-2.36.0"
    half.mkdir(parents=True)  # unpacked but never built: does not count
    assert not is_built(half)
    older = _fake_cmdstan(tmp_path / "cache" / "cmdstan", "2.34.1")
    newer = _fake_cmdstan(tmp_path / "cache" / "cmdstan", "2.35.0")
    assert find_cmdstan() == newer.resolve()
    monkeypatch.setenv("CMDSTAN", str(older))
    assert find_cmdstan() == older.resolve()


def test_concurrent_compiles_of_one_program_build_it_once(tmp_path, monkeypatch):
    """Two processes or threads asking for the same uncached program: one builds, one waits."""
    import threading
    import time

    import cmdstanpy

    from gapbayes.inference import backend_stan, stan_install

    builds: list[str] = []

    def slow_build(cmdstan, stan_file, key, folder):
        builds.append(key)
        time.sleep(0.5)   # long enough for the second caller to arrive while this one builds
        folder.mkdir(parents=True)
        (folder / stan_file.stem).write_text("exe")

    monkeypatch.setattr(stan_install, "ensure_cmdstan", lambda: tmp_path / "cmdstan")
    monkeypatch.setattr(backend_stan, "program_hash", lambda cmdstan, stan_file: "k")
    monkeypatch.setattr(backend_stan, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(backend_stan, "_build", slow_build)
    monkeypatch.setattr(cmdstanpy, "CmdStanModel", lambda exe_file: exe_file)
    got: list = []
    callers = [threading.Thread(target=lambda: got.append(backend_stan.compile_model()))
               for _ in range(2)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert builds == ["k"]
    assert got == [tmp_path / "cache" / "stan" / "k" / STAN_FILE.stem] * 2
