# gapbayes: `make run` fits the default model on the bundled data and prints the gap summary;
# `make test` runs the whole test suite. Both create .venv with a Python >= 3.12 first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
GAPBAYES := $(VENV)/bin/gapbayes
STAMP := $(VENV)/.installed-stamp
CMDSTAN_STAMP := $(VENV)/.cmdstan-path
PYTEST_ARGS ?=
# Two pytest workers (pytest-xdist), one test file each at a time (module fixtures stay in one
# worker): compilation is single-threaded, so the second core was idle ~40% of a serial run.
# Measured: 20:49 with two workers against 28:51 serial (639 tests, an earlier suite); the
# suite of 708 tests took 38:33 with two workers on a clean clone (2026-12-03; README "Tests").
# No test times itself.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: help install lock data run baseline test test-slow test-deps lint cmdstan bench sbc sbc-selection clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@py=$$(scripts/find-python.sh) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install gapbayes with the exact versions of requirements.lock

# `make lock` resolves pyproject.toml's version ranges afresh (newest releases) in a throwaway
# venv and rewrites requirements.lock from it; `make install` then moves .venv to those versions.
LOCK_VENV := $(VENV)-lock
lock:  ## re-resolve the newest allowed versions into requirements.lock (then run make test)
	@py=$$(scripts/find-python.sh) || exit 1; rm -rf $(LOCK_VENV) && "$$py" -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@{ sed -n '/^#/p' requirements.lock; $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } \
	  > requirements.lock.new && mv requirements.lock.new requirements.lock
	rm -rf $(LOCK_VENV)
	@echo "requirements.lock rewritten: review 'git diff requirements.lock', then make install test"

data: $(STAMP)  ## rebuild the tidy tables under data/tidy from data/raw
	$(GAPBAYES) data build

cmdstan: $(STAMP)  ## install CmdStan ($$CMDSTAN, else the offline bundle in ../shared, else cmdstanpy)
	$(PY) -m gapbayes.inference.stan_install

run: $(STAMP)  ## build the data, run the default fit and print the gap summary
	$(GAPBAYES) data build
	$(GAPBAYES) baseline
	$(GAPBAYES) fit --spec default

baseline: $(STAMP)  ## the published threshold-crossing method on the bundled data
	$(GAPBAYES) baseline

# The Stan tests need CmdStan (offline bundle in ../shared when present, ~3-5 min once) and the
# report test a headless Chromium (Debian's package, installed when we are root). Without
# them those tests are skipped with the reason, never silently passed.
test-deps: $(STAMP)
	@$(PY) -m gapbayes.inference.stan_install || echo "note: CmdStan unavailable: the Stan tests will be skipped"
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) ; } \
	  || echo "note: chromium unavailable: the report's browser test will be skipped"

# The Stan programs are built beside pytest (gapbayes/inference/stan_prebuild.py says why:
# otherwise one worker waits ~8 minutes for the other's build of frontier.stan); with the
# programs cached it returns at once. make waits for it, and exits with pytest's status.
BESIDE_PREBUILD = $(PY) -m gapbayes.inference.stan_prebuild >/dev/null 2>&1 & prebuild=$$!;

test: test-deps  ## run the test suite (fast tiers; what CI runs)
	@$(BESIDE_PREBUILD) $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS); status=$$?; \
	  wait $$prebuild; exit $$status

test-slow: test-deps  ## also run the long statistical tests (full-size recovery design)
	@$(BESIDE_PREBUILD) GAPBAYES_SLOW=1 $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS); \
	  status=$$?; wait $$prebuild; exit $$status

SBC_ARGS ?=
SBC_WORKERS ?= 2
# The default (frontier) model at a design like the bundled data (524 models / 436 base models,
# 38 benchmarks of which 2 linear, ~2,760 scores). A fit converges only as a real fit does
# (R-hat <= 1.01 on every monitored quantity and posterior variable, no divergence); fits
# that miss are refitted with 4x the draws and 4x the thinning (same L, fresh seeds:
# gapbayes/sbc/extend.py), then once more with target_accept 0.98. The report states the
# first-attempt and the final convergence rates. Resumable at both stages.
sbc: $(STAMP)  ## simulation-based calibration of the default model: 400 simulations at the real design, refits of non-converged fits
	$(GAPBAYES) sbc --spec default --simulations 400 --n-benchmarks 38 --n-linear 2 --eval-rate 0.15 --workers $(SBC_WORKERS) --extend-not-converged 4 --strict $(SBC_ARGS)

# The selection switch: evaluation patterns drawn from the model on a fixed frame of 60 models
# x 6 benchmarks (gapbayes/sbc/selection.py); each fit compiles its own model, about a minute
# per simulation on 2 cores. The converged-only verdict and the every-fit one are both reported.
sbc-selection: $(STAMP)  ## SBC of the selection switch: 40 simulations on a fixed sampling frame
	$(GAPBAYES) sbc-selection --simulations 40 --strict $(SBC_ARGS)

lint: $(STAMP)  ## ruff
	$(VENV)/bin/ruff check gapbayes tests bench

bench: $(STAMP)  ## performance benchmark (markdown table)
	$(PY) bench/run_bench.py

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache
