# Frontline: `make run` serves the embedded help desk, `make test` runs everything.
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in mail point at the server `make run` starts, unless SITE_URL is set.
SITE_URL ?= http://$(HOST):$(PORT)
HTMX := node_modules/htmx.org/dist/htmx.min.js
CHARTJS := node_modules/chart.js/dist/chart.umd.min.js
AXE := node_modules/axe-core/axe.min.js
ASSETS := $(HTMX) $(CHARTJS) $(AXE)

.PHONY: run test test-sqlite test-postgres lint bench screenshots system-deps messages

$(BIN)/.installed: pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(BIN)/.test-installed: $(BIN)/.installed requirements-test.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-test.lock
	@touch $@

$(ASSETS) &: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $(ASSETS)

run: $(BIN)/.installed $(ASSETS)
	$(BIN)/frontline migrate --noinput
	$(BIN)/frontline demo --if-empty
	SITE_URL=$(SITE_URL) $(BIN)/frontline serve --host $(HOST) --port $(PORT)

system-deps:
	scripts/system-deps

# The main pages at 1280x900 and 390x844 in English, Russian and Chinese, from a
# fresh demo, into var/screenshots/ (ignored by git); see bench/screenshots.py.
screenshots: $(BIN)/.test-installed $(ASSETS)
	$(BIN)/python -m bench.screenshots

lint: $(BIN)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test-sqlite: $(BIN)/.test-installed $(ASSETS)
	$(BIN)/pytest

test-postgres: $(BIN)/.test-installed $(ASSETS)
	scripts/with-postgres $(BIN)/pytest

test: system-deps lint test-sqlite test-postgres

bench: $(BIN)/.test-installed $(ASSETS)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.mail
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.http
	$(BIN)/python -m bench.customers
	$(BIN)/python -m bench.suggest
	scripts/with-postgres $(BIN)/python -m bench.mail

messages: $(BIN)/.installed
	cd frontline && ../$(BIN)/frontline makemessages -l ru -l zh_Hans --no-obsolete --ignore='ops/*' --ignore='mail/parse/*' --ignore='lib/business_hours.py'
	cd frontline && ../$(BIN)/frontline compilemessages
