# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= results/compare

.PHONY: run test install browser demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/decouple compare --out $(OUT)

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

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
	rm -rf $(VENV) results .pytest_cache
