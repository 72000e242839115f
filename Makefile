# epicontrol — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# peer for the capacity forecast tests: penn-chime's model only (its declared
	# dependencies, streamlit and gspread, are not needed; see ../shared/PEERS.md)
	$(BIN)/python -m pip install --quiet --no-deps penn-chime==0.0.3
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/epicontrol demo

test: $(STAMP_DEV)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP_RUN)
	$(BIN)/python bench/bench_generate.py --population 1000000 --days 14 --runs 3

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
