# The README's two commands: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 5000

.PHONY: run test lint translations clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

translations: $(STAMP)
	$(VENV)/bin/pybabel compile -d portal/translations

run: $(STAMP) translations
	PORT=$(PORT) $(VENV)/bin/varsel-portal demo --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: $(STAMP) translations lint
	scripts/ensure-system-packages.sh
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
