# The two commands the README promises: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-pythons lint typecheck unit docs bench dist clean

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

# The unit suite under every supported CPython that can be found, each in its own venv (.venv-py311, ...):
# `python3.X` on PATH, else $(PYENV_ROOT)/versions/*/bin/python3.X. A candidate must run and report that
# version (a pyenv shim for a version that is not active does not), and a version with none is skipped with
# a message. Fails when the suite fails under any interpreter. `make test` stays on the default one.
SUPPORTED_PYTHONS := 3.11 3.12 3.13
UNIT_TESTS := tests/unit tests/test_public_api.py

test-pythons:
	@failed=""; passed=""; skipped=""; \
	for version in $(SUPPORTED_PYTHONS); do \
	  interpreter=""; \
	  for candidate in $$(command -v python$$version) $(if $(PYENV_ROOT),$(PYENV_ROOT)/versions/*/bin/python$$version); do \
	    if [ -x "$$candidate" ] && "$$candidate" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$$version')" >/dev/null 2>&1; then \
	      interpreter=$$candidate; break; \
	    fi; \
	  done; \
	  if [ -z "$$interpreter" ]; then \
	    echo "test-pythons: python$$version not found on PATH$(if $(PYENV_ROOT), or under $(PYENV_ROOT)/versions), skipped"; \
	    skipped="$$skipped $$version"; continue; \
	  fi; \
	  venv=.venv-py$$(echo $$version | tr -d .); \
	  echo "test-pythons: $$version: $$interpreter ($$venv)"; \
	  if [ ! -f $$venv/.stamp-test ] || [ pyproject.toml -nt $$venv/.stamp-test ]; then \
	    "$$interpreter" -m venv $$venv && \
	    $$venv/bin/python -m pip install --quiet --upgrade pip && \
	    $$venv/bin/python -m pip install --quiet -e ".[test,local,async]" && \
	    touch $$venv/.stamp-test || { failed="$$failed $$version(install)"; continue; }; \
	  fi; \
	  if $$venv/bin/python -m pytest $(UNIT_TESTS) -q -p no:cacheprovider; then \
	    passed="$$passed $$version"; else failed="$$failed $$version"; fi; \
	done; \
	echo "test-pythons: passed:$${passed:- none}; failed:$${failed:- none}; skipped:$${skipped:- none}"; \
	[ -z "$$failed" ]

# The sdist and the wheel, in dist/.
dist: $(VENV)/.stamp-dev
	$(BIN)/python -m build

# Every benchmark, one after another (bench/run_all.py); prints tables, asserts nothing. BENCH_ARGS passes
# options through, e.g. `make bench BENCH_ARGS="--quick"` or `BENCH_ARGS="--only codec ops"`.
bench: $(VENV)/.stamp-bench
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-py3* site .mypy_cache .ruff_cache .pytest_cache build dist
