# Every target installs what it needs: a fresh clone only needs python3 (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run sandbox test bench lint lock model clean

$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
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

# The complaint detector's built-in model, from the development sets (never from the
# held-out ones: chatter8-12 and complaints8-10 only measure it).
MODEL_SETS := messages holdout holdout2 dev_complaints dev_chatter chatter_holdout \
	complaints4 chatter4 complaints5 chatter5 complaints6 chatter6 complaints7 chatter7
model: $(STAMP)
	$(BIN)/shequn complaints train $(MODEL_SETS:%=tests/data/complaints/%.jsonl) \
		--out handlers/escalation/complaint_model.json

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency from pyproject.toml: requirements.lock (runtime, used by
# the Dockerfile) and requirements-dev.lock (runtime + test tools, used here).
LOCKVENV := $(shell mktemp -d -u)/venv
lock:
	$(PYTHON) -m venv $(LOCKVENV)
	$(LOCKVENV)/bin/pip install --quiet .
	$(LOCKVENV)/bin/pip freeze --exclude shequn > requirements.lock
	$(LOCKVENV)/bin/pip install --quiet '.[dev]'
	$(LOCKVENV)/bin/pip freeze --exclude shequn > requirements-dev.lock
	rm -rf $(dir $(LOCKVENV))

clean:
	rm -rf $(VENV) .pytest_cache
