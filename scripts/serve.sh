#!/usr/bin/env bash
# Builds Junction (release) and serves it at http://127.0.0.1:3000 on an embedded SQLite
# database (./junction.db, created and migrated on first run). Ctrl-C stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/install-tools.sh"
cd "$ROOT"
exec cargo leptos serve --release
