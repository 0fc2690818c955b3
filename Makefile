# recovery: companion book to arXiv:2405.13787.
# On a fresh clone only two commands are needed:
#   make book   -> _build/html/index.html   (executes every notebook; a failing cell fails the build)
#   make test   -> unit tests + notebooks (nbval, lax)
# The first call creates .venv from requirements.txt (PyPI) and fetches MathJax (npm registry).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV   := .venv
PY     := $(VENV)/bin/python
JB     := $(VENV)/bin/jupyter-book
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip -q --disable-pip-version-check

# The package's own on-disk results cache: notebooks are always re-executed (fast, never stale).
export RECOVERY_CACHE_DIR ?= $(CURDIR)/.cache/recovery
# Kernels, papermill and jupyter-book all resolve to the venv.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# This checkout's source first, whichever checkout the editable install in .venv points at (worktrees).
export PYTHONPATH := $(CURDIR)/src$(if $(PYTHONPATH),:$(PYTHONPATH))

# `notebooks/` may not exist yet on an early checkout; pytest errors on a missing path.
TEST_PATHS := tests $(wildcard notebooks)

.PHONY: help venv vendor book build-html pdf print-pdf lint test browser-deps bench bench-scale reproduce clean distclean

help:
	@echo "make book       build the book into _build/html (open _build/html/index.html)"
	@echo "make pdf        the book as one PDF, printed by headless Chromium: _build/pdf/book.pdf"
	@echo "make test       lint (ruff), then the tests and the notebooks (nbval --nbval-lax), on 2 workers"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make reproduce  every figure at the paper's size into results/FIGURE/"
	@echo "make bench      time the gradient-flow integrator"
	@echo "make bench-scale  Figure 3 at 4e4 and 4e5 seeds: time and peak memory"
	@echo "make vendor     fetch offline MathJax + plotly.js into book/vendor/"
	@echo "make clean      remove _build; make distclean also removes .venv, book/vendor, .cache"

# --- environment ------------------------------------------------------------------------------
venv: $(STAMP)

# Re-installs only when the pins change. torch comes exactly as pinned in requirements.txt.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV) (first time: ~2 min, ~1.8 GB)"; python3 -m venv $(VENV); }
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	@touch $@

vendor: venv
	@tools/vendor_assets.sh $(PY)

# --- book -------------------------------------------------------------------------------------
# --all: fresh Sphinx environment, so every notebook is re-read and (execute_notebooks: force)
# re-executed; -W --keep-going: any warning, including a cell that raises, fails the build.
book: venv vendor
	@$(MAKE) --no-print-directory build-html BOOK_ROOT=.
	@tools/check_html.sh _build/html
	@echo "book: open _build/html/index.html"

# The build alone, for any book folder (tests build small broken books with it to check it fails loudly).
# tools/jb_build.py is `jupyter-book build` with Sphinx reading, so executing, the notebooks on every core.
BOOK_ROOT ?= .
build-html: venv
	@mkdir -p $(BOOK_ROOT)/_build
	$(PY) tools/jb_build.py -- $(BOOK_ROOT) --builder html --all -W -n --keep-going 2>&1 | tee $(BOOK_ROOT)/_build/book-build.log

# --- PDF --------------------------------------------------------------------------------------
# The book as one PDF, printed by the headless Chromium of the browser tests (no TeX): `make book` (executes
# every notebook and checks the HTML), then print-pdf.
pdf: book browser-deps
	@$(MAKE) --no-print-directory print-pdf BOOK_ROOT=.

# The single-page HTML of a book whose HTML build is done, from the same Sphinx environment (no notebook is
# executed again), printed to BOOK_ROOT/_build/pdf/book.pdf by tools/print_pdf.py (tests print small books).
print-pdf: venv
	@mkdir -p $(BOOK_ROOT)/_build
	$(JB) build $(BOOK_ROOT) --builder singlehtml -W -n --keep-going 2>&1 | tee $(BOOK_ROOT)/_build/singlehtml-build.log
	@tools/check_html.sh $(BOOK_ROOT)/_build/singlehtml
	$(PY) tools/print_pdf.py $(BOOK_ROOT)

# --- tests ------------------------------------------------------------------------------------
# The suite includes tests/test_browser.py, which builds the book (make book) and opens every figure page in
# headless Chromium, and tests/test_pdf.py, which prints books to PDF and reads them back with pdftotext;
# browser-deps installs Debian's chromium and poppler-utils (pdftotext) when they are missing.
# Lint as a habit: ruff (pinned in requirements.txt) must find nothing, and the code must be formatted.
lint: venv
	$(VENV)/bin/ruff check src tests tools
	$(VENV)/bin/ruff format --check src tests tools

# Two workers (pytest-xdist; the CI machine has 2 cores), one results cache shared by both; what must share a
# process is one unit of work (conftest.py): a notebook's nbval cells, and the built book with the tests that read it.
TEST_WORKERS ?= 2
test: venv vendor browser-deps lint
	$(PY) -m pytest $(TEST_PATHS) --nbval-lax -p no:cacheprovider --durations=25 -n $(TEST_WORKERS)

CHROMIUM ?= /usr/bin/chromium
PDFTOTEXT ?= /usr/bin/pdftotext
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ] || [ ! -x "$(PDFTOTEXT)" ]; then \
	    echo "installing Debian's chromium and poppler-utils for the browser and PDF tests (apt-get)"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils >/dev/null; \
	fi
	@test -x "$(CHROMIUM)" || { echo "browser-deps: $(CHROMIUM) missing after install" >&2; exit 1; }
	@test -x "$(PDFTOTEXT)" || { echo "browser-deps: $(PDFTOTEXT) missing after install" >&2; exit 1; }

bench: venv
	$(PY) -m recovery.bench

# Figure 3 at 4e4 and 4e5 seeds: wall time, peak memory and the memory estimate (BENCH_SCALE_ARGS, e.g.
# "--device cuda" or "--scheduler local:2").
bench-scale: venv
	$(PY) -m recovery.bench_scale $(BENCH_SCALE_ARGS)

reproduce: venv
	$(PY) -m recovery reproduce --out results

# --- cleaning ---------------------------------------------------------------------------------
clean:
	@if [ -x $(JB) ]; then $(JB) clean --all . ; fi
	rm -rf _build

distclean: clean
	rm -rf $(VENV) book/vendor .cache
