# Two commands matter: `make demo` (install and start the console chat) and `make test` (install and test).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/joinup db upgrade
	$(BIN)/joinup chat

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# PostgreSQL tests run when the server answers; each test creates and drops its own database.
# Everything but the system tests runs on every core; the system tests (several serve processes, and in CI a
# PostgreSQL restart) run afterwards on their own, so they never disturb the rest.
test: lint
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "PostgreSQL is up: running the postgres-marked tests too"; \
		export JOINUP_TEST_DATABASE_URL=$${JOINUP_TEST_DATABASE_URL:-$(PG_URL)}; \
	else \
		echo "PostgreSQL is not reachable: skipping the postgres-marked and system tests"; \
	fi; \
	$(BIN)/pytest -n auto -m "not nightly and not system" && $(BIN)/pytest -m "system and not nightly"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
