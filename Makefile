# Two set-up commands: `make run` (the decision desk with the demo data) and `make test`.
# Each creates the virtual environment and installs what it needs on first use.
VENV := .venv
BIN := $(VENV)/bin

# durable-rules imports on Python 3.11 and 3.12 only.
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] not in ((3,11),(3,12)))' 2>/dev/null \
	  && { echo $$p; break; }; done)

.PHONY: run test lint bench venv

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "credstack needs Python 3.11 or 3.12 (durable-rules does not import on 3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,bench]'
	touch $@

run: venv
	$(BIN)/credstack serve

test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: venv
	$(BIN)/credstack bench
