#!/usr/bin/env bash
# Load benchmark over loopback, as BENCHMARKS.md reports it: the release server as
# scripts/serve.sh builds it (hashed, precompressed files), on SQLite with rate limits off,
# and wrk (Debian) on the same 2-core machine, all in one run so the rates compare:
#   GET  /healthz                        answered after a database query
#   GET  /pkg/junction.<hash>.css        a static file, brotli copy
#   GET  /f/{id}                         the public form, kept per revision (anonymous)
#   GET  /f/{id}?name=Ada                the same page prefilled: rendered each time
#   POST /api/v1/forms/{id}/responses    10-field form, 5 routes: validate, route, store
#   POST /f/{id}                         the same answers from the page (303 to thanks)
# Each rate is printed beside its ratio to /healthz, then the bytes of a respondent's first
# load in Chromium (the budget test in end2end/tests/respondent.spec.ts, which prints them).
# Usage: scripts/bench-http.sh [seconds per run, default 20] [connections, default 32]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
seconds="${1:-20}"
connections="${2:-32}"
port=3390
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components" cargo leptos build --release --split --precompress
scripts/build-respondent.sh --release
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
css="$(curl -sf "$base/f/$form_id" | grep -o '/pkg/junction\.[A-Za-z0-9_-]*\.css' | head -1)"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== $connections connections, ${seconds}s each; browsers' Accept-Encoding on the GETs"
results="$work/results"
run() { # name, then wrk's arguments
  local name="$1"
  shift
  echo "== $name"
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" | tee "$work/out"
  local rate p99
  rate="$(awk '/^Requests\/sec:/ {print $2}' "$work/out")"
  p99="$(awk '$1 == "99%" {print $2}' "$work/out")"
  echo "$name|$rate|$p99" >>"$results"
}
accept=(-H 'Accept-Encoding: br, gzip' -H 'Accept: text/html')
run "GET /healthz" "$base/healthz"
run "GET $css" "${accept[@]}" "$base$css"
run "GET /f/{id} (kept)" "${accept[@]}" "$base/f/$form_id"
run "GET /f/{id}?name=Ada (prefilled)" "${accept[@]}" "$base/f/$form_id?name=Ada"
run "POST /api/v1/forms/{id}/responses" -s scripts/bench/submit.lua "$base/api/v1/forms/$form_id/responses"
run "POST /f/{id}" -s scripts/bench/submit-page.lua "$base/f/$form_id"

echo
echo "| request | requests/s | × /healthz | p99 |"
echo "|---|---:|---:|---:|"
awk -F'|' 'NR == 1 {base = $2} {printf "| %s | %.0f | %.2f | %s |\n", $1, $2, $2 / base, $3}' "$results"
stored="$(curl -sf -H "Authorization: Bearer $key" "$base/api/v1/forms" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["forms"][0]["responses"])')"
echo "== responses stored: $stored (wrk counts only the requests answered within its window)"

echo "== a respondent's first load of /f/{id} in Chromium, fresh profile"
(cd end2end && JUNCTION_BASE_URL="$base" npx playwright test tests/respondent.spec.ts -g "first load")
