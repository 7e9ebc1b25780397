# Two commands on a fresh machine:  `make up` (run the platform)  and  `make test` (run the tests).
# Both create .venv and install what is needed the first time; later runs reuse it (re-installing only
# when pyproject.toml changes).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# llama-cpp-python ships only an sdist: build it without the multimodal (llava) tools it does not need here
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

.PHONY: up test lint unit integration setup clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The shipped sample knowledge base (a demo shop) goes into tenant "default" first: unchanged documents are
# skipped, so later runs take seconds. Production runs `kefu up` and ingests its own knowledge base.
up: $(STAMP)
	$(BIN)/kefu kb ingest --sample --tenant default
	$(BIN)/kefu up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest -m "not slow"

integration: $(STAMP)
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest -m slow

clean:
	rm -rf $(VENV) .kefu .pytest_cache .mypy_cache .ruff_cache
