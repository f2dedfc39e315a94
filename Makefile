# Two set-up commands: `make run` (the decision desk with the demo data) and `make test`.
# Each creates the virtual environment and installs what it needs on first use.
VENV := .venv
BIN := $(VENV)/bin

# durable-rules imports on Python 3.11 and 3.12 only.
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] not in ((3,11),(3,12)))' 2>/dev/null \
	  && { echo $$p; break; }; done)

PORT ?= $(or $(CREDSTACK_PORT),5000)

.PHONY: run test lint bench venv venv-run translations

# `make run` installs what running needs; tests and benchmarks add their extras.
venv-run: $(BIN)/.installed-run
venv: $(BIN)/.installed

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "credstack needs Python 3.11 or 3.12 (durable-rules does not import on 3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(BIN)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(BIN)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,bench]'
	touch $(BIN)/.installed-run $@

run: venv-run
	$(BIN)/credstack serve --port $(PORT)

# Extract the desk's strings, merge them into the catalogues, compile them (commit all three).
translations: venv
	$(BIN)/pybabel extract --no-location --sort-output -F views/translations/babel.cfg -k _l -k N_ -o views/translations/messages.pot .
	$(BIN)/pybabel update -i views/translations/messages.pot -d views/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d views/translations

test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: venv
	$(BIN)/credstack bench
