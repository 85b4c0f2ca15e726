# The two commands the README promises: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the package metadata changes.
$(VENV)/.stamp-local: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[local]"
	touch $@

# The docs extra is part of the dev environment: `make test` builds the site.
$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,local,async,docs]"
	touch $@ $(VENV)/.stamp-local

# The benchmarks' peers (PynamoDB) on top of the dev environment.
$(VENV)/.stamp-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,local,async,docs,bench]"
	touch $@ $(VENV)/.stamp-dev $(VENV)/.stamp-local

demo: $(VENV)/.stamp-local
	$(BIN)/python examples/local_crud.py

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy --strict src tests/typing

unit: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest tests/unit tests/test_public_api.py -q

# The site under docs/ into site/, offline, warnings as errors: a broken link, page or reference fails it.
docs: $(VENV)/.stamp-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Two workers: most integration tests wait on the embedded server, so the two cores overlap them. Work
# stealing keeps both busy to the end (a few integration tests take half a minute each).
test: lint typecheck docs
	$(BIN)/python -m pytest -q -n 2 --dist worksteal

# Every benchmark, one after another (bench/run_all.py); prints tables, asserts nothing. BENCH_ARGS passes
# options through, e.g. `make bench BENCH_ARGS="--quick"` or `BENCH_ARGS="--only codec ops"`.
bench: $(VENV)/.stamp-bench
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) site .mypy_cache .ruff_cache .pytest_cache
