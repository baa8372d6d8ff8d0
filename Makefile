# ecmahost: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOME_DIR ?= .demo
PORT ?= 8585
PYTEST_ARGS ?=

.PHONY: demo test lint format check services install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install into .venv, start the host on an embedded SQLite target, print URL, token, first request
demo: $(STAMP)
	$(BIN)/ecmahost demo --home $(HOME_DIR) --port $(PORT)

## every scripts/ensure-*.sh installs or starts one thing the tests need (databases, slapd, a browser, ...)
services:
	@for script in scripts/ensure-*.sh; do bash "$$script" || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

## make test: lint, then unit, integration and end-to-end tests against real SQLite, PostgreSQL and MariaDB
test: $(STAMP) services lint
	ECMAHOST_TEST_REQUIRE_DATABASES=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
