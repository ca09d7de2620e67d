# Two commands on a fresh machine: `make run` and `make test`; `make check` is the fast tier to run
# while working (see CONTRIBUTING.md, "Test tiers").
PYTHON ?= python3
# The venv to build and use: `make check PYTHON=python3.12 VENV=.venv312` keeps one per Python
VENV   ?= .venv
# The interpreters `make pythons` tries (names on PATH or full paths; one that does not run is skipped)
PYTHONS ?= python3.11 python3.12 python3.13
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= results/compare

.PHONY: run test check lint install browser demo clean pythons i18n

# A failed install removes the venv it made, so that the next try (e.g. with another PYTHON=)
# starts afresh instead of reusing a venv of the wrong Python.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip && \
	$(BIN)/python -m pip install --quiet -e '.[test]' || \
	{ rm -rf $(VENV); echo "make: the install failed; $(VENV) was removed (decouple needs Python 3.11, 3.12 or 3.13: try e.g. PYTHON=python3.12 make ...)" >&2; exit 1; }
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/decouple compare --out $(OUT)
	@echo ""
	@echo "decouple is installed in $(VENV): run $(BIN)/decouple --help, or 'source $(BIN)/activate' first to type decouple"

test: lint browser
	$(BIN)/python -m pytest -q --durations=25  # the slowest tests, to keep the suite under 15 minutes

# Extract every user-facing string (babel.cfg) into both catalogues (model/locale/*.po): new English
# entries get their own text, new Chinese ones wait for a translator;
# then list what is still missing or untranslated (tests/test_i18n.py fails on the same list)
i18n: $(STAMP)
	$(BIN)/python -m decouple.i18n_catalogue update
	$(BIN)/python -m decouple.i18n_catalogue check

# The fast tier: ruff, and the tests marked neither fuzz, browser nor slow (mypy is left to `make test`)
check: $(STAMP)
	$(BIN)/ruff check model tests benchmarks
	$(BIN)/ruff format --check model tests benchmarks
	$(BIN)/python -m pytest -q -m "not fuzz and not browser and not slow"

# The fast tier under each interpreter of PYTHONS, each in a venv of its own (.venv311, .venv312,
# .venv313: about 1.5 GB and a few minutes to build each, the first time). Not part of `make test`.
pythons:
	@failed=""; ran=""; \
	for py in $(PYTHONS); do \
	  v=$$($$py -c 'import sys; print("%d%d" % sys.version_info[:2])' 2>/dev/null) || { \
	    echo "make pythons: $$py does not run here: skipped"; continue; }; \
	  echo "make pythons: $$py (Python $$($$py -c 'import platform; print(platform.python_version())')) in .venv$$v"; \
	  if $(MAKE) --no-print-directory check PYTHON=$$py VENV=.venv$$v; then ran="$$ran $$py"; \
	  else failed="$$failed $$py"; fi; \
	done; \
	echo "make pythons: passed:$${ran:- none}; failed:$${failed:- none}"; \
	test -z "$$failed" && test -n "$$ran"

# ruff (lint and format) on the whole package, its tests and benchmarks; mypy on the mechanisms and
# the configuration code (the files listed under [tool.mypy] in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check model tests benchmarks
	$(BIN)/ruff format --check model tests benchmarks
	$(BIN)/mypy

# The classroom-app test drives Debian's Chromium with Playwright (Playwright's own browser
# download does not work offline). Install it where we can; without it that test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the classroom-app test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser test will skip"; \
	  else echo "no chromium and no root apt-get: the browser test will skip"; fi; }

demo: $(STAMP)
	$(BIN)/decouple demo

clean:
	rm -rf $(VENV) .venv3[0-9] .venv3[0-9][0-9] results .pytest_cache

# The documentation site (mkdocs-material, offline: no web fonts, no plugin that needs the network).
# The generated pages come first: ODD+D, TRACE and the reference tables from the code, and the
# results page from the comparison of `make run`, which is run again when it is missing or older
# than the model, its evidence or its scenarios.
.PHONY: docs
DOCS_STAMP := $(VENV)/.docs-installed
MODEL_FILES := $(shell find model seeds scenarios -name '*.py' -o -name '*.toml' 2>/dev/null)

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

$(OUT)/summary.json: $(STAMP) $(MODEL_FILES)
	$(BIN)/decouple compare --quiet --out $(OUT)

docs: $(DOCS_STAMP) $(OUT)/summary.json
	$(BIN)/python -m decouple.documentation --out docs
	$(BIN)/python -m decouple.results_page $(OUT) --out docs/results.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site  # without the theme's banner
	@echo "the site is in site/: open site/index.html"
