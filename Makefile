# The README's two commands: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Two stamps: `make run` needs only the runtime dependencies; lint and tests add `dev`.
RUNTIME := $(VENV)/.runtime-stamp
DEV     := $(VENV)/.dev-stamp
PORT   ?= 5000

.PHONY: run test lint audit translations vendor clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUNTIME): pyproject.toml setup.py | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml setup.py | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $(DEV) $(RUNTIME)

# The browser path's pinned libsodium (npm ci, package-lock.json) under static/vendor/.
vendor:
	scripts/vendor-js.sh

translations: $(RUNTIME)
	$(VENV)/bin/pybabel compile -d portal/translations
	$(VENV)/bin/pybabel compile -d inbox/translations
	$(VENV)/bin/pybabel compile -d inbox/desk/translations
	$(VENV)/bin/pybabel compile -D labels -d inbox/desk/translations

run: $(RUNTIME) translations vendor
	PORT=$(PORT) $(VENV)/bin/varsel-portal demo --port $(PORT)

lint: $(DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -c pyproject.toml -r crypto portal inbox report_form

# Known vulnerabilities in the dependencies; says so plainly when the advisory data cannot
# be reached (exit 2), and is therefore not part of `make test`.
audit: $(DEV)
	scripts/audit.sh

test: $(DEV) translations lint vendor
	scripts/ensure-system-packages.sh
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
