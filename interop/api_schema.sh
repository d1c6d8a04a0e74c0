#!/usr/bin/env bash
# API conformance: PyPI's schemathesis against `outcall serve` (SQLite store, the simulator as
# its switch), driven by the server's own /openapi.json with an admin token (except the endless
# SSE streams /live and /live/status, which tests/http_live.rs and tests/http_console.rs cover). Passes when no
# response is a server error and every response matches the document.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/target/interop-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis>=4,<5"
cargo build --quiet --bin outcall
bin="${CARGO_TARGET_DIR:-$root/target}/debug/outcall"
free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work="$(mktemp -d)"
sim_port="$(free_port)"
api_port="$(free_port)"
"$bin" sim --listen "127.0.0.1:$sim_port" --time-scale 20 >"$work/sim.log" 2>&1 &
sim_pid=$!
serve_pid=""
trap 'kill $sim_pid $serve_pid 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/outcall.toml" <<TOML
database_url = "sqlite://$work/api.db"
[[freeswitch]]
address = "127.0.0.1:$sim_port"
password = "ClueCon"
[http]
listen = "127.0.0.1:$api_port"
rate_per_token = 100000
TOML
export OUTCALL_CONFIG="$work/outcall.toml"
"$bin" migrate >/dev/null
token="$("$bin" token create --name schemathesis --role admin 2>/dev/null)"
"$bin" campaign create campaigns/debtors.toml >/dev/null
"$bin" import campaigns/demo-debtors.csv --campaign debtors >/dev/null
OUTCALL_LOG=error "$bin" serve >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$api_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
"$venv/bin/st" run "http://127.0.0.1:$api_port/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" \
  --seed 1 \
  --exclude-path /live \
  --exclude-path /live/status \
  "$@"
