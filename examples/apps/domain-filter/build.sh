#!/usr/bin/env bash
# Builds this app (or the app in the directory given) into a WebAssembly component, with a
# target and a linker rustup provides (wasm32-unknown-unknown, linked by the
# wasm-component-ld that comes with rustc), and prints the component's path as its last
# line. The app's manifest.json sits beside its Cargo.toml.
set -euo pipefail
cd "${1:-$(dirname "${BASH_SOURCE[0]}")}"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown >&2
fi
host="$(rustc -vV | sed -n 's/^host: //p')"
export PATH="$(rustc --print sysroot)/lib/rustlib/$host/bin:$PATH"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-component-ld
cargo build --release --target wasm32-unknown-unknown --quiet >&2
name="$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | head -n 1 | tr '-' '_')"
echo "${CARGO_TARGET_DIR:-$PWD/target}/wasm32-unknown-unknown/release/$name.wasm"
