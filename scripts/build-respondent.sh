#!/usr/bin/env bash
# Builds the respondent's wasm entry, the `frontend` crate with its `respondent` feature,
# into the site's package directory as respondent.<hash>.js and respondent.<hash>.wasm,
# where the server finds it (app/src/pages/public_form.rs). Run it after
# `cargo leptos build`, which empties that directory.
#   --release  optimised (profile respondent-release, then wasm-opt), with brotli and gzip
#              copies beside each file, as `cargo leptos build --release --precompress`
#              leaves.
# It takes none of the flags cargo-leptos gives its split build: relocations (emit-relocs)
# would keep wasm-opt from optimising, and no view is built here to erase.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

release=false
[[ "${1:-}" == "--release" ]] && release=true

profile=dev
$release && profile=respondent-release
cargo build -p frontend --lib --target wasm32-unknown-unknown --features respondent --profile "$profile"
built="$CARGO_TARGET_DIR/wasm32-unknown-unknown/$([[ $profile == dev ]] && echo debug || echo "$profile")/frontend.wasm"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name respondent "$built"
if $release; then
  # The features the Rust toolchain emits by default, as cargo-leptos passes them.
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals "$out/respondent_bg.wasm" -o "$out/respondent.wasm"
else
  mv "$out/respondent_bg.wasm" "$out/respondent.wasm"
fi

pkg="$ROOT/target/site/pkg"
mkdir -p "$pkg"
rm -f "$pkg"/respondent.*
# The name carries the content's MD5 as unpadded URL-safe base64, as cargo-leptos writes
# its own, so the server gives it a year of cache.
content_hash() {
  python3 -c 'import base64, hashlib, sys; print(base64.urlsafe_b64encode(hashlib.md5(open(sys.argv[1], "rb").read()).digest()).decode().rstrip("="))' "$1"
}
for ext in js wasm; do
  name="respondent.$(content_hash "$out/respondent.$ext").$ext"
  cp "$out/respondent.$ext" "$pkg/$name"
  if $release; then
    brotli -q 11 -k -f "$pkg/$name"
    gzip -9 -k -f "$pkg/$name"
  fi
  echo "$pkg/$name"
done
