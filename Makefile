# Two commands for a newcomer: `make demo` and `make test`. Each sets itself up first
# (virtual environment, install, tokenizer cache) and skips that when nothing changed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.labkit-installed
TOKENS := $(VENV)/.labkit-tokens

.PHONY: setup demo test lint clean mutation grader-coverage

setup: $(TOKENS)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "labkit needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(TOKENS): $(STAMP)
	$(BIN)/python -m shared.tokens seed
	@touch $@

demo: setup
	$(BIN)/labkit demo

test: setup
	$(BIN)/python -m pytest -n auto --dist worksteal

lint: setup
	$(BIN)/ruff check .

# How well the graded tests grade (slow, outside `make test`; see benchmarks/README.md).
mutation: setup
	$(BIN)/python benchmarks/generated_mutants.py --min-score 90

grader-coverage: setup
	$(BIN)/python benchmarks/grader_coverage.py --min-branches 95

clean:
	rm -rf $(VENV) .pytest_cache out
