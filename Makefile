# Two commands set everything up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo demo-accounts test venv build clean help preflight

## the .venv (Python 3.10+, requirements-dev.txt), which ./backup-report and every target run on
venv: $(STAMP)

$(STAMP): requirements-dev.txt function/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## the real handler, end to end, on the local sandbox: the messages, then a summary (V=1: the logs, the JSON)
demo: $(STAMP)
	$(PY) -m sandbox demo $(if $(V),-v)

## the demo over a Resource Directory of three member accounts, one of which cannot be read (docs/accounts.md)
demo-accounts: $(STAMP)
	$(PY) -m sandbox demo --scenario accounts $(if $(V),-v)

# pytest-xdist workers. Most tests wait on loopback sockets and deadlines rather than compute, so more
# workers than cores pays: on a 2-core machine, five of the slowest suites (204 tests) took 141 s with 2,
# 101 s with 3, 83 s with 4, 69 s with 6 and 73 s with 8. `-rs` prints why any test was skipped. A worker
# that runs out of tests takes another's (`--dist worksteal`): a few tests wait 10-25 s on purpose (deadlines,
# drip-fed answers) and must not hold back a queue behind them (the whole suite: 177 s with the default
# `load` scheduling, 166 s with worksteal, another job busy beside it).
TEST_WORKERS ?= 6

## the whole test suite on the sandbox (TEST_WORKERS=6 parallel workers)
test: $(STAMP)
	$(PY) -m pytest -q -rs -n $(TEST_WORKERS) --dist worksteal

## s.yaml checked offline with this shell's environment, before `s deploy`: every problem at once (docs/deploy.md)
preflight: $(STAMP)
	PYTHONPATH=function $(PY) -m backup_report check --deploy

## dist/code (s.yaml's code path) and dist/redis-backup-report.zip, built for FC's python3.10
build: $(STAMP)
	$(PY) scripts/build.py --out dist

## remove .venv, dist/ and build/
clean:
	rm -rf $(VENV) dist build .pytest_cache

.PHONY: bench
## the real handler at scale (bench/RESULTS.md)
bench: $(STAMP)
	$(PY) -m bench.run

## these targets, each with the `## ` line above it
help:
	@awk '/^## /{doc = substr($$0, 4); next} /^[a-z][a-z-]*:/ && doc {sub(/:.*/, ""); printf "  make %-14s %s\n", $$0, doc} {doc = ""}' $(firstword $(MAKEFILE_LIST))
