# Sourced by the other scripts: shared locations and PATH.
# One cargo target directory outside the clone, so repeated runs (and CI) reuse builds.
export JUNCTION_CACHE="${JUNCTION_CACHE:-$HOME/.cache/junction}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$JUNCTION_CACHE/target}"
export JUNCTION_TOOLS="${JUNCTION_TOOLS:-$JUNCTION_CACHE/tools}"
# cargo-leptos runs whatever wasm-opt it finds first: it must be binaryen 132 from npm.
export PATH="$JUNCTION_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# cargo-leptos passes this to its builds; giving it to plain cargo too lets `cargo test` reuse
# the same compiled dependencies (leptos reads it at compile time).
export LEPTOS_OUTPUT_NAME=junction
# Incremental caches grow without bound in a persistent target dir (27 GB seen); the
# scripts build each workspace crate once per change, so they gain little from them.
export CARGO_INCREMENTAL=0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
