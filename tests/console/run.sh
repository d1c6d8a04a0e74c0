#!/usr/bin/env bash
# Runs a console browser script (tests/console/*.py) with playwright from PyPI in a venv under
# target/ and the system's chromium (no browser download): `run.sh scenario.py` or `bench.py`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
chromium="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium" ]; then
  echo "chromium is not installed: apt-get install -y chromium" >&2
  exit 1
fi
venv="$target/console-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "playwright>=1.40,<2"
profile=debug
[ "$1" = bench.py ] && profile=release
if [ "$profile" = release ]; then cargo build --quiet --release --bin outcall; else cargo build --quiet --bin outcall; fi
exec "$venv/bin/python" "tests/console/$1" "$target/$profile/outcall" "$chromium"
