# halotap. `make demo` and `make test` are the two commands; each builds what it needs first.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
# This machine's pip configuration names local wheel folders that may not exist; pip warns once per
# package about each. The warnings are noise, not failures: drop them (pip's own exit status still counts).
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

LAYER_STAMP := layers/common/build/.built
HALOTAP_SOURCES := layers/common/aws-services.txt $(shell find layers/common/python/halotap functions -name '*.py' -o -name '*.html' -o -name '*.po' 2>/dev/null)

.PHONY: demo local test lint unit integration infra e2e synth layer bench chromium clean help

help:
	@echo "make demo   - run one checkout end to end on the local devstack (moto + Halo simulator)"
	@echo "make local  - run the devstack until Ctrl-C"
	@echo "make test   - lint, type-check and run every test (unit, moto, infra, end to end)"
	@echo "make synth  - synthesize the CDK app into cdk.out/ (offline, no AWS account)"
	@echo "make layer  - build the Lambda layer and function assets for arm64 / Python 3.13 (with bytecode), without Docker"

# The runtime + test tools venv: enough for the devstack, the demo and the non-infra tests.
$(VENV)/.dev: pyproject.toml layers/common/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip $(QUIET_PIP)
	$(PY) -m pip install --quiet -e '.[dev]' $(QUIET_PIP)
	@touch $@

# aws-cdk-lib is large (~430 MB): only synth and the infra tests install it.
$(VENV)/.infra: $(VENV)/.dev
	$(PY) -m pip install --quiet -e '.[dev,infra]' $(QUIET_PIP)
	@touch $@

$(LAYER_STAMP): $(VENV)/.dev layers/common/requirements.txt scripts/build-layer.sh $(HALOTAP_SOURCES)
	PYTHON=$(PY) scripts/build-layer.sh $(QUIET_PIP)
	@touch $@

layer: $(LAYER_STAMP)

# The same layer and functions built for this machine (x86_64), as Lambda loads them: `make bench` times
# cold imports from it and the Lambda-shaped test (tests/lambda) runs every handler from it, under Python 3.13.
X86_DIR := build/x86_64
X86_STAMP := $(X86_DIR)/.built
$(X86_STAMP): $(VENV)/.dev layers/common/requirements.txt scripts/build-layer.sh $(HALOTAP_SOURCES)
	PYTHON=$(PY) scripts/build-layer.sh x86_64 $(X86_DIR)/layer $(X86_DIR)/functions $(X86_DIR)/page-layer $(QUIET_PIP)
	@touch $@

# The browser test drives Debian's Chromium through Playwright's executable_path: Playwright's own browser
# download cannot run here. Installing it takes about 11 s, once per machine.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "$(CHROMIUM) is missing and the browser test needs it; install Debian's chromium as root:" >&2; \
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2; \
		exit 1; \
	fi; \
	echo "installing Debian's chromium for the browser test"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

# axe-core (npm) for the hosted page's accessibility check in the browser test; pinned by package-lock.json.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

# The TypeScript SDK's build and test tools (tsc, openapi-typescript), pinned by its own package-lock.json;
# tests/e2e/test_sdk_typescript.py builds it and runs its node:test suite against the devstack.
SDK_TS_STAMP := clients/typescript/node_modules/.installed
$(SDK_TS_STAMP): clients/typescript/package.json clients/typescript/package-lock.json
	cd clients/typescript && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

demo: $(VENV)/.dev
	$(PY) -m devstack.demo

local: $(VENV)/.dev
	$(PY) -m devstack

synth: $(VENV)/.infra $(LAYER_STAMP)
	$(PY) app.py

# mypy checks infra/ too, so it needs aws-cdk-lib's types (.infra), or every construct reads as Any.
lint: $(VENV)/.infra
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

test: lint $(VENV)/.infra $(LAYER_STAMP) $(X86_STAMP) chromium $(NODE_STAMP) $(SDK_TS_STAMP)
	$(PY) -m pytest

unit: $(VENV)/.dev $(X86_STAMP)
	$(PY) -m pytest tests/unit

integration: $(VENV)/.dev
	$(PY) -m pytest tests/integration

infra: $(VENV)/.infra $(LAYER_STAMP)
	$(PY) -m pytest tests/infra

e2e: $(VENV)/.dev chromium $(NODE_STAMP) $(SDK_TS_STAMP)
	$(PY) -m pytest tests/e2e tests/devstack

bench: $(VENV)/.dev $(X86_STAMP)
	$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) cdk.out build layers/common/build layers/page/build .devstack node_modules .pytest_cache .mypy_cache .ruff_cache .import_linter_cache \
		clients/typescript/node_modules clients/typescript/dist
