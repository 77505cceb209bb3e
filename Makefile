# The two entry points of the README: `make demo` and `make test`.
# Both create .venv when it is missing and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tocsin-installed

.PHONY: demo test lint unit integration dashboards clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tocsin demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit detectors streams

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

test: lint $(STAMP)
	$(BIN)/pytest -q

dashboards: $(STAMP)
	$(BIN)/python deploy/grafana/dashboards.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
