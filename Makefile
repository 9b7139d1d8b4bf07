# Two commands for a fresh machine with Python 3.11+:
#   make run    set up and start the bot (the terminal chat when no token is set)
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench diagram

$(BIN)/fairshake: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/fairshake
	$(BIN)/fairshake

test: $(BIN)/fairshake
	$(BIN)/pytest -q

lint: $(BIN)/fairshake
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(BIN)/fairshake
	$(BIN)/python -m bench.turns
	$(BIN)/python -m bench.reminders

diagram: $(BIN)/fairshake
	$(BIN)/python -m flows.diagram --write README.md
