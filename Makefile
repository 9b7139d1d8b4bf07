# Two commands for a fresh machine with Python 3.11+:
#   make run    set up and start the bot (the terminal chat when no token is set)
#   make test   set up and run the whole test suite
#
# Installs repeat: .venv gets exactly the versions pinned, with their hashes, in
# requirements-dev.lock (the image gets requirements.lock, the same pins without the dev
# tools), then the project itself on top with --no-deps. The locks are compiled from
# pyproject.toml (and requirements.in, the build backend) by uv:
#   make lock           after changing dependencies in pyproject.toml: adds and drops
#                       what changed, keeps every other pin as it was
#   make lock-upgrade   moves every pin to the newest release pyproject.toml allows
# Commit the two lock files with the pyproject.toml change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock"

.PHONY: run test lint bench diagram lock lock-upgrade

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/fairshake: pyproject.toml requirements-dev.lock | $(BIN)/python
	@# Metadata an old setuptools left in the checkout would shadow the installed one.
	rm -rf fairshake.egg-info
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@# A dependency in pyproject.toml that the lock lacks shows here: run `make lock`.
	$(BIN)/pip check
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
	$(BIN)/python -m bench.concurrent
	$(BIN)/python -m bench.telegram_e2e
	$(BIN)/python -m bench.flood
	$(BIN)/python -m bench.history

diagram: $(BIN)/fairshake
	$(BIN)/python -m flows.diagram --write README.md

# The runtime lock is constrained by the dev lock, so the two pin the same versions.
lock lock-upgrade: | $(BIN)/python
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile $(LOCK_FLAGS) $(if $(filter lock-upgrade,$@),--upgrade) \
		--extra dev pyproject.toml requirements.in -o requirements-dev.lock
	$(BIN)/uv pip compile $(LOCK_FLAGS) \
		pyproject.toml requirements.in -c requirements-dev.lock -o requirements.lock
