# Two entry points: `make run` (fetch live statistics, build, charts, notebooks) and
# `make test`. Both create and fill .venv themselves with only Python 3.11 present.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# HS detail for `make run`: 6 digits with a Comtrade key; without one, `auto`: HS6 when the
# planner's call estimate fits 30 minutes at $TRADEVIZ_COMTRADE_RPS (the default plan over
# ten years is about 400 keyless calls, 7 minutes at 1 request a second), else HS4 or HS2.
LEVEL ?= $(if $(COMTRADE_API_KEY),6,auto)
# Partners plan (issue 13): every partner of the five at HS2 with a key; TOTAL only keyless.
PARTNERS_LEVEL ?= $(if $(COMTRADE_API_KEY),2,total)
# World plan (issue 19): every reporter with the World by product; HS6 with a key, else
# `auto`, the finest level whose estimate fits 30 minutes (HS2 over ten years keyless).
WORLD_LEVEL ?= $(if $(COMTRADE_API_KEY),6,auto)
YEARS ?=
OUT ?= exports
# Recorded API responses for the emulators (tests, bench): the package has no default.
TRADEVIZ_CORPUS_DIR ?= $(abspath ..)/shared/corpus
export TRADEVIZ_CORPUS_DIR

.PHONY: run test demo lab bench venv clean

# The exact versions in requirements.lock (every extra, tests and lint: what `run`, `lab`,
# `demo`, `bench` and `test` need), then tradeviz itself without re-resolving.
# Regenerate the lock after changing dependencies: $(BIN)/python scripts/update_lock.py
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/tradeviz doctor
	$(BIN)/tradeviz fetch comtrade --level $(LEVEL) $(if $(YEARS),--years $(YEARS),)
	$(BIN)/tradeviz fetch comtrade --plan partners --level $(PARTNERS_LEVEL) $(if $(YEARS),--years $(YEARS),)
	$(BIN)/tradeviz fetch comtrade --plan world --level $(WORLD_LEVEL) $(if $(YEARS),--years $(YEARS),)
	$(BIN)/tradeviz fetch imf --freq M
	$(BIN)/tradeviz build
	$(BIN)/tradeviz check
	$(BIN)/tradeviz charts --out $(OUT)/charts --format png,svg,pdf
	$(BIN)/tradeviz notebooks --out $(OUT)/notebooks
	$(BIN)/tradeviz report --out $(OUT)/report

# JupyterLab on notebooks/ with this project's environment as the kernel; as root (containers)
# with --allow-root, which Jupyter needs then (scripts/lab.py builds the command).
lab: $(STAMP)
	$(abspath $(BIN))/python scripts/lab.py

demo: $(STAMP)
	$(BIN)/tradeviz demo

bench: $(STAMP)
	$(BIN)/python bench/fetch_plan.py
	$(BIN)/python bench/build.py
	$(BIN)/python bench/notebooks.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/measures.py
	$(BIN)/python bench/scale.py

test: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
