# hsbtrack — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 5000
export HSBTRACK_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test test-core lint security install assets migrate demo bench load clean wheel test-browser guide-screenshots ci translations translations-extract document-memory inspection-pack-bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The first-party plugins, each its own distribution (plugins/<package>/pyproject.toml), installed beside the core.
PLUGINS := $(sort $(wildcard plugins/hsbtrack_*))

$(VENV)/.installed: $(BIN)/python pyproject.toml setup.cfg setup.py $(addsuffix /pyproject.toml,$(PLUGINS))
	$(PY) -m pip install --quiet -e '.[test,prod]' $(addprefix -e ./,$(PLUGINS))
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

hsbtrack/static/css/app.css: node_modules/.installed $(wildcard assets/scss/*.scss) assets/copy-vendor.js
	npm run --silent build

assets: hsbtrack/static/css/app.css

## make translations: compile the .po catalogues (core and plugins) into the .mo files the app reads
translations: $(VENV)/.installed
	$(PY) -m hsbtrack.i18n_catalogues compile

## make translations-extract: refresh every messages.po from the code and templates (keeps translations)
translations-extract: $(VENV)/.installed
	$(PY) -m hsbtrack.i18n_catalogues extract

install: $(VENV)/.installed assets translations

## make run: install, migrate, load demo data on first run, serve on 127.0.0.1
run: install
	HSBTRACK_ENV=development $(BIN)/hsbtrack db upgrade
	@HSBTRACK_ENV=development $(BIN)/hsbtrack demo
	@echo "Serving on http://$(HOST):$(PORT)/ — sign in with a demo login above."
	HSBTRACK_ENV=development $(BIN)/hsbtrack run --host $(HOST) --port $(PORT)

## make test: install and run the whole suite, on every CPU (up to 4: pytest-xdist, one database per
## worker; a test file stays on one worker, so its module fixtures are made once). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= auto
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),-p no:xdist,-n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile)
test: install
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

## make test-core: the core's own suite (tests/ without tests/integration) in a venv holding the core
## and no plugin (.venv-core): proof that the core runs alone. CI runs it besides `make test`.
CORE_VENV := .venv-core

$(CORE_VENV)/.installed: pyproject.toml setup.cfg setup.py
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CORE_VENV)/bin/python -m pip install --quiet -e '.[test,prod]'
	touch $@

test-core: assets translations $(CORE_VENV)/.installed
	$(CORE_VENV)/bin/python -m pytest tests --ignore=tests/integration $(XDIST) $(PYTEST_ARGS)

## make test-browser: only the Chromium tests, core and plugins (screenshots in test-artifacts/)
test-browser: install
	$(PY) -m pytest -m browser $(XDIST) $(PYTEST_ARGS)

## make guide-screenshots: retake the user guides' screenshots (docs/guides/img/, commit them)
guide-screenshots: install
	HSBTRACK_GUIDE_SHOTS=1 $(PY) -m pytest tests/integration/browser/test_guide_screenshots.py -q $(PYTEST_ARGS)

## make ci: what CI runs (apt packages, PostgreSQL, the suite on SQLite and PostgreSQL, lint)
ci:
	bash .ci/run

## make lint: ruff, then import-linter with the layer contracts of .importlinter (docs/architecture.md)
lint: install
	$(BIN)/ruff check hsbtrack plugins tests migrations/env.py
	$(BIN)/lint-imports

## make security: bandit on the shipped code, then known vulnerabilities in the installed packages
## (pip-audit on .venv; scripts/audit_dependencies.py). Part of CI, after lint. See docs/security.md.
security: install
	$(BIN)/bandit -c pyproject.toml -r hsbtrack plugins -q
	$(PY) scripts/audit_dependencies.py

## make bench: docs/architecture.md's budgets on national-scale synthetic data (BENCH_SCALE=1: 200 areas, 552,000
## agency responses, 60,000 actions, 1,000,000 training records; BENCH_SCALE=0.02 for a quick run): pages
## against a trivial page, warm and cold (the first view after a write to their data), the regional roll-ups
## of 6 and 32 authorities, the chart rule, the training import. SQLite in a temporary instance, then
## PostgreSQL if BENCH_DATABASE_URL (or DATABASE_URL) names a database it may fill. Full-scale runs rewrite
## their section of docs/benchmarks.md; exits non-zero when a budget is missed.
BENCH_SCALE ?= 1
BENCH_DATABASE_URL ?= $(DATABASE_URL)
bench: install
	@status=0; \
	HSBTRACK_INSTANCE_PATH=$$(mktemp -d) HSBTRACK_ENV=development DATABASE_URL= sh -c '$(BIN)/hsbtrack db upgrade >/dev/null 2>&1 && $(BIN)/hsbtrack bench --scale $(BENCH_SCALE) --docs docs/benchmarks.md' || status=1; \
	if [ -n "$(BENCH_DATABASE_URL)" ]; then \
	  HSBTRACK_INSTANCE_PATH=$$(mktemp -d) HSBTRACK_ENV=development DATABASE_URL='$(BENCH_DATABASE_URL)' sh -c '$(BIN)/hsbtrack db upgrade >/dev/null 2>&1 && $(BIN)/hsbtrack bench --scale $(BENCH_SCALE) --docs docs/benchmarks.md' || status=1; \
	else echo "PostgreSQL skipped: set BENCH_DATABASE_URL=postgresql://user:password@host:5432/db to benchmark it too"; fi; \
	exit $$status

## make load: 50 users for 60 s (LOAD_USERS, LOAD_SECONDS, LOAD_WORKERS) against gunicorn on PostgreSQL
## (DATABASE_URL required: a database it may fill with the benchmark data) through the pages and the API,
## with locust; then capacity steps without think time (LOAD_STEPS, LOAD_STEP_SECONDS): the highest rate held with
## p95 under 300 ms for the main pages and for the trivial page, with the client's CPU share (loadtest/capacity.py);
## appends the latencies to docs/benchmarks.md and fails on any failed request.
## make document-memory: a 50 MB document uploaded and downloaded through a running app, with the server's peak memory
document-memory: install
	$(PY) scripts/document_memory.py

## make inspection-pack-bench: one area of the benchmark data with 200 documents of 1 MB packed into its inspection
## pack by the job runner (its own process): the build time (budget: under a minute), the ZIP's size, peak memory
inspection-pack-bench: install
	$(PY) scripts/inspection_pack_bench.py

load: install
	$(PY) -m pip install --quiet -e '.[test,prod,load]'
	$(PY) loadtest/run.py

wheel: install
	$(PY) -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) node_modules hsbtrack/static/vendor hsbtrack/static/css build dist *.egg-info test-artifacts
