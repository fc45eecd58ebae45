# Every target installs what it needs: a fresh clone only needs python3 (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run sandbox test bench lint lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/shequn run

sandbox: $(STAMP)
	$(BIN)/shequn sandbox

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m tests.bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency (runtime and dev) from pyproject.toml into requirements.lock.
lock:
	rm -rf /tmp/shequn-lock && $(PYTHON) -m venv /tmp/shequn-lock
	/tmp/shequn-lock/bin/pip install --quiet '.[dev]'
	/tmp/shequn-lock/bin/pip freeze --exclude shequn > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
