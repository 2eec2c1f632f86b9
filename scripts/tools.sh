#!/usr/bin/env bash
# Installs what the build and tests need and a fresh machine lacks; each step is skipped when present.
#   bash scripts/tools.sh wasm      the wasm32 target and the wasm-bindgen CLI pinned to Cargo.lock
#   bash scripts/tools.sh node DIR   the npm packages of DIR, from its package-lock.json
#   bash scripts/tools.sh chromium  Debian's Chromium, for the browser tests
#   bash scripts/tools.sh fuzz      cargo-fuzz, for the fuzz targets in core/fuzz
#   bash scripts/tools.sh nats      Debian's nats-server, which the server's JetStream tests start on loopback
set -euo pipefail
cd "$(dirname "$0")/.."

wasm_bindgen_version() {
  # The CLI must equal the wasm-bindgen crate in Cargo.lock, or the generated glue does not match.
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

tools_wasm() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  local want have
  want=$(wasm_bindgen_version)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    echo "== installing wasm-bindgen-cli $want (about 4 minutes, once)"
    # Not --locked: the CLI's lock file names a webpki-roots release the registry mirror lacks.
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

tools_node() {
  command -v node >/dev/null || { echo "node is missing: install Node.js 20 or later" >&2; exit 1; }
  for dir in "$@"; do
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      echo "== npm ci in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
}

tools_chromium() {
  if ! command -v chromium >/dev/null; then
    echo "== installing Debian's chromium (about a minute, once)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
}

tools_fuzz() {
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz (about 2 minutes, once)"
    cargo install cargo-fuzz
  fi
}

tools_nats() {
  if ! command -v nats-server >/dev/null; then
    echo "== installing Debian's nats-server (once)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  fi
}

what=${1:-}
shift || true
case "$what" in
  wasm) tools_wasm ;;
  node) tools_node "$@" ;;
  chromium) tools_chromium ;;
  fuzz) tools_fuzz ;;
  nats) tools_nats ;;
  *) echo "usage: tools.sh wasm | node DIR... | chromium | fuzz | nats" >&2; exit 2 ;;
esac
