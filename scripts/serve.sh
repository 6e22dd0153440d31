#!/usr/bin/env bash
# Builds Junction (release) and serves it at http://127.0.0.1:3000 on an embedded SQLite
# database (./junction.db, created and migrated on first run). Ctrl-C stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/install-tools.sh"
cd "$ROOT"
# --split makes each lazy page its own wasm chunk (see app/src/pages/lazy.rs); type-erased
# views (erase_components) keep the main module small. BENCHMARKS.md has the sizes.
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components" cargo leptos build --release --split --precompress
# The respondent's own small wasm (app/src/pages/public_form.rs).
"$ROOT/scripts/build-respondent.sh" --release
LEPTOS_SITE_ROOT="$ROOT/target/site" exec "$CARGO_TARGET_DIR/release/junction" serve
