# Set-up is the virtualenv in .venv, made from pyproject.toml and the
# constraints file; every target below rebuilds it when either has changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo check bench soak clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,ray]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/phaseviz demo

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/metrics_bench.py
	$(BIN)/python benchmarks/transitions_eval.py
	$(BIN)/python benchmarks/scale_bench.py

soak: $(STAMP)
	$(BIN)/python -m pytest tests/reliability -m soak -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
