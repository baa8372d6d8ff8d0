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
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

## make test: lint, then unit, integration and end-to-end tests against real SQLite, PostgreSQL and MariaDB
test: $(STAMP) services lint
	ECMAHOST_TEST_REQUIRE_DATABASES=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts

## make bench: seed PostgreSQL with SIZE users, run the host over TLS with one worker per core, drive it with wrk
## at CONCURRENCY connections for DURATION s per workload; table, JSON and chart in benchmarks/results/.
## PROFILE=1 also records py-spy profiles of GET filter, POST and PATCH; SERVER=granian runs the host under granian
## instead of uvicorn (issue 15). See docs/performance.md.
SIZE ?= 100000
CONCURRENCY ?= 16
DURATION ?= 10
PROFILE ?=
SERVER ?= uvicorn
.PHONY: bench
bench: $(STAMP) services
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.hostbench --size $(SIZE) --concurrency $(CONCURRENCY) --duration $(DURATION) --server $(SERVER) $(if $(PROFILE),--profile)

## make soak: the fault soak (tests/reliability/test_soak.py) for SOAK_SECONDS per target (make test runs it for 20 s);
## the figures land in test-artifacts/reliability/soak-<target>.json
SOAK_SECONDS ?= 300
.PHONY: soak
soak: $(STAMP) services
	SOAK_SECONDS=$(SOAK_SECONDS) ECMAHOST_TEST_REQUIRE_DATABASES=1 $(BIN)/python -m pytest -p no:cacheprovider tests/reliability/test_soak.py
