# The two commands of the README: `make run` (service + sandbox) and `make test`.
# Both install what they need into .venv (and the DSFR stylesheet with npm when npm is present).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install assets

run: install assets
	FLASK_ENVIRONMENT=development $(PY) -m app.devserver

test: install assets
	$(PY) -m pytest $(PYTEST_ARGS)

# The rules a tool enforces: style, the architecture's import contracts (pyproject.toml), honest dependencies.
lint: install
	$(VENV)/bin/ruff check app tests bench examples
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/deptry .

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# @gouvfr/dsfr's install script only prints a notice and fails outside a DSFR project: skip scripts.
assets:
	@if command -v npm >/dev/null 2>&1; then \
		[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --ignore-scripts --no-audit --no-fund; \
	else \
		echo "npm not found: the FranceConnect button will use plain styling (see README)"; \
	fi
