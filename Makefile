# vipchaos: `make test` and `make chaos` set everything up themselves (venv, debootstrap, images).
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?=
INCIDENT ?=
PYTEST_ARGS ?=
CONFIG_ARG := $(if $(CONFIG),--vipchaos-config=$(CONFIG),)
# Parallel pairs (pytest-xdist): cores + 1 workers (the work is mostly waiting on VRRP timers),
# at most one per 3 GiB of memory (a worker runs one pair at a time, ~1 GiB, and briefly a test's
# own pair). The knee on 2 cores: 4 workers finish no sooner than 3 (10 min 39 s vs 10 min 37 s),
# with failovers stretched and resets timing out. N=1: serial.
N ?= $(shell $(PY) -c "import os; c = os.cpu_count() or 1; \
  m = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30; \
  print(max(1, min(c + 1, int(m // 3))))")
XDIST := $(if $(filter 1,$(N)),,-n $(N) --dist load)

.PHONY: help venv deps host-tools prepare images browser test unit chaos smoke replay bench lint clean matrix

help:
	@echo "make test      unit tests + chaos suites (sets up venv and images itself)"
	@echo "make chaos     chaos suites only, with a summary table   [CONFIG=bundle-dir] [N=workers]"
	@echo "make replay INCIDENT=incidents/x.yaml   replay an incident"
	@echo "make matrix    MATRIX_CONFIG bundles on the platforms of --matrix (on demand: see README)"
	@echo "make images | bench | lint | clean"

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

venv deps: $(STAMP)

images: $(STAMP)
	$(BIN)/vipchaos images

# The cold path, shortest first: debootstrap (for the offline base image) is fetched before
# anything else, with the package lists; then the images build while chromium installs (the
# host's dpkg and the image build do not share a lock): ~40 s less than one after the other.
host-tools:
	@command -v debootstrap >/dev/null || [ "$$(id -u)" -ne 0 ] || { \
	  echo "installing debootstrap (offline base image)"; \
	  apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

prepare: $(STAMP) host-tools
	@$(MAKE) --no-print-directory -j2 images browser

browser:
	@command -v chromium >/dev/null || { echo "installing chromium (report render test)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || { \
	  apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; }

# After a run: remove only what dead processes left (`vipchaos clean` never touches a live
# session, another worker's pair or a `vipchaos up` pair; `vipchaos clean --all` would).
test: prepare
	$(BIN)/pytest tests suites $(XDIST) $(CONFIG_ARG) $(PYTEST_ARGS); rc=$$?; \
	  $(BIN)/vipchaos clean --quiet; exit $$rc

unit: $(STAMP) browser
	$(BIN)/pytest tests $(PYTEST_ARGS)

chaos: images
	$(BIN)/pytest suites $(XDIST) $(CONFIG_ARG) $(PYTEST_ARGS); rc=$$?; \
	  $(BIN)/vipchaos clean --quiet; exit $$rc

# The platform matrix (on demand, not in `make test`): each bundle on MySQL 9.7/keepalived
# 2.3.4, MariaDB 10.11/2.2.7 and MariaDB 11.8/2.3.3 (harness.platform.MATRIX); their images are
# built first (~40-75 s each the first time). Add PLATFORMS="--platform bullseye ..." for more.
MATRIX_CONFIG ?= seed,hardened,arbitrated
PLATFORMS ?=
matrix: $(STAMP)
	$(BIN)/vipchaos images --matrix $(PLATFORMS)
	$(BIN)/vipchaos run --config $(MATRIX_CONFIG) --matrix $(PLATFORMS) --workers $(N) \
	  $(if $(RUN_DIR),--run-dir $(RUN_DIR),)

smoke: images
	$(BIN)/pytest suites/test_smoke.py $(CONFIG_ARG) $(PYTEST_ARGS)

replay: images
	@test -n "$(INCIDENT)" || { echo "usage: make replay INCIDENT=incidents/FILE.yaml"; exit 2; }
	$(BIN)/vipchaos replay $(INCIDENT)

bench: images
	$(BIN)/vipchaos bench bringup

lint: $(STAMP)
	$(BIN)/ruff check harness suites tests conftest.py

# Leftovers of dead runs only; `vipchaos down` removes your `vipchaos up` pair, and
# `vipchaos clean --all` everything of ours (it lists it first).
clean:
	-@test -x $(BIN)/vipchaos && $(BIN)/vipchaos clean

# Mutation testing of the judging code ([tool.mutmut] in pyproject.toml), in a copy under
# runs/ so the work tree stays clean. Prints the score over the selected mutants and the
# survivors; fails below MUTANTS_MIN percent killed.
MUTMUT_DIR ?= runs/mutmut
MUTANTS_SELECT ?= harness.checkers.* harness.judge.* harness.expectations.* \
  harness.logmatch.* harness.remedies.* harness.dialect.* \
  harness.report.summary.x_gate__mutmut_* harness.workload.x_classify__mutmut_*
MUTANTS_MIN ?= 90
.PHONY: mutants
mutants: $(STAMP)
	@rm -rf $(MUTMUT_DIR) && mkdir -p $(MUTMUT_DIR)
	@cp -r harness tests examples docs incidents pyproject.toml $(MUTMUT_DIR)/
	@find $(MUTMUT_DIR) -name __pycache__ -prune -exec rm -rf {} +
	cd $(MUTMUT_DIR) && $(abspath $(BIN))/mutmut run $(foreach m,$(MUTANTS_SELECT),'$(m)') \
	  > mutmut-run.log 2>&1 || { tail -40 mutmut-run.log; exit 1; }
	@cd $(MUTMUT_DIR) && $(abspath $(BIN))/mutmut results --all true > results.txt && \
	  pat='$(subst *,.*,$(subst .,\.,$(MUTANTS_SELECT)))'; pat="^ *($${pat// /|}):"; \
	  grep -E "$$pat" results.txt > selected.txt || true; \
	  total=$$(wc -l < selected.txt); killed=$$(grep -cE ': (killed|timeout)$$' selected.txt); \
	  echo "mutants by status:"; sed 's/.*: //' selected.txt | sort | uniq -c; \
	  echo "survivors:"; grep -vE ': (killed|timeout)$$' selected.txt || echo "  none"; \
	  score=$$(( total ? 100 * killed / total : 0 )); \
	  echo "mutation score: $$killed/$$total killed ($$score %), minimum $(MUTANTS_MIN) %"; \
	  test $$score -ge $(MUTANTS_MIN)
