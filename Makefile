# The two commands of the README: `make up` starts the suite, `make test` runs every test.
# Each creates .venv, installs the pinned dependencies, generates the protobuf stubs, then runs.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PROTOS := $(shell find protos tests/protos -name '*.proto')
CONSOLE_SOURCES := $(shell find console/src -type f) console/index.html console/vite.config.ts \
  console/tsconfig.json console/package.json console/package-lock.json

.PHONY: up test faults fuzz lint protos migrate clean kubectl chromium console console-api

up: $(VENV)/.installed gen/.stamp console/dist/.stamp
	$(PY) -m devstack up

test: $(VENV)/.installed gen/.stamp lint kubectl chromium console/dist/.stamp
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The long fault suite (docs/operations.md); `make test` runs its short version.
faults: $(VENV)/.installed gen/.stamp
	TICKETING_FAULTS=long $(PY) -m pytest -q -s -m faults $(PYTEST_ARGS)

# The release check: schemathesis with 100 examples per operation (make test runs 3).
fuzz: $(VENV)/.installed gen/.stamp
	TICKETING_FUZZ_EXAMPLES=100 $(PY) -m pytest -q tests/suite/fuzz $(PYTEST_ARGS)

# deploy/ is rendered with `kubectl kustomize` in the tests; install kubectl if it is missing.
kubectl:
	@command -v kubectl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq kubectl; }

# The browser tests drive Debian's chromium (Playwright cannot download its own browser here),
# with CJK fonts so that screenshots show the Chinese text.
chromium:
	@{ command -v chromium && test -d /usr/share/fonts/opentype/noto; } >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk; }

# The admin console (console/): npm packages from the committed lockfile, then the built files
# the gateway serves at /console/.
console: console/dist/.stamp

console/node_modules/.stamp: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

console/dist/.stamp: console/node_modules/.stamp $(CONSOLE_SOURCES)
	cd console && npm run build --silent
	touch $@

# Regenerates the console's typed API client from the gateway's OpenAPI document (a test
# fails when the committed one is stale).
console-api: $(VENV)/.installed gen/.stamp console/node_modules/.stamp
	$(PY) tools/export_openapi.py build/openapi.json
	cd console && npx openapi-typescript ../build/openapi.json -o src/api/schema.d.ts

lint: $(VENV)/.installed gen/.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/buf lint
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

protos: gen/.stamp

migrate: $(VENV)/.installed gen/.stamp
	$(PY) -m devstack migrate

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/gen" > \
	  "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ticketing-suite-paths.pth"
	touch $@

gen/.stamp: $(VENV)/.installed tools/gen_protos.py $(PROTOS)
	$(PY) tools/gen_protos.py
	touch $@

clean:
	rm -rf gen .pytest_cache .ruff_cache console/dist console/node_modules
