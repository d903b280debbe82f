# newsflow: every command a person or CI needs. The venv is built from the hashed lock file.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-stamp
# Airflow writes into AIRFLOW_HOME on import: always give it the project's own folder.
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__PARALLELISM := 4
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS := False
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS := admin:admin
export AIRFLOW__API__HOST := 127.0.0.1
export AIRFLOW__API__PORT := 8080

.PHONY: install run test lint format bench airflow airflow-stop lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "uv==0.13.9"
	$(UV) pip install --python $(PY) --require-hashes -r requirements.lock
	$(UV) pip install --python $(PY) --no-deps -e .
	touch $@

install: $(STAMP)

run: install
	$(VENV)/bin/newsflow run --with-demo-site

test: install
	$(PY) -m pytest -ra

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) -m benchmarks

airflow: install
	mkdir -p $(AIRFLOW_HOME)
	env --default-signal=INT nohup $(VENV)/bin/airflow standalone > $(AIRFLOW_HOME)/standalone.log 2>&1 & echo $$! > $(AIRFLOW_HOME)/standalone.pid
	@echo "Airflow starting on http://127.0.0.1:8080 (log: $(AIRFLOW_HOME)/standalone.log)"
	@echo "user admin, password in $(AIRFLOW_HOME)/simple_auth_manager_passwords.json.generated"

airflow-stop:
	@if [ -f $(AIRFLOW_HOME)/standalone.pid ]; then \
	  kill -INT $$(cat $(AIRFLOW_HOME)/standalone.pid) 2>/dev/null || true; \
	  rm -f $(AIRFLOW_HOME)/standalone.pid; echo "sent SIGINT to Airflow standalone"; \
	else echo "no Airflow standalone pid file in $(AIRFLOW_HOME)"; fi

lock:
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf data .airflow .pytest_cache
