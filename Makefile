# One entry point for people and CI: `make run` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Line and branch coverage of bot/ and handlers/, failing under the floor in pyproject.toml.
# Empty it to run a few tests without the floor: make pytest PYTEST_ARGS=tests/test_x.py PYTEST_COVERAGE=
PYTEST_COVERAGE ?= --cov --cov-report=term-missing:skip-covered
# Tests spend most of their time waiting (on fakes, timers, Redis): three processes keep the
# two cores busy. Empty it to run in one process: make pytest PYTEST_PARALLEL=
PYTEST_PARALLEL ?= -n 3 --dist worksteal

# Every install (make run, make test, CI, the image) takes its versions and hashes from a lock:
# requirements.lock (what the bot needs) and requirements-dev.lock (plus tests and linters).
LOCK := requirements-dev.lock
COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

.PHONY: run test lint typecheck pytest bench lock clean

$(STAMP): $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Skim needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## lock: re-resolve the dependencies of pyproject.toml into the two lock files
lock: $(STAMP)
	$(COMPILE) --output-file requirements.lock pyproject.toml
	$(COMPILE) --extra dev --output-file requirements-dev.lock pyproject.toml

## run: set up .venv and run the bot (needs TELEGRAM_BOT_TOKEN in the environment or .env)
run: $(STAMP)
	exec $(BIN)/skim run  # exec: a supervisor's SIGTERM reaches skim once, not twice

## test: set up .venv, then lint, type-check and run every test against real Redis (with coverage)
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	scripts/with-redis $(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_COVERAGE) $(PYTEST_ARGS)

## bench: every benchmark under bench/, each printing its figures against a baseline
bench: $(STAMP)
	for script in bench/extraction.py bench/llm.py bench/cache.py bench/telegram.py bench/request_path.py bench/big_pages.py bench/warm_start.py bench/memory.py bench/load.py bench/intake.py bench/media.py; do \
		[ ! -f $$script ] || scripts/with-redis $(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov
