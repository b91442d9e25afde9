# Siji: `make demo` runs a winter-warmth campaign end to end; `make test` runs every test tier.
# Both set up everything they need first: the venv, the Kafka jars (once) and PostgreSQL.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
SIJI   := $(BIN)/siji
STAMP  := $(VENV)/.installed
RECIPIENTS ?= 13000

.PHONY: help setup demo test test-containers images lint unit service contract integration e2e faults bench bench-quick soak up down infra-up infra-down schemas docs clean

help:            ## list the targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

PACKAGES := $(wildcard contracts/src/*/__init__.py cli/src/*/__init__.py services/*/src/*/__init__.py)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml $(PACKAGES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)  ## venv from pinned requirements, the Kafka broker jars (fetched once), Debian's chromium for tests/browser
	$(SIJI) infra prepare
	@command -v chromium >/dev/null && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei; }

demo: setup      ## start everything, a winter campaign of $(RECIPIENTS) recipients, a loans season, a summer-cooling campaign; stop
	$(SIJI) up
	($(SIJI) demo --recipients $(RECIPIENTS) && $(SIJI) demo --programme loans \
	  && $(SIJI) demo --programme summer-cooling) || ($(SIJI) down; exit 1)
	$(SIJI) down

test: setup lint ## lint, then the whole suite: unit, contract, integration, e2e and fault tests on real Kafka + PostgreSQL
	$(BIN)/pytest tests --ignore=tests/containers

images: setup    ## the container images, built here from no registry (starts the Docker engine when none answers)
	$(SIJI) images build

test-containers: images ## integration and e2e tiers on Kafka + PostgreSQL containers (testcontainers), then the services as containers on three brokers; stops the engine it started
	SIJI_INFRA=containers $(BIN)/pytest tests/integration tests/e2e tests/containers; rc=$$?; \
	  $(SIJI) images engine-stop; exit $$rc

lint: $(STAMP)   ## ruff (unused code, import order, likely bugs) and mypy (types)
	$(BIN)/ruff check contracts services cli tests bench
	$(BIN)/mypy contracts/src services/*/src cli/src

unit: $(STAMP)   ## the quick loop: pure rules and helpers, no infrastructure
	$(BIN)/pytest tests/unit tests/contract

service: setup   ## use cases called directly on a real PostgreSQL schema, fakes for the bank and dead letters
	$(BIN)/pytest tests/service

integration: setup ## shared runtime on real Kafka + PostgreSQL
	$(BIN)/pytest tests/integration

e2e: setup       ## the services as processes, through HTTP and Kafka
	$(BIN)/pytest tests/e2e tests/faults

bench: setup     ## raw Kafka/PostgreSQL baseline, a 100,000-recipient campaign, the audit replay of 1,000,000 events, single-case API latency; writes bench/results/
	$(BIN)/python bench/run.py

bench-quick: setup ## the same harness on a few thousand recipients, to keep it working (figures not comparable)
	$(BIN)/python bench/run.py --recipients 3000 --raw-events 20000 --replay-events 50000 --api-seconds 5 --results-name quick

soak: setup      ## not in CI: MINUTES (20) of campaigns on two instances of every service under random faults; prints what it survived
	$(BIN)/python bench/soak.py --minutes $(or $(MINUTES),20)

schemas: $(STAMP) ## regenerate the committed JSON Schemas (event contracts, rule set documents)
	$(BIN)/python -P -m contracts.export
	$(BIN)/python -P -m eligibility.policy

docs: $(STAMP)   ## regenerate docs/: each service's AsyncAPI document and the event catalogue (events.md)
	$(BIN)/python -P -m siji_shared.asyncapi docs
	$(BIN)/python -P -m siji_cli.infra.strimzi deploy/k8s/kafka

up: setup        ## infrastructure, services and bank simulator in the background
	$(SIJI) up

down:            ## stop everything `up` started
	$(SIJI) down

clean: down      ## remove local state (Kafka and PostgreSQL data, the bank's books, logs); keeps the jar cache
	rm -rf .state/kafka .state/postgres .state/logs .state/run .state/bank_sim.journal .state/bank_statements
