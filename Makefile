# Two commands for a fresh machine: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean chromium plain-install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[web,dev]'
	touch $(STAMP)

# The tests also cover assisted coding, so they install the optional extra (torch is pinned to
# a CPU build in pyproject.toml); `make demo` does not need it.
NLP_STAMP := $(VENV)/.installed-nlp
$(NLP_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[web,dev,nlp]'
	touch $(NLP_STAMP)

demo: $(STAMP)
	$(BIN)/techforce demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: lint chromium $(NLP_STAMP)
	$(BIN)/pytest
	$(MAKE) --no-print-directory plain-install

# `pip install techforce` without extras runs every data command (the web extra is imported only
# by `serve`, `users` and `demo --serve`): checked in a second, throwaway venv (pip reuses its
# wheel cache) and a temporary data folder.
plain-install:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && "$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check . && \
	! "$$tmp/venv/bin/python" -c "import argon2" 2>/dev/null && \
	cd "$$tmp" && export TECHFORCE_DATA_DIR="$$tmp/data" && \
	venv/bin/techforce --help >/dev/null && \
	venv/bin/techforce workforce synth OUT --providers 12 --scale 0.01 >/dev/null && \
	venv/bin/techforce workforce ingest OUT/2022/csv >/dev/null && \
	{ venv/bin/techforce users list >/dev/null 2>"$$tmp/err"; test $$? = 2 && grep -q "techforce\[web\]" "$$tmp/err"; } && \
	echo "plain install (no extras): techforce --help, workforce synth and workforce ingest work"

# The browser test drives Debian's chromium (never `playwright install`); it is skipped, with a
# reason, where chromium cannot be installed. PDF checks read text with poppler's pdftotext.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && { apt-get install -y -q chromium >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; }; } \
		|| echo "chromium is not installed: the browser test will be skipped (apt-get install chromium)"
	@command -v pdftotext >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q poppler-utils >/dev/null 2>&1; } \
		|| echo "pdftotext is not installed: PDF text checks read with pypdf instead (apt-get install poppler-utils)"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/web.py
	$(BIN)/python benchmarks/programmes.py

clean:
	rm -rf $(VENV) .techforce-demo
