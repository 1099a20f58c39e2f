# The two commands a newcomer needs: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint format check bench messages clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/.installed

## run: the platform on the embedded default (SQLite, in-process tasks, demo data)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the whole suite, in parallel on every core; PostgreSQL, Redis, worker and browser
## tests run when available
test: install
	$(BIN)/python -m pytest -n auto

## lint: style, and the layers of the floor plan (import-linter contracts in pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## check: migrations up to date, the OpenAPI schema without warnings, production settings clean
check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	DEBUG=False SECRET_KEY=check-deploy-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install
	$(BIN)/python -m pytest tests/bench -s

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=staticfiles --ignore=tests
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
