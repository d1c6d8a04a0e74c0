#!/usr/bin/env bash
# Interop test: PyPI's greenswitch against `outcall sim` on a free port. Installs greenswitch into
# a venv under target/, starts the sim, runs interop/greenswitch_test.py, stops the sim.
# Exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/target/interop-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check greenswitch
cargo build --quiet --bin outcall
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
log="$root/target/interop-sim.log"
"${CARGO_TARGET_DIR:-$root/target}/debug/outcall" sim --listen "127.0.0.1:$port" --time-scale 20 >"$log" 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  grep -q "listening" "$log" 2>/dev/null && break
  sleep 0.1
done
"$venv/bin/python" "$root/interop/greenswitch_test.py" 127.0.0.1 "$port"
