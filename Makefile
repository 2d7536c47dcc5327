# plant-twin: the README's commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_HOME ?= $(CURDIR)/demo
DEMO_DAYS ?= 7
# Nightlies to run over the demo days (the last N; empty: every day).
DEMO_NIGHTS ?=
# `make server DB=postgres`: the Prefect server on a local PostgreSQL 15 in $TWIN_HOME/postgres.
DB ?= sqlite
# `make workers N=2`: workers on the work pool twin-sites (site-nightly runs).
N ?= 1

.DEFAULT_GOAL := help

$(BIN)/twin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

.PHONY: help
help: ## List the commands
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: install
install: $(BIN)/twin ## Create .venv and install the project with its dev tools

.PHONY: demo
demo: $(BIN)/twin ## Generate a demo plant into ./demo and run the twin on it (embedded default)
	TWIN_HOME=$(DEMO_HOME) $(BIN)/twin demo --days $(DEMO_DAYS) --fresh $(if $(DEMO_NIGHTS),--nights $(DEMO_NIGHTS),)

.PHONY: server
server: $(BIN)/twin ## Start a local Prefect server (UI; DB=postgres for PostgreSQL), the deployments, workers
	TWIN_HOME=$${TWIN_HOME:-$(DEMO_HOME)} TWIN_SERVER_DB=$(DB) scripts/server.sh start

.PHONY: workers
workers: $(BIN)/twin ## Run N workers on the work pool twin-sites of `make server` (make workers N=2)
	TWIN_HOME=$${TWIN_HOME:-$(DEMO_HOME)} scripts/server.sh workers $(N)

.PHONY: server-stop
server-stop: ## Stop the workers, server (and PostgreSQL) started by `make server`
	scripts/server.sh stop

.PHONY: test
test: $(BIN)/twin ## Run the full test suite (slow tests included)
	$(BIN)/python -m pytest

.PHONY: test-fast
test-fast: $(BIN)/twin ## Run the tests not marked slow
	$(BIN)/python -m pytest -m "not slow"

.PHONY: reliability
reliability: $(BIN)/twin ## Run the fault-injection suite and refresh docs/reliability.md's table from it
	$(BIN)/python -m pytest tests/reliability
	$(BIN)/python scripts/reliability_table.py --write docs/reliability.md

.PHONY: lint
lint: $(BIN)/twin ## ruff and mypy (strict on twin_core, flows and twin_cli)
	$(BIN)/ruff check .
	$(BIN)/mypy

.PHONY: docs
docs: $(BIN)/twin ## Build the documentation site into site/ (mkdocs build --strict: broken links fail it)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

.PHONY: docs-serve
docs-serve: $(BIN)/twin ## Serve the documentation on http://127.0.0.1:8000, rebuilt on save
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

.PHONY: bench
bench: $(BIN)/twin ## Benchmark the nightly at bench scale vs its floors (bench-out/nightly.{json,md}; long)
	$(BIN)/python bench/nightly_bench.py $(BENCH_ARGS)
	$(BIN)/python bench/watch_bench.py --json bench-out/watch.json

.PHONY: screenshots
screenshots: $(BIN)/twin ## Regenerate the README's report screenshots (docs/report-*.png) from a fresh demo plant
	scripts/screenshots.sh

.PHONY: clean
clean: ## Remove the demo home and caches (keeps .venv)
	rm -rf $(DEMO_HOME) site .pytest_cache .mypy_cache .ruff_cache
