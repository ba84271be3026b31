# cop: make run (set up and serve), make test (set up and test everything).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export COP_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test install install-test chromium wrk bench assets worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Serve the app and its worker on http://127.0.0.1:5000 with an embedded SQLite database.
run: install
	COP_ENV=development $(BIN)/flask --app wsgi db upgrade
	COP_ENV=development $(BIN)/flask --app wsgi seed-if-empty
	COP_ENV=development PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile.dev start

## Only the worker (the task queue's consumer).
worker: install
	COP_ENV=development $(BIN)/flask --app wsgi worker

## Chromium for the browser tests, from Debian's packages when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
		( $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium )

## Every test: unit, integration, migrations, browser.
## Two test processes (pytest-xdist), each with its own databases: SQLite files, a PostgreSQL database,
## and a Redis database of its own when REDIS_URL is set (tests/conftest.py).
PYTEST_WORKERS ?= 2
test: install-test chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## wrk for the benchmarks, from Debian's packages when it is missing.
wrk:
	@command -v wrk >/dev/null 2>&1 || \
		( $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk )

## Every benchmark, on SQLite and then on PostgreSQL (BENCH_DATABASE_URL; skipped when it does not answer).
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
BENCHMARKS := pages casestudies events feeds forum federation
## Benchmarks of pure computation (mentor matching), which no database changes: run once.
COMPUTE_BENCHMARKS := matching matching_quality
bench: install-test wrk
	@for b in $(COMPUTE_BENCHMARKS); do $(BIN)/python -m bench.$$b || exit 1; done
	@for b in $(BENCHMARKS); do $(BIN)/python -m bench.$$b $(BENCH_ARGS) || exit 1; done
	@if $(BIN)/python -c "import sqlalchemy as sa; from cop.config import database_url; sa.create_engine(database_url('$(BENCH_DATABASE_URL)')).connect().close()" 2>/dev/null; then \
		for b in $(BENCHMARKS); do $(BIN)/python -m bench.$$b --database-url '$(BENCH_DATABASE_URL)' $(BENCH_ARGS) || exit 1; done; \
	else echo "PostgreSQL at $(BENCH_DATABASE_URL) does not answer: the PostgreSQL runs are skipped."; fi

## Rebuild the compiled design-system assets under cop/static (needs Node and npm).
assets:
	npm ci --no-audit --no-fund
	bash assets/build.sh

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules
