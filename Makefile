# Two commands on a fresh machine (Python 3.11+, Node.js and npm present):
#   make demo   set up and run mcpstate on the bundled example, against a local registry
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-tools bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo/run.py

test: $(STAMP) test-tools
	$(BIN)/python -m pytest -q -n auto

# The example tests also run tools that no Python package ships (tests/examples/):
# promtool (Debian's prometheus) checks the alert rules, shellcheck lets actionlint check
# the workflow's scripts. Installed when missing, as root with apt-get (quietly; the lists
# refreshed only if the first try fails); when that cannot be, their tests skip, saying why.
APT_TOOLS := promtool:prometheus shellcheck:shellcheck
test-tools:
	@missing=; for t in $(APT_TOOLS); do command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
	  { apt-get update -qq >/dev/null 2>&1 && \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1; } || \
	  echo "note: could not install$$missing with apt-get; the tests that need them skip"; \
	fi

# budgets are measured in a virtualenv with a regular (non-editable) install
BENCH_VENV := .cache/bench-venv
bench: $(STAMP)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check . psutil
	$(BENCH_VENV)/bin/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo .cache .pytest_cache
