# epicontrol — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test web lint typecheck unit bench clean

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

# the dashboard's front-end packages (ECharts, htmx) from the npm registry, served from
# static/vendor/ (no CDN): `npm ci` again when package-lock.json changes, copy when missing
WEB := src/epicontrol/web
NPM_STAMP := $(WEB)/node_modules/.installed-lock
VENDOR := $(WEB)/static/vendor

$(NPM_STAMP): $(WEB)/package-lock.json $(WEB)/package.json
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

$(VENDOR)/echarts.min.js: $(NPM_STAMP)
	@mkdir -p $(VENDOR)
	cp $(WEB)/node_modules/echarts/dist/echarts.min.js $@

$(VENDOR)/htmx.min.js: $(NPM_STAMP)
	@mkdir -p $(VENDOR)
	cp $(WEB)/node_modules/htmx.org/dist/htmx.min.js $@

web: $(VENDOR)/echarts.min.js $(VENDOR)/htmx.min.js

demo: $(STAMP_RUN) web
	$(BIN)/epicontrol demo

test: $(STAMP_DEV) web
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP_RUN)
	$(BIN)/python bench/bench_generate.py --population 1000000 --days 14 --runs 3

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
