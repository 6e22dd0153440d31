#!/usr/bin/env bash
# Installs what building Junction needs, skipping whatever is already there at the right
# version. `--test` also installs what the test suite needs (Chromium, Playwright).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132
STANDARDWEBHOOKS_VERSION=1.0.1
AIOSMTPD_VERSION=1.4.6
SCHEMATHESIS_VERSION=4.32.5
want_test=false
[[ "${1:-}" == "--test" ]] && want_test=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_updated=false
apt_install() {
  if ! $apt_updated; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

if [[ "$(cargo leptos --version 2>/dev/null || true)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes ~20 minutes on 2 cores)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
wbg_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wbg_version" ]]; then
  say "installing wasm-bindgen-cli $wbg_version"
  # Not --locked: one of its locked dependencies is no longer on the registry.
  cargo install wasm-bindgen-cli --version "$wbg_version" --force
fi

if [[ "$(wasm-opt --version 2>/dev/null || true)" != *"version $BINARYEN_VERSION"* ]]; then
  say "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
  mkdir -p "$JUNCTION_TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$JUNCTION_TOOLS" "binaryen@$BINARYEN_VERSION"
fi

# brotli copies of the respondent's wasm (scripts/build-respondent.sh --release).
if ! command -v brotli >/dev/null; then
  say "installing Debian's brotli"
  apt_install brotli
fi

if $want_test; then
  if [[ ! -x /usr/bin/chromium ]]; then
    say "installing Debian's chromium for the browser tests"
    apt_install chromium
  fi
  if [[ ! -d end2end/node_modules/@playwright/test ]] || [[ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
    say "installing the end-to-end test packages"
    (cd end2end && npm ci --silent --no-audit --no-fund)
  fi
  if ! command -v pg_ctl >/dev/null && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
      say "installing Debian's postgresql for the database tests"
      apt_install postgresql
    fi
  fi
  if [[ "$(schemathesis --version 2>/dev/null || true)" != *"$SCHEMATHESIS_VERSION"* ]]; then
    say "installing schemathesis $SCHEMATHESIS_VERSION (API fuzzing) from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  # The webhook tests check Junction's signatures with the specification's own Python
  # library, an implementation independent of the Rust one Junction signs with.
  if ! python3 -c "import standardwebhooks" 2>/dev/null; then
    say "installing standardwebhooks $STANDARDWEBHOOKS_VERSION (signature checks) from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      "standardwebhooks==$STANDARDWEBHOOKS_VERSION"
  fi
  # The e-mail tests send to an SMTP server written independently of lettre.
  if ! python3 -c "import aiosmtpd" 2>/dev/null; then
    say "installing aiosmtpd $AIOSMTPD_VERSION (the tests' SMTP receiver) from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      "aiosmtpd==$AIOSMTPD_VERSION"
  fi
fi
