# Everything a fresh machine needs, installed by the project itself and reused on the next run.
#   make demo    set up, start the broker and the services, play the scenario (no browser is
#                installed and no system package is changed: only make test installs Chromium)
#   make cluster set up, start 3 brokers and two instances of router, audit and each agency
#                service, play the scenario (same printout as make demo)
#   make test    set up, start the broker, lint, type-check, validate contracts/asyncapi.yaml,
#                run the Java reference implementation's suite (contracts/java) and the whole suite
#                (installs Debian's chromium package for the console's browser tests if missing)
#   make faults  set up, run the fault suite on its own 3-broker cluster with two instances of
#                each service (artifacts/faults.json, the table in docs/reliability.md)
#   make bench   set up, start the broker, run the benchmarks (figures beside their bounds)
#   make stop    stop the services and the local broker

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JARS   := deploy/kafka/.jars/.fetched
CODE   := $(wildcard services tests bench)
# Debian's Chromium for the console's browser tests (never a browser downloaded by a test tool).
# Only the test suite needs it: setup, demo, cluster, faults and bench never install it.
CHROMIUM := /usr/bin/chromium
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)
# The AsyncAPI CLI, pinned in tools/asyncapi/package-lock.json (node_modules is git-ignored).
ASYNCAPI       := tools/asyncapi
ASYNCAPI_STAMP := $(ASYNCAPI)/node_modules/.installed
# The Java reference implementation of the contracts, its versions pinned in its pom.xml.
JAVA_CONTRACT  := contracts/java
JAVA_STAMP     := $(JAVA_CONTRACT)/target/.fetched

.PHONY: setup broker stop test lint asyncapi java-contract pytest demo cluster faults bench clean

setup: $(STAMP) $(JARS)

# The virtual environment, rebuilt only when the declared dependencies change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The broker's jars from Maven Central (pinned in deploy/kafka/pom.xml), fetched once.
$(JARS): deploy/kafka/pom.xml
	mvn -B -q -f deploy/kafka/pom.xml package
	touch $@

# The one rule that changes system packages; only pytest (make test) depends on it.
$(CHROMIUM):
	$(SUDO) apt-get update -q
	$(SUDO) apt-get install -y -q chromium

# The AsyncAPI CLI from npm, installed once under tools/asyncapi (no install scripts run). Only
# make test needs it, so setup does not install it; without npm it fails, never skips.
$(ASYNCAPI_STAMP): $(ASYNCAPI)/package.json $(ASYNCAPI)/package-lock.json
	@command -v npm >/dev/null && command -v node >/dev/null || { \
	  echo "make: node and npm are needed to validate contracts/asyncapi.yaml" \
	    "(Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd $(ASYNCAPI) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

broker: setup
	$(BIN)/backbone broker start

stop:
	-$(BIN)/backbone services stop
	-$(BIN)/backbone broker stop

lint: setup
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

# contracts/asyncapi.yaml against the AsyncAPI 3.0 specification (tests/infra/test_asyncapi.py
# checks it against the topology). No update check, no usage analytics (analytics.json).
asyncapi: $(ASYNCAPI_STAMP)
	ASYNCAPI_SKIP_NEW_VERSION_CHECK=true \
	ASYNCAPI_METRICS_CONFIG_PATH=$(CURDIR)/$(ASYNCAPI)/analytics.json \
	  $(ASYNCAPI)/node_modules/.bin/asyncapi validate contracts/asyncapi.yaml

# The Java reference implementation against every contracts/vectors/*.json (contracts/java/README.md).
# Its first run fetches the pinned dependencies and plugins from Maven Central (go-offline, then
# the suite, which resolves surefire's JUnit provider); later runs are offline (mvn -o).
java-contract:
	@command -v mvn >/dev/null || { \
	  echo "make: Maven and a JDK 17 are needed for contracts/java" \
	    "(Debian: apt-get install maven openjdk-17-jdk-headless)" >&2; exit 1; }
	if [ $(JAVA_STAMP) -nt $(JAVA_CONTRACT)/pom.xml ]; then \
	  mvn -B -q -o -Dstyle.color=never -f $(JAVA_CONTRACT)/pom.xml test; \
	else \
	  mvn -B -q -Dstyle.color=never -f $(JAVA_CONTRACT)/pom.xml dependency:go-offline test && touch $(JAVA_STAMP); \
	fi

pytest: broker $(CHROMIUM)
	$(BIN)/pytest

test: lint asyncapi java-contract pytest

demo: broker
	$(BIN)/backbone demo

# Services scaled out: each instance of a service is a member of the service's consumer group.
INSTANCES ?= router=2,audit=2,agency=2

cluster: setup
	$(BIN)/backbone broker start --nodes 3
	$(BIN)/backbone demo --instances $(INSTANCES)

# The fault suite starts and stops its own cluster (ports from BACKBONE_KAFKA_PORT + 200).
faults: setup
	$(BIN)/pytest -m faults tests/faults

bench: broker
	@for script in $(wildcard bench/bench_*.py); do \
	  echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

clean: stop
	rm -rf .run $(VENV) deploy/kafka/.jars $(ASYNCAPI)/node_modules
