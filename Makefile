# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit integration lint typecheck bench schema diagrams clean chromium graphviz codemirror

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# ... and the README walkthrough's test runs its curl and jq commands as they are written.
chromium:
	@test -x $(CHROMIUM) && command -v curl >/dev/null && command -v jq >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium curl jq; }

# The process diagrams are laid out by Graphviz `dot` (Debian package graphviz), for the pages and the CLI.
graphviz:
	@command -v dot >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends graphviz; }

# make run PORT=8080 ARGS="--workers 2"  (PORT also as an environment variable; ARGS: any of `engine run`'s)
run: $(STAMP) graphviz
	$(BIN)/python -m engine run $(if $(PORT),--port $(PORT)) $(ARGS)

test: $(STAMP) chromium graphviz
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP) chromium graphviz
	$(BIN)/python -m pytest -q tests/integration

lint: $(STAMP)
	$(BIN)/ruff check engine api flows tests bench
	$(BIN)/mypy --strict engine

schema: $(STAMP)
	$(BIN)/python -m engine schema > definitions/insats-definition.schema.json

# The README's diagrams of the shipped definitions (a test checks they are what the CLI draws now).
diagrams: $(STAMP) graphviz
	$(BIN)/python -m engine diagram definitions/finsam-insats.yaml --svg -o docs/diagrams/finsam-insats.svg
	$(BIN)/python -m engine diagram definitions/sip.yaml --svg -o docs/diagrams/sip.svg

# The editor's CodeMirror 6 bundle, from the npm registry; the built file and its licences are
# committed (api/static/vendor/), so `make run` and the tests never need npm or the network.
codemirror:
	cd frontend && npm ci --no-audit --no-fund && npm run build

bench: $(STAMP)
	$(BIN)/python bench/engine_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
