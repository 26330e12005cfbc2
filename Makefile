# mnist-lesson: one target for each thing people do. `make help` lists them.
# Everything runs from the project's own virtual environment in .venv/, built from requirements.txt.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
SOURCES := $(sort $(wildcard notebooks/[0-9][0-9]_*.md))
LINTED := $(wildcard src tests notebooks benchmarks tools book)
# Per-cell limit for headless execution; lesson 01's training cell takes under a minute on 2 cores.
CELL_TIMEOUT ?= 900

.DEFAULT_GOAL := help
.PHONY: help venv torch data lab test test-unit test-notebooks test-backends test-pythons test-browser chromium book run sync execute images lint check-pairs spread bench clean

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
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	@# JupyterLab settings for this environment only (never the user's own): no news prompt on first start.
	mkdir -p $(dir $(LAB_OVERRIDES)) && cp tools/jupyterlab-overrides.json $(LAB_OVERRIDES)
	touch $@

venv: $(STAMP) ## Create .venv and install requirements.txt (done by every target that needs it)

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
	$(BIN)/python tools/lab.py notebooks/01_mnist.ipynb --port $(PORT)

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

test: data lint check-pairs chromium ## The whole suite: lint, pairing, unit tests, strict nbval under two configurations, the browser test
	MNIST_LESSON_REQUIRE_DATA=1 $(BIN)/python -m pytest tests notebooks $(NBVAL) --durations=12
	@# The second configuration (README, "What CI checks"; tools/lessons.py says which): a JAX lesson on
	@# TensorFlow, the TensorFlow lesson on TensorFlow limited to AVX; either way other kernels take every
	@# sum in another order (one core changes no bit: measured, tests/notebooks/README.md).
	@# Lessons run in order: 02 and 03 load the model 01 saved.
	@for nb in $(NOTEBOOKS); do \
	  config=$$($(BIN)/python tools/lessons.py --second-configuration $$nb) || exit 1; \
	  echo "Second configuration: $$nb under $$config"; \
	  env $$config $(BIN)/python -m pytest $$nb $(NBVAL) || exit 1; \
	done

test-unit: $(STAMP) ## Unit tests only (a few minutes; no lesson is executed)
	$(BIN)/python -m pytest tests -m "not slow and not browser"

test-notebooks: data ## Every notebook under strict nbval, and nothing else
	$(BIN)/python -m pytest notebooks $(NBVAL)

# Each backend; JAX and TensorFlow also on one core and limited to AVX (XLA and oneDNN each have their own switch).
CONFIGURATIONS := "KERAS_BACKEND=jax" "KERAS_BACKEND=tensorflow" "KERAS_BACKEND=torch" \
  "KERAS_BACKEND=jax taskset -c 0" "KERAS_BACKEND=tensorflow taskset -c 0" \
  "KERAS_BACKEND=jax XLA_FLAGS=--xla_cpu_max_isa=AVX" "KERAS_BACKEND=tensorflow ONEDNN_MAX_CPU_ISA=AVX"

test-backends: data torch ## Every notebook under strict nbval on each backend, on one core, and limited to AVX (10 min)
	@echo "The backend-dependent unit tests, PyTorch included"
	$(BIN)/python -m pytest tests/test_repro.py tests/test_models.py -q
	@for config in $(CONFIGURATIONS); do \
	  echo "Every notebook under: $$config"; \
	  env $$config $(BIN)/python -m pytest notebooks $(NBVAL) -q || { echo "FAILED under: $$config"; exit 1; }; \
	done

test-pythons: data ## Each supported Python found here: a throw-away .venv, the unit tests and lesson 01 under nbval (4 min each)
	$(BIN)/python tools/test_pythons.py $(PYTHONS)

test-browser: data chromium ## Run every lesson in JupyterLab in headless Chromium (tests/browser)
	$(BIN)/python -m pytest tests/browser -m browser

# Debian's Chromium for the browser test, installed where missing when we may (root, as in CI).
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser test ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Note: /usr/bin/chromium is missing, so the browser test will be skipped (sudo apt-get install chromium)."; \
	fi

book: check-pairs ## Build the course's website from the stored outputs into build/book/html (strict; offline)
	$(BIN)/python tools/book.py

run: data ## Execute every notebook headlessly, in place, and say where the results are
	@for nb in $(NOTEBOOKS); do \
	  echo "Executing $$nb ..."; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level=WARN \
	    --ExecutePreprocessor.timeout=$(CELL_TIMEOUT) --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	done
	@echo "Done. The executed notebooks, with their outputs, are: $(NOTEBOOKS)"
	@echo "Open them with 'make lab', or read them in any notebook viewer."

sync: $(STAMP) ## Bring every .ipynb's cells in line with its .md (outputs of unchanged cells kept)
	$(BIN)/jupytext --sync $(SOURCES)

execute: sync data ## Sync, then re-execute every notebook so all stored outputs come from the current code
	@$(MAKE) --no-print-directory run
	@# Executing rewrites the .ipynb only; re-sync so the pair's timestamps agree again.
	$(BIN)/jupytext --sync $(SOURCES)

images: data ## Regenerate the figures in book/images/ from the data
	$(BIN)/python tools/images.py --out book/images

lint: $(STAMP) ## ruff: lint and format check of src/, tests/, notebooks/, benchmarks/, tools/ and book/
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

check-pairs: $(STAMP) ## Fail if a .md and its .ipynb disagree, lack a partner, or hold unexecuted code
	$(BIN)/python tools/pairing.py notebooks

spread: data torch ## Execute every lesson under each backend, core count and instruction set; how far outputs move (10 min)
	$(BIN)/python tools/measure_spread.py

bench: data torch ## Lesson 01 on each backend against PyTorch eager and the FLOP limit; lesson 03's convnet per backend (25 min)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/convnet.py --lesson

clean: ## Remove .venv, caches and generated scratch files (not the data cache, not committed figures)
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts build benchmarks/results src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
