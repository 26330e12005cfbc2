# mnist-lesson: one target for each thing people do. `make help` lists them.
# Everything runs from the project's own virtual environment in .venv/, built from the lock, requirements.txt.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The lesson registry (tools/lessons.py) knows the lessons; asked only once .venv exists.
LESSONS = $(BIN)/python -m tools.lessons
LINTED := $(wildcard src tests notebooks benchmarks tools book)
# Per-cell limit for headless execution; lesson 01's training cell takes under a minute on 2 cores.
CELL_TIMEOUT ?= 900

.DEFAULT_GOAL := help
.PHONY: help venv lock torch data lab test test-all test-unit test-notebooks test-backends test-pythons test-browser chromium proxy site-runtime axe rehearse rehearse-sizing book run sync execute images lint check-pairs spread bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# The Pythons the pinned stack installs on (numpy 2.4, Keras 3.15, JAX 0.10 need 3.11 or newer);
# `make test-pythons` checks each one found on this machine. Checked before .venv is created.
PYTHONS := 3.11 3.12 3.13
PYTHONS_SAID := 3.11, 3.12 or 3.13
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

$(STAMP): requirements.txt pyproject.toml tools/jupyterlab-overrides.json
	@$(PYTHON) -c 'import sys; sys.exit(f"{sys.version_info[0]}.{sys.version_info[1]}" not in "$(PYTHONS)".split())' 2>/dev/null \
	  || { echo "mnist-lesson needs Python $(PYTHONS_SAID); '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo 'not found')."; \
	       echo "Pick another interpreter, e.g. 'make PYTHON=python3.12 lab' (README, Quick start)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@# Every package exactly as locked, each file checked against its hash; then the course's helper package.
	@# uv installs it (its own entry of the lock first, by pip), about three times as fast as pip, bytecode
	@# compiled as pip does (docs/performance.md); pip does it where uv cannot reach the registry.
	awk '/^uv==/ {p = 1} p {print; if ($$0 !~ /\\$$/) exit}' requirements.txt > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install --disable-pip-version-check --require-hashes -q -r $(VENV)/uv-requirement.txt
	$(BIN)/uv pip install --python $(BIN)/python --require-hashes --compile-bytecode -r requirements.txt \
	  || { echo "uv could not install the lock; installing it with pip instead ..."; \
	       $(BIN)/python -m pip install --disable-pip-version-check --require-hashes -r requirements.txt; }
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps --no-build-isolation -e .
	@# JupyterLab settings for this environment only (never the user's own): no news prompt on first start.
	mkdir -p $(dir $(LAB_OVERRIDES)) && cp tools/jupyterlab-overrides.json $(LAB_OVERRIDES)
	touch $@

venv: $(STAMP) ## Create .venv and install the lock, requirements.txt (done by every target that needs it)

# The lock: requirements.in (what the course chooses) resolved with everything it needs, for every
# supported Python at once (one universal lock, one version of each package where the Pythons allow),
# from the releases published before LOCK_DATE, so that running it again gives the same file.
LOCK_DATE ?= 2026-11-28
lock: $(STAMP) ## Resolve requirements.in into requirements.txt: every package pinned, with hashes (LOCK_DATE=... to move)
	$(BIN)/uv pip compile pyproject.toml requirements.in --universal --python-version 3.11 --generate-hashes \
	  --fork-strategy fewest --exclude-newer $(LOCK_DATE)T00:00:00Z --custom-compile-command "make lock" \
	  --quiet -o requirements.txt
	@echo "requirements.txt locked. Next: make execute (outputs from the new versions), then make test-all."

# PyTorch, the third Keras backend: optional, and only for test-backends, spread and bench.
TORCH := $(VENV)/.torch
$(TORCH): requirements-torch.txt $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-torch.txt
	touch $@

torch: $(TORCH) ## Install PyTorch into .venv, so that Keras can also run on it (KERAS_BACKEND=torch)

data: $(STAMP) ## Fetch MNIST into the verified offline cache and print where it is
	$(BIN)/python -m mnist_lesson.data

PORT ?= 8888

lab: data ## Start JupyterLab on lesson 01 (loopback only; prints the URL to open; PORT=8889 for another port)
	$(BIN)/python -m tools.lab notebooks/01_mnist.ipynb --port $(PORT)

PYTEST := MNIST_LESSON_REQUIRE_DATA=1 $(BIN)/python -m pytest
# Two workers side by side: one runs the lessons, in order (they are one xdist group: 02 and 03 load the
# model 01 saves), the other every other test; the lessons come first on the command line, so they start at
# once (docs/checks.md, "Two workers").
WORKERS := -n 2 --dist loadgroup
# Strict nbval with the course's sanitizers, as every check runs it (tools/lessons.py holds the options);
# a recipe stops if the registry cannot answer, rather than run pytest without --nbval.
NBVAL = nbval="$$($(LESSONS) nbval-options)" && test -n "$$nbval" &&

test: data lint check-pairs chromium proxy site-runtime axe ## What CI runs: lint, pairing, unit tests, each lesson once under strict nbval, browser, website, a short hub rehearsal; second configurations whose inputs changed
	@# Each lesson is executed once here, on its own backend, in order (02 and 03 load the model 01 saves,
	@# in scratch: no test writes artifacts/). The browser test runs lesson 01 in JupyterLab and opens the others;
	@# two learners rehearse lesson 02 on a loopback JupyterHub (tests/tools/rehearse/test_rehearsal.py).
	$(NBVAL) $(PYTEST) notebooks tests $$nbval $(WORKERS) --durations=12
	@# The second configuration of every lesson whose inputs changed since it last passed (docs/second-configuration.md).
	$(LESSONS) second-configuration

test-all: data lint check-pairs chromium proxy site-runtime axe torch ## Everything, before a release: also every lesson in JupyterLab, every second configuration, backend, one core and AVX, a full hub rehearsal (TEST_PYTHONS=1: every Python too)
	$(NBVAL) MNIST_LESSON_CHECKS=all $(PYTEST) notebooks tests $$nbval $(WORKERS) --durations=20
	$(LESSONS) second-configuration --all
	$(LESSONS) configurations
	@$(MAKE) --no-print-directory rehearse
	@if [ -n "$(TEST_PYTHONS)" ]; then $(MAKE) --no-print-directory test-pythons; fi

test-unit: $(STAMP) site-runtime ## Unit tests only (no lesson is executed, no browser)
	$(BIN)/python -m pytest tests -m "not browser"

test-notebooks: data ## Every lesson under strict nbval on its own backend, and nothing else
	$(NBVAL) $(PYTEST) notebooks $$nbval

test-backends: data torch ## Every lesson under every configuration of make test-all but its own backend and second one
	$(LESSONS) configurations

test-pythons: data ## Each supported Python found here: a throw-away .venv, the unit tests and lesson 01 under nbval
	$(BIN)/python -m tools.test_pythons $(PYTHONS)

test-browser: data chromium site-runtime axe ## Run every lesson in JupyterLab in headless Chromium, and read the website
	MNIST_LESSON_CHECKS=all $(PYTEST) tests/browser -m browser

# Debian's Chromium for the browser test, installed where missing when we may (root, as in CI).
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser test ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Note: /usr/bin/chromium is missing, so the browser test will be skipped (sudo apt-get install chromium)."; \
	fi

# Node.js for the hub's proxy: Debian's, installed where missing when we may (root, as in CI); then the proxy
# itself, exactly as tools/hub/package-lock.json pins it, into build/hub (make rehearse, docs/rehearsal.md).
PROXY := build/hub/node_modules/.bin/configurable-http-proxy
# NPM_FOR(what): a recipe's first line; installs Debian's nodejs and npm where npm is missing, when root.
NPM_FOR = @if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's nodejs and npm for $(1) ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else \
	    echo "Node.js and npm are needed for $(1): sudo apt-get install nodejs npm"; exit 1; \
	  fi; \
	fi
$(PROXY): tools/hub/package.json tools/hub/package-lock.json
	$(call NPM_FOR,the hub's proxy)
	mkdir -p build/hub && cp tools/hub/package.json tools/hub/package-lock.json build/hub/
	cd build/hub && npm ci --no-audit --no-fund --loglevel=error
	touch $@

proxy: $(PROXY) ## Install JupyterHub's proxy (configurable-http-proxy, pinned) into build/hub, and Node.js where missing

LEARNERS ?= 4
rehearse: data proxy ## Rehearse a class: a loopback JupyterHub, LEARNERS learners (default 4) at once run lessons 01 and 02
	$(BIN)/python -m tools.rehearse --learners $(LEARNERS)

SIZES ?= 1 2 4 8
rehearse-sizing: data proxy ## Rehearse at each of SIZES learners; write benchmarks/results/rehearsal.json and the docs' sizing table
	$(BIN)/python -m tools.rehearse --sizing $(SIZES)

# onnxruntime-web for the website's "Try it" page, exactly as book/web/package-lock.json pins it, into build/web;
# tools/book.py copies only the files the page loads into the site (docs/try-it.md).
SITE_RUNTIME := build/web/node_modules/onnxruntime-web/package.json
$(SITE_RUNTIME): book/web/package.json book/web/package-lock.json
	$(call NPM_FOR,the website's Try it page)
	mkdir -p build/web && cp book/web/package.json book/web/package-lock.json build/web/
	cd build/web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

site-runtime: $(SITE_RUNTIME) ## Install onnxruntime-web (pinned) into build/web for the website, and Node.js where missing

# axe-core, the accessibility rules the browser test runs on every page of the website, exactly as
# tests/browser/axe/package-lock.json pins it, into build/axe (tests/browser/test_accessibility.py).
AXE := build/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	$(call NPM_FOR,the website's accessibility check)
	mkdir -p build/axe && cp tests/browser/axe/package.json tests/browser/axe/package-lock.json build/axe/
	cd build/axe && npm ci --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE) ## Install axe-core (pinned) into build/axe for the website's accessibility check, and Node.js where missing

book: check-pairs site-runtime ## Build the course's website from the stored outputs into build/book/html (strict; offline)
	$(BIN)/python -m tools.book

run: data ## Execute every lesson headlessly, in place, in order, and say where the results are
	$(LESSONS) run --timeout $(CELL_TIMEOUT)

sync: $(STAMP) ## Bring every .ipynb's cells in line with its .md (outputs of unchanged cells kept)
	sources="$$($(LESSONS) paths --md)" && $(BIN)/jupytext --sync $$sources

execute: sync data ## Sync, then re-execute every notebook so all stored outputs come from the current code
	@$(MAKE) --no-print-directory run
	@# Executing rewrites the .ipynb only; re-sync so the pair's timestamps agree again.
	sources="$$($(LESSONS) paths --md)" && $(BIN)/jupytext --sync $$sources
	@# The networks the website's "Try it" page runs: lesson 05's fresh exports, once they give its stored probabilities.
	$(BIN)/python -m tools.site_networks

images: data ## Regenerate the figures in book/images/ from the data
	$(BIN)/python -m tools.images --out book/images

lint: $(STAMP) ## ruff: lint and format check of src/, tests/, notebooks/, benchmarks/, tools/ and book/
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

check-pairs: $(STAMP) ## Fail if a .md and its .ipynb disagree, lack a partner, or hold unexecuted code
	$(BIN)/python -m tools.pairing notebooks

spread: data torch ## Execute every lesson under every configuration; how far each stored output moves (docs/tolerances.md)
	$(BIN)/python -m tools.measure_spread

bench: data torch ## Each lesson's headless time against its budget; lesson 01 and lesson 03's convnet per backend; lesson 03 trained cheaper against its floor; lesson 04 per backend; the augmentation study (docs/design.md)
	$(BIN)/python -m benchmarks.run

clean: ## Remove .venv, caches and generated scratch files (not the data cache, not committed figures)
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts build benchmarks/results/*.rounds.json src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
