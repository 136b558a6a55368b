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

.PHONY: help venv deps images browser test unit chaos smoke replay bench lint clean

help:
	@echo "make test      unit tests + chaos suites (sets up venv and images itself)"
	@echo "make chaos     chaos suites only, with a summary table   [CONFIG=bundle-dir]"
	@echo "make replay INCIDENT=incidents/x.yaml   replay an incident"
	@echo "make images | bench | lint | clean"

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

venv deps: $(STAMP)

images: $(STAMP)
	$(BIN)/vipchaos images

browser:
	@command -v chromium >/dev/null || { echo "installing chromium (report render test)"; \
	  apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: images browser
	$(BIN)/pytest tests suites $(CONFIG_ARG) $(PYTEST_ARGS); rc=$$?; \
	  $(BIN)/vipchaos clean --quiet; exit $$rc

unit: $(STAMP) browser
	$(BIN)/pytest tests $(PYTEST_ARGS)

chaos: images
	$(BIN)/pytest suites $(CONFIG_ARG) $(PYTEST_ARGS); rc=$$?; \
	  $(BIN)/vipchaos clean --quiet; exit $$rc

smoke: images
	$(BIN)/pytest suites/test_smoke.py $(CONFIG_ARG) $(PYTEST_ARGS)

replay: images
	@test -n "$(INCIDENT)" || { echo "usage: make replay INCIDENT=incidents/FILE.yaml"; exit 2; }
	$(BIN)/vipchaos replay $(INCIDENT)

bench: images
	$(BIN)/vipchaos bench bringup

lint: $(STAMP)
	$(BIN)/ruff check harness suites tests conftest.py

clean:
	-@test -x $(BIN)/vipchaos && $(BIN)/vipchaos clean
