# MUSE-WISE: `make demo`, `make test`, `make bench` work on a fresh machine.
# Each builds the virtualenv (.venv) when it is missing or setup.cfg changed, installs the
# package in editable mode and compiles the Cython extensions in place.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYX    := $(shell find common muse dpu dataserver awe -name '*.pyx' 2>/dev/null)
# pytest-xdist processes for `make test` (one per core; a module stays in one process)
TEST_WORKERS ?= auto

.PHONY: all demo test bench lint build fitsverify chromium clean

all: build

# The demo needs only the base install; `make test` and `make bench` add their extras
# (test tools, PostgreSQL/Oracle drivers, Dask) on top.
$(STAMP): setup.cfg pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "setuptools>=68" wheel "Cython>=3.0" "numpy>=1.26"
	$(PY) -m pip install --quiet --no-build-isolation -e .
	touch $@

$(STAMP)-test: $(STAMP)
	$(PY) -m pip install --quiet --no-build-isolation -e ".[test]"
	touch $@

$(STAMP)-bench: $(STAMP)
	$(PY) -m pip install --quiet --no-build-isolation -e ".[bench]"
	touch $@

build: $(STAMP)
ifneq ($(PYX),)
	$(PY) setup.py --quiet build_ext --inplace
endif

demo: build
	$(VENV)/bin/awe demo

fitsverify:
	@command -v fitsverify >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fitsverify) >/dev/null; \
	  else echo "fitsverify is missing: install Debian's fitsverify package (its tests will fail)"; fi; }

chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package (the portal's browser tests will fail)"; fi; }

lint: build $(STAMP)-test
	$(PY) -m ruff check .

test: build $(STAMP)-test fitsverify chromium lint
	@if [ "$$CI" = true ]; then bash .ci/ensure-postgres; fi
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: build $(STAMP)-bench
	@set -e; for script in bench/bench_*.py; do \
	  echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf $(VENV) build *.egg-info
	find . -name '*.so' -path './[cdma]*' -delete
