#!/usr/bin/env bash
# Keeps the persistent target dir from filling the disk: cargo never deletes the artifacts of
# Junction's own crates from earlier builds (hundreds of MB each, with debug info). Keeps the
# newest few of each and removes the rest. Dependencies are left alone.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
keep=3
for deps in "$CARGO_TARGET_DIR/debug/deps" "$CARGO_TARGET_DIR/front/wasm32-unknown-unknown/debug/deps"; do
  [[ -d "$deps" ]] || continue
  # The crates, and every integration test and bench target (each its own binary).
  targets=$(cd "$ROOT" && ls server/tests/*.rs app/tests/*.rs server/benches/*.rs 2>/dev/null \
    | xargs -n1 basename | sed 's/\.rs$/-/')
  for prefix in libapp- app- libserver- server- junction- libfrontend- frontend- $targets; do
    # Newest first; everything after the first $keep goes.
    ls -t "$deps"/"$prefix"* 2>/dev/null | tail -n +$((keep + 1)) | xargs -r rm -f
  done
done
