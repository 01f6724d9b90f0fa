# Two commands on a fresh machine (Python 3.11+, Node.js and npm present):
#   make demo   set up and run mcpstate on the bundled example, against a local registry
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo/run.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

# budgets are measured in a virtualenv with a regular (non-editable) install
BENCH_VENV := .cache/bench-venv
bench: $(STAMP)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check . psutil
	$(BENCH_VENV)/bin/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo .cache .pytest_cache
