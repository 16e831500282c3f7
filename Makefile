# agenthone: everything a fresh clone needs, in make targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# a CPU build of torch; a bare "torch" requirement would pull a multi-GB CUDA build
TORCH := torch==2.13.0

export DO_NOT_TRACK := true
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test lint typecheck format bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[local,dev]"
	@# PostgreSQL for the several-workers tuning test (skipped, saying why, where it cannot be had)
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
		{ test "$$(id -u)" = 0 && command -v apt-get >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; } || \
		echo "PostgreSQL is not installed: the several-workers tuning test will be skipped"
	@touch $(STAMP)

demo: setup
	$(BIN)/hone demo

test: setup
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

bench: setup
	$(BIN)/python benchmarks/summary.py --run

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
