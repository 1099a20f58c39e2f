# The two commands a newcomer needs: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Mutation testing reuses one PostgreSQL test database between mutants (seconds each, not the
# minute a fresh SQLite test database takes to migrate); one mutant at a time, as they share it.
MUTATE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tilab_mutmut
# The money module, the ledger, and the journal's functions in figures/totals.py.
MUTANTS ?= 'tilab.money.*' 'subsidies.ledger.*' 'figures.totals.x_production_totals_record__*' \
	'figures.totals.x__counted__*' 'figures.totals.x__add__*' 'figures.totals.x__drain__*' \
	'figures.totals.x_production_totals_drain__*'

.PHONY: run test install lint format check bench mutate messages lock wheel clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# -qq: errors only; setuptools' notice about editable installs of a flat layout is noise.
	$(BIN)/python -m pip install --quiet --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/.installed

## run: the platform on the embedded default (SQLite, in-process tasks, demo data)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PORT=$(PORT) $(BIN)/python manage.py runserver $(HOST):$(PORT)

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

## check: migrations up to date, the OpenAPI schema without warnings and valid as
## openapi-spec-validator reads it, production settings clean
check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	mkdir -p var && $(BIN)/python manage.py spectacular --format openapi-json --file var/schema.json
	$(BIN)/openapi-spec-validator var/schema.json
	DEBUG=False SECRET_KEY=check-deploy-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install
	$(BIN)/python -m pytest tests/bench -s

## mutate: mutation testing (mutmut) of tilab/money.py, subsidies/ledger.py and the totals
## journal (figures/totals.py) with their tests; needs PostgreSQL (MUTATE_DATABASE_URL); then
## `mutmut show NAME` shows a surviving mutant
mutate: install
	rm -rf mutants
	DATABASE_URL=$(MUTATE_DATABASE_URL) $(BIN)/mutmut run --max-children 1 $(MUTANTS)
	$(BIN)/mutmut results

# French is the source language, yet it needs a catalogue of its own: without one, gettext
# falls back to the English plural rule for every French msgid ("0 déclarations"). The French
# catalogue repeats each msgid (msgen) under French's rule, plural=(n > 1): "0 déclaration".
messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=staticfiles --ignore=tests
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv
	rm -f locale/fr/LC_MESSAGES/django.po  # made afresh: no fuzzy entry left out of the .mo
	$(BIN)/python manage.py makemessages -l fr --ignore=.venv --ignore=staticfiles --ignore=tests
	msgen locale/fr/LC_MESSAGES/django.po -o locale/fr/LC_MESSAGES/django.po
	$(BIN)/python manage.py compilemessages -l fr --ignore=.venv

## lock: requirements.lock, the production dependencies pinned with their hashes (the image
## installs from it with --require-hashes); run it after changing [project] dependencies
lock: install
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
		--custom-compile-command "make lock" -o requirements.lock pyproject.toml

## wheel: the platform's wheel in dist/ (code, templates, static sources, translations)
wheel: install
	rm -rf build dist
	$(BIN)/python -m pip wheel --no-deps --quiet -w dist .

clean:
	rm -rf $(VENV) var staticfiles build dist
