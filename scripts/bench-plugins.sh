#!/usr/bin/env bash
# Whether uploaded apps at their limits slow the pages respondents load (issue 13: within
# 20 %). On a release build with the embedded SQLite database, wrk loads GET /f/{id} and
# reports its p99:
#   1. alone, no app at work;
#   2. while 8 more connections submit to another owner's form whose uploaded app
#      (server/tests/plugins/hostile, mode "loop") spins every event into its 100 ms limit.
# Ten failed events in a row switch an installation off; during run 2 the owner switches
# it on again every 200 ms, so the app stays at work (the bench counts its failed events).
# Usage: scripts/bench-plugins.sh [seconds] [connections]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
seconds="${1:-20}"
connections="${2:-32}"
port=3391
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components" cargo leptos build --release --split --precompress
scripts/build-respondent.sh --release
bin="$CARGO_TARGET_DIR/release/junction"
hostile_wasm="$(bash examples/apps/domain-filter/build.sh server/tests/plugins/hostile | tail -n 1)"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$work/junction.db" JUNCTION_DATA_DIR="$work/data"

for who in bench hostile; do
  JUNCTION_PASSWORD="bench password 1" "$bin" admin create --email "$who@example.com" >/dev/null
done
key="$("$bin" api-key create --email bench@example.com --name bench)"
hostile_key="$("$bin" api-key create --email hostile@example.com --name bench)"
"$bin" app upload --email hostile@example.com server/tests/plugins/hostile/manifest.json "$hostile_wasm" | tail -n 1
"$bin" app submit --email hostile@example.com hostile 1.0.0
"$bin" app approve hostile 1.0.0

JUNCTION_ADDR="127.0.0.1:$port" JUNCTION_SUBMIT_RATE_LIMIT=0 JUNCTION_API_RATE_LIMIT=0 \
  LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=error "$bin" serve &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

api() { # key, method, path, [json]
  curl -sf -X "$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' ${4:+--data "$4"} "$base/api/v1$3"
}
id_of() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }
form_id="$(api "$key" POST /forms "$(cat scripts/bench/form.json)" | id_of)"
hostile_form="$(api "$hostile_key" POST /forms "$(cat scripts/bench/form.json)" | id_of)"
installation="$(api "$hostile_key" POST /installations '{"app":"hostile","grant":["responses:read","config:read","http:outbound"]}' | id_of)"
api "$hostile_key" PUT "/installations/$installation/config" '{"mode":"loop"}' >/dev/null
api "$hostile_key" POST "/installations/$installation/activate" >/dev/null

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== GET /f/{id}: $connections connections, ${seconds}s each"
results="$work/results"
run() { # name
  echo "== $1"
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -H 'Accept-Encoding: br, gzip' -H 'Accept: text/html' \
    "$base/f/$form_id" | tee "$work/out"
  echo "$1|$(awk '/^Requests\/sec:/ {print $2}' "$work/out")|$(awk '$1 == "99%" {print $2}' "$work/out")" >>"$results"
}
run "no app at work"

# The hostile app at work: submissions that each spin until the filter limit stops them.
(while true; do api "$hostile_key" POST "/installations/$installation/activate" >/dev/null || true; sleep 0.2; done) &
pids+=($!)
wrk -t1 -c8 -d"$((seconds + 4))s" -s scripts/bench/submit.lua "$base/api/v1/forms/$hostile_form/responses" >"$work/hostile" &
pids+=($!)
sleep 2
run "hostile app looping on 8 connections"
wait "${pids[-1]}" || true
echo "== the hostile submissions:"
cat "$work/hostile"
failed="$(api "$hostile_key" GET "/installations/$installation/audit" \
  | python3 -c 'import json, sys; a = json.load(sys.stdin); a = a.get("entries", a) if isinstance(a, dict) else a; print(sum(1 for e in a if "switched off" in json.dumps(e).lower()))')"
echo "== times the installation was switched off for 10 failures in a row: $failed"

echo
echo "| GET /f/{id} | requests/s | p99 |"
echo "|---|---:|---:|"
awk -F'|' '{printf "| %s | %.0f | %s |\n", $1, $2, $3}' "$results"
