# newsflow: every command a person or CI needs. The venv is built from the hashed lock file.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-stamp
# Airflow writes into AIRFLOW_HOME on import: always give it the project's own folder. The rest of
# its configuration (loopback, port, DAGs folder, auth, pool) is set by `newsflow.airflow.standalone`.
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
AIRFLOW_PORT ?= 8080
DEMO_PORT ?= 8765

.PHONY: install run test lint format bench mutation soak airflow airflow-stop lock clean system-deps

# Bytecode is compiled at install: uv does not by default, and where PYTHONDONTWRITEBYTECODE is
# set (this build machine) every process would compile Airflow, Scrapy and spaCy from source
# again (12 s to import them, 4.5 s compiled; Airflow's processes and each crawl child pay it).
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "uv==0.13.9"
	$(UV) pip install --python $(PY) --require-hashes --compile-bytecode -r requirements.lock
	$(UV) pip install --python $(PY) --no-deps -e .
	touch $@

install: $(STAMP)

run: install
	$(VENV)/bin/newsflow run --with-demo-site

# Debian's chromium, for the test that screenshots the Airflow grid (idempotent; CI runs as root).
system-deps:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

# The layer contracts (pyproject.toml [tool.importlinter], docs/architecture.md) first, then every
# source's saved pages against their expected records (`newsflow check`): seconds. pytest runs
# on every core (pytest-xdist): each test has its own folders, database and ports; the tests
# sharing the session's Airflow standalone (xdist_group live_airflow) run on one worker.
TEST_WORKERS ?= auto
test: install system-deps
	$(VENV)/bin/lint-imports
	$(VENV)/bin/newsflow check
	$(PY) -m pytest -ra -n $(TEST_WORKERS) --dist loadgroup

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) -m benchmarks

# Not part of `test`: breaks each promised rule in a scratch copy and runs its guarding tests;
# exits 1 if a mutation survives (tests/mutation.py).
mutation: install
	$(PY) tests/mutation.py

# Not part of `test`: NIGHTS nights of the demo site changing under faults, then the database
# compared with the site's ground truth (tests/soak.py); exits 1 if anything is off.
NIGHTS ?= 30
SEED ?= 1
soak: install
	$(PY) tests/soak.py --nights $(NIGHTS) --seed $(SEED)

# Standalone (scheduler, DAG processor, triggerer, API server) on 127.0.0.1:$(AIRFLOW_PORT) with SQLite
# metadata, plus the demo site the `newsflow_demo` DAG crawls. `env --default-signal=INT` undoes the
# SIGINT-ignore that background jobs get, so `airflow-stop` can stop it cleanly with SIGINT.
airflow: install
	@mkdir -p $(AIRFLOW_HOME)
	@if [ -f $(AIRFLOW_HOME)/standalone.pid ] && kill -0 $$(cat $(AIRFLOW_HOME)/standalone.pid) 2>/dev/null; then \
	  echo "Airflow already running (pid $$(cat $(AIRFLOW_HOME)/standalone.pid))"; exit 1; fi
	env --default-signal=INT nohup $(VENV)/bin/newsflow demo-site --port $(DEMO_PORT) \
	  > $(AIRFLOW_HOME)/demo-site.log 2>&1 & echo $$! > $(AIRFLOW_HOME)/demo-site.pid
	env --default-signal=INT nohup $(PY) -m newsflow.airflow.standalone \
	  --home $(AIRFLOW_HOME) --port $(AIRFLOW_PORT) \
	  > $(AIRFLOW_HOME)/standalone.log 2>&1 & echo $$! > $(AIRFLOW_HOME)/standalone.pid
	@for i in $$(seq 120); do \
	  curl -sf http://127.0.0.1:$(AIRFLOW_PORT)/api/v2/monitor/health >/dev/null && break; \
	  kill -0 $$(cat $(AIRFLOW_HOME)/standalone.pid) 2>/dev/null || { tail -20 $(AIRFLOW_HOME)/standalone.log; exit 1; }; \
	  sleep 1; done
	@curl -sf http://127.0.0.1:$(AIRFLOW_PORT)/api/v2/monitor/health >/dev/null \
	  || { echo "Airflow did not come up: see $(AIRFLOW_HOME)/standalone.log"; exit 1; }
	@echo "Airflow on http://127.0.0.1:$(AIRFLOW_PORT) (log: $(AIRFLOW_HOME)/standalone.log)"
	@echo "user admin, password in $(AIRFLOW_HOME)/passwords.json"

airflow-stop:
	@for name in standalone demo-site; do \
	  pidfile=$(AIRFLOW_HOME)/$$name.pid; \
	  if [ ! -f $$pidfile ]; then echo "$$name: not running (no $$pidfile)"; continue; fi; \
	  pid=$$(cat $$pidfile); kill -INT $$pid 2>/dev/null || true; \
	  for i in $$(seq 60); do kill -0 $$pid 2>/dev/null || break; sleep 1; done; \
	  if kill -0 $$pid 2>/dev/null; then echo "$$name (pid $$pid) still running after 60 s"; exit 1; fi; \
	  rm -f $$pidfile; echo "$$name stopped (SIGINT to pid $$pid)"; \
	done

lock:
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf data .airflow .pytest_cache
