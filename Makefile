# predeploy — the two commands: `make run` (main job) and `make test` (all tests).
# Both do all set-up themselves on a fresh machine (a .venv with pinned dependencies).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
Q ?= Customer support chatbot for 5,000 users, low latency, budget $$6,000 per month

.PHONY: run test install lint typecheck format check bench kernel-check clean kb-init

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

kb-init: install
	$(BIN)/predeploy kb init

run: kb-init
	$(BIN)/predeploy plan '$(Q)'

test: install check
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

check: lint typecheck

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	$(BIN)/python bench/run_all.py

# The GPU facts and the fitted step model against AIConfigurator's measured GEMM kernels
# (downloads the aiconfigurator-core wheel once into .cache/aic; see bench/kernel_check.py).
kernel-check: install
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,kernels]'
	ls .cache/aic/aiconfigurator_core-0.12.0-*.whl > /dev/null 2>&1 || \
		$(BIN)/pip download --quiet aiconfigurator-core==0.12.0 --no-deps -d .cache/aic
	$(BIN)/python bench/kernel_check.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
