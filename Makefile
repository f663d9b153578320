# One obvious way to run everything. Each target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint bench translations system-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# axe-core, the accessibility checker the browser tests run in every page: one pinned file from the npm
# registry, installed beside the Python packages (tests/test_browser_tablet.py looks for it here).
AXE_VERSION := 4.14.1
AXE := $(VENV)/node/axe-core-$(AXE_VERSION)/node_modules/axe-core/axe.min.js

$(AXE): | system-tools
	@command -v npm >/dev/null && npm install --silent --no-audit --no-fund --no-save \
		--prefix $(VENV)/node/axe-core-$(AXE_VERSION) axe-core@$(AXE_VERSION) \
		|| echo "axe-core not installed (no npm?): the accessibility test will skip"

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## make run: the product on its embedded defaults (PostgreSQL and mail catcher included)
run: $(VENV)/.runtime
	$(BIN)/python server.py

## make test: lint, format and type checks, then every test (embedded PostgreSQL, or TEST_DATABASE_URL)
test: $(VENV)/.dev system-tools $(AXE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

## make test-fast: the unit lane only (no PostgreSQL, browser or network), in seconds: the rules, parsing,
## messages; `make test` runs every lane (unit, db, browser, deploy: pytest -m LANE picks one)
test-fast: $(VENV)/.dev
	$(BIN)/pytest -q -m unit

## make lint: fix what ruff can and format the code
lint: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make translations: what clients and the front desk read, extracted to locale/messages.pot and merged into each
## language's .po; the domain's errors (booking/errors.py) are messages too, their first argument the words
TRANSLATED_CALLS := N_ BookingError Invalid NotFound Forbidden Conflict SlotTaken OnTimeOff NotOffered TooLate OutsideHours LimitReached PaymentProblem
translations: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg $(TRANSLATED_CALLS:%=-k %) --no-location --omit-header -o locale/messages.pot .
	$(BIN)/pybabel update -i locale/messages.pot -d locale --ignore-obsolete

## make bench: the booking and worker benchmarks (numbers in the README come from here)
bench: $(VENV)/.dev
	$(BIN)/python -m bench.bench_booking
	$(BIN)/python -m bench.bench_worker

# Debian's chromium drives the browser tests, Java runs the W3C's HTML checker over every page, npm
# fetches axe-core (below) and nginx stands in front of the processes in tests/test_deploy.py: installed
# when we may, else the tests that need them skip and say so. (command:package pairs)
SYSTEM_TOOLS := chromium:chromium java:default-jre-headless npm:npm nginx:nginx pgbouncer:pgbouncer
system-tools:
	@missing=""; for tool in $(SYSTEM_TOOLS); do command -v $${tool%%:*} >/dev/null || missing="$$missing $${tool#*:}"; done; \
	[ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
		|| echo "not installed:$$missing; the tests that need them will skip (apt-get install$$missing)"; }
