#!/usr/bin/env bash
# Runs the whole test suite: clippy, Rust unit and integration tests on SQLite, the same database
# tests on PostgreSQL, then the Playwright tests in Chromium against a real server, and a
# Schemathesis run against that server's /api/v1/openapi.json.
# Installs what is missing first; safe to run again.
set -euo pipefail
shopt -s lastpipe
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/install-tools.sh" --test
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
# Every runner's output is also kept here, to total the counts at the end.
summary_log="$(mktemp)"
cleanup_steps=("rm -f $summary_log" "$ROOT/scripts/prune-target.sh")
cleanup() { for step in "${cleanup_steps[@]}"; do eval "$step" || true; done; }
trap cleanup EXIT

# PostgreSQL: the machine's own at 127.0.0.1:5432 when it answers, else a throwaway cluster.
start_postgres() {
  if [[ -n "${JUNCTION_TEST_DATABASE_URL:-}" ]]; then return; fi
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    export JUNCTION_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
    return
  fi
  say "starting a throwaway PostgreSQL cluster"
  local bin dir as_pg=()
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  dir="$(mktemp -d)"
  if [[ $EUID -eq 0 ]]; then
    chown postgres "$dir"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
  "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p 55432 -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  cleanup_steps+=("${as_pg[*]} $bin/pg_ctl -D $dir/data -m fast stop >/dev/null; rm -rf $dir")
  psql -q -h 127.0.0.1 -p 55432 -U postgres -c 'CREATE DATABASE test'
  export JUNCTION_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:55432/test"
}

say "lint (clippy, warnings are errors)"
cargo clippy -p app --features ssr --all-targets -- -D warnings
cargo clippy -p server --all-targets -- -D warnings

say "unit tests (app, natively)"
cargo test -p app --features ssr 2>&1 | tee -a "$summary_log"

say "integration tests on SQLite"
JUNCTION_TEST_DATABASE_URL= cargo test -p server 2>&1 | tee -a "$summary_log"

start_postgres
say "integration tests on PostgreSQL (${JUNCTION_TEST_DATABASE_URL})"
cargo test -p server 2>&1 | tee -a "$summary_log"

say "building the site for the browser tests"
# --split: the pages are lazy routes, whose wasm chunks only the split step produces.
cargo leptos build --split
# Release, as it ships: the respondent spec checks its weight over the wire.
"$ROOT/scripts/build-respondent.sh" --release
# The example app the publishing journey uploads (end2end/tests/publish.spec.ts); the
# integration tests built it already, into the same target directory.
JUNCTION_E2E_DOMAIN_FILTER="$(bash "$ROOT/examples/apps/domain-filter/build.sh" | tail -n 1)"
export JUNCTION_E2E_DOMAIN_FILTER

say "browser tests (Playwright, Debian chromium)"
e2e_dir="$(mktemp -d)"
cleanup_steps+=("rm -rf $e2e_dir")
# A free port unless one is asked for: a server already listening (say, a developer's) would
# otherwise answer the tests in place of this one.
port="${JUNCTION_E2E_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
export JUNCTION_BASE_URL="http://127.0.0.1:$port"
export DATABASE_URL="sqlite://$e2e_dir/e2e.db" JUNCTION_DATA_DIR="$e2e_dir/data"
# The browser tests and the fuzzer submit far faster than any respondent; the webhook
# journey delivers to a receiver on loopback.
JUNCTION_SUBMIT_RATE_LIMIT=0 JUNCTION_API_RATE_LIMIT=0 \
  JUNCTION_ALLOW_PRIVATE_WEBHOOKS=1 JUNCTION_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG="${RUST_LOG:-warn}" \
  "$CARGO_TARGET_DIR/debug/junction" serve >"$e2e_dir/server.log" 2>&1 &
server_pid=$!
cleanup_steps=("kill -TERM $server_pid 2>/dev/null; wait $server_pid 2>/dev/null" "${cleanup_steps[@]}")
for _ in $(seq 1 100); do
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$e2e_dir/server.log"; exit 1; fi
  curl -fs "$JUNCTION_BASE_URL/healthz" >/dev/null 2>&1 && break
  sleep 0.3
done
# Answered by this run's server, not by another on the same port.
if ! kill -0 "$server_pid" 2>/dev/null; then cat "$e2e_dir/server.log"; exit 1; fi
# An administrator for the admin's journey (end2end/tests/admin.spec.ts); sign-up cannot
# make one.
export JUNCTION_E2E_ADMIN_EMAIL="admin-e2e@example.com" JUNCTION_E2E_ADMIN_PASSWORD="admin e2e password"
JUNCTION_PASSWORD="$JUNCTION_E2E_ADMIN_PASSWORD" "$CARGO_TARGET_DIR/debug/junction" admin create --email "$JUNCTION_E2E_ADMIN_EMAIL" >/dev/null
if ! (cd end2end && npx playwright test) 2>&1 | tee -a "$summary_log"; then
  echo "---- server log ----"; tail -n 100 "$e2e_dir/server.log"
  exit 1
fi

say "API fuzzing (Schemathesis against /api/v1/openapi.json)"
# A key for the fuzzer, and a real form of another account for the public submit endpoint
# (see end2end/fuzz/schemathesis.toml). Every check runs except "schema-valid data is
# accepted": a definition can fit the schema and still be refused with 422 for what a
# schema cannot say (an empty message, a rule naming a field the form lacks).
for account in fuzz@example.com owner@example.com; do
  JUNCTION_PASSWORD="fuzzing password" "$CARGO_TARGET_DIR/debug/junction" admin create --email "$account" >/dev/null
done
fuzz_key="$("$CARGO_TARGET_DIR/debug/junction" api-key create --email fuzz@example.com --name fuzz)"
owner_key="$("$CARGO_TARGET_DIR/debug/junction" api-key create --email owner@example.com --name fuzz-target)"
created="$(curl -sS --fail-with-body -H "Authorization: Bearer $owner_key" -H 'Content-Type: application/json' \
  --data @scripts/bench/form.json "$JUNCTION_BASE_URL/api/v1/forms")" || {
  echo "could not create the form to fuzz: $created"; echo "---- server log ----"; tail -n 50 "$e2e_dir/server.log"; exit 1
}
JUNCTION_FUZZ_FORM_ID="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$created")"
export JUNCTION_FUZZ_FORM_ID
if ! schemathesis --config-file end2end/fuzz/schemathesis.toml run "$JUNCTION_BASE_URL/api/v1/openapi.json" \
  -H "Authorization: Bearer $fuzz_key" --checks all --exclude-checks positive_data_acceptance \
  --max-examples 30 --seed 20261126 --generation-database none --no-color 2>&1 | tee "$e2e_dir/fuzz.log" | tail -n 25; then
  echo "---- server log ----"; tail -n 100 "$e2e_dir/server.log"
  exit 1
fi
fuzz_cases=$(grep -oE '[0-9]+ generated' "$e2e_dir/fuzz.log" | tail -n 1)
echo "api fuzzing: ${fuzz_cases:-0 generated} cases, no failures" | tee -a "$summary_log"

passed=$(grep -hoE '(test result: ok\. [0-9]+ passed|^ +[0-9]+ passed \()' "$summary_log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
say "all tests passed"
echo "junction: $passed passed, 0 failed"
