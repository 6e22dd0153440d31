#!/usr/bin/env bash
# Load benchmark over loopback, as BENCHMARKS.md reports it: the release server on SQLite
# with rate limits off, wrk (Debian) on the same 2-core machine.
#   POST /api/v1/forms/{id}/responses   10-field form, 5 routes: validate, route, store
#   GET  /f/{id}                        the same form, rendered on the server
# Usage: scripts/bench-http.sh [seconds per run, default 20] [connections, default 32]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
seconds="${1:-20}"
connections="${2:-32}"
port=3390
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
# Built as scripts/serve.sh builds it (type-erased views), so the numbers are the shipped server's.
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components" cargo build --release -p server --bin junction
bin="$CARGO_TARGET_DIR/release/junction"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$work/junction.db" JUNCTION_DATA_DIR="$work/data"

JUNCTION_PASSWORD="bench password 1" "$bin" admin create --email bench@example.com >/dev/null
key="$("$bin" api-key create --email bench@example.com --name bench)"
JUNCTION_ADDR="127.0.0.1:$port" JUNCTION_SUBMIT_RATE_LIMIT=0 JUNCTION_API_RATE_LIMIT=0 \
  LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn "$bin" serve &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

form_id="$(curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  --data @scripts/bench/form.json "$base/api/v1/forms" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== POST /api/v1/forms/$form_id/responses ($connections connections, ${seconds}s)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench/submit.lua \
  "$base/api/v1/forms/$form_id/responses"
echo "== GET /f/$form_id ($connections connections, ${seconds}s)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency "$base/f/$form_id"
stored="$(curl -sf -H "Authorization: Bearer $key" "$base/api/v1/forms" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["forms"][0]["responses"])')"
echo "== responses stored: $stored (wrk counts only the requests answered within its window)"
