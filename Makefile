# outcall: the commands the README promises. Each works on a fresh machine with only the Rust toolchain.
CARGO ?= cargo

.PHONY: demo test bench lint sim interop fmt chaos console-test console-bench

## Run the demo debtors campaign against the built-in simulator and print its results.
demo:
	$(CARGO) run --release --quiet -- demo

## The whole test suite: unit, integration and doc tests (benches are not run here, only in `make bench`).
## PostgreSQL tests run when OUTCALL_TEST_POSTGRES_URL is set and say they were skipped otherwise.
test:
	$(CARGO) test

## Fault scenarios against `outcall sim` processes (kill -9 of serve, SIGTERM drain, a node killed,
## a node hung), each under 2 minutes, on SQLite and on PostgreSQL when OUTCALL_TEST_POSTGRES_URL
## is set; each prints lost / doubled / stuck and fails unless all are 0 (docs/engine.md "Chaos").
chaos:
	$(CARGO) test --test chaos -- --ignored --test-threads=1 --nocapture

## Benchmarks: each figure beside its goal.
bench:
	$(CARGO) bench --benches

## Lints as CI runs them.
lint:
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) fmt --check

## The simulator on 127.0.0.1:8021 with the demo rules.
sim:
	$(CARGO) run --release --quiet -- sim --rules campaigns/demo-rules.toml

## A third-party ESL client (PyPI's greenswitch) against the simulator.
interop:
	bash interop/run.sh

fmt:
	$(CARGO) fmt

## The web console in a real browser: Debian's chromium (apt-get install chromium) driven by
## playwright from PyPI, one scenario against `outcall serve` + `outcall sim`; screenshots to
## target/console-screenshots/.
console-test:
	bash tests/console/run.sh scenario.py

## The console under load (100,000 contacts, 1,000 live calls): the tab's memory and how soon
## a status change shows. Not in CI.
console-bench:
	bash tests/console/run.sh bench.py
