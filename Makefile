# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PG_URL ?= postgres://postgres@127.0.0.1:5432/registry
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test test-postgres test-embedded services chromium lint bench bench-quick clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The whole registry on the embedded default (SQLite, blobs under var/, a filesystem broker).
run: $(STAMP)
	$(PY) manage.py runregistry

# The whole suite on PostgreSQL and Redis, then the fast subset on the embedded SQLite default.
test: $(STAMP) services chromium test-postgres test-embedded

test-postgres: $(STAMP)
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) $(PY) -m pytest

test-embedded: $(STAMP)
	env -u DATABASE_URL -u CELERY_BROKER_URL $(PY) -m pytest -m embedded -p no:cacheprovider

# Start PostgreSQL and Redis when installed here but stopped (CI machines start them already).
services:
	@bash .ci/services

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: $(STAMP) services
	$(PY) -m bench

bench-quick: $(STAMP) services
	$(PY) -m bench --quick

clean:
	rm -rf var/
