# One command surface for people and CI. Targets create .venv and install the project on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= dev,contrib,plot,progress,ray,stats

# Offline data beside the checkout (as in CI) is used when the variables are not set already.
SHARED_TABLE := $(wildcard ../shared/data/nb201/nb201_tss_accuracies.csv)
SHARED_CIFAR := $(wildcard ../shared/data/cifar10-jpeg.tar.gz)
export NAT_NB201_TABLE ?= $(if $(SHARED_TABLE),$(abspath $(SHARED_TABLE)))
export NAT_CIFAR10_ARCHIVE ?= $(if $(SHARED_CIFAR),$(abspath $(SHARED_CIFAR)))

.PHONY: help install test test-slow test-gpu lint format format-check typecheck bench-smoke run ci clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

install: $(BIN)/.installed  ## create .venv and install the project with its extras

test: install  ## fast tests (a few minutes on 2 CPU cores)
	$(BIN)/python -m pytest -n 2 -q

test-slow: install  ## slow CPU tests only
	$(BIN)/python -m pytest -q -m "slow and not gpu"

test-gpu: install  ## GPU tests (need CUDA)
	$(BIN)/python -m pytest -q -m gpu

lint: install  ## ruff lint
	$(BIN)/ruff check nat_env agents nat_cli benchmarks tests

format: install  ## ruff format in place
	$(BIN)/ruff format nat_env agents nat_cli benchmarks tests
	$(BIN)/ruff check --fix nat_env agents nat_cli benchmarks tests

format-check: install  ## ruff format check
	$(BIN)/ruff format --check nat_env agents nat_cli benchmarks tests

typecheck: install  ## mypy, strict on the packages
	$(BIN)/mypy

bench-smoke: install  ## every benchmark on a tiny budget, results to a temporary folder
	$(BIN)/python -m benchmarks.smoke

RUN_DIR ?= runs/train-$(shell date +%Y%m%d-%H%M%S)

run: install  ## the main job: train REINFORCE + GCN on exact NAS-Bench-201 rewards, report what it learned
	$(BIN)/nat train --log-dir $(RUN_DIR)

ci: lint format-check typecheck test test-slow bench-smoke  ## what .ci/run runs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
