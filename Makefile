# cop: make run (set up and serve), make test (set up and test everything).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export COP_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test install install-test chromium assets worker clean

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
test: install-test chromium
	$(BIN)/pytest $(PYTEST_ARGS)

## Rebuild the compiled design-system assets under cop/static (needs Node and npm).
assets:
	npm ci --no-audit --no-fund
	bash assets/build.sh

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules
