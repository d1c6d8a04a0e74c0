# outcall: the commands the README promises. Each works on a fresh machine with only the Rust toolchain.
CARGO ?= cargo

.PHONY: demo test bench lint sim interop fmt

## Run the demo debtors campaign against the built-in simulator and print its results.
demo:
	$(CARGO) run --release --quiet -- demo

## The whole test suite: unit, integration and doc tests (benches are not run here, only in `make bench`).
## PostgreSQL tests run when OUTCALL_TEST_POSTGRES_URL is set and say they were skipped otherwise.
test:
	$(CARGO) test

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
