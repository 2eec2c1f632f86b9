#!/usr/bin/env bash
# Every test: formatting, lints (warnings are errors), unit, property, golden-vector, CLI and doc
# tests natively, and the reference server's API, durability (SIGKILL mid-load) and global-cap tests
# against real xmarks-server processes, embedded and on a nats-server with JetStream; then the npm package is built (with its size check) and tested under Node, in a
# scratch project, a Vite build and Chromium, and the browser demo is tested end to end in Chromium
# (screenshots in out/screenshots); last, a short run of every fuzz target. Installs what it needs
# when missing (scripts/tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup" >&2; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
bash scripts/tools.sh nats
echo "== cargo test (the server's tests start xmarks-server and nats-server processes on loopback)"
cargo test --workspace
echo "== npm package: build and size (wasm/build.sh)"
bash wasm/build.sh
bash scripts/tools.sh chromium
bash scripts/tools.sh node demo-web
echo "== node --test: the package (golden vectors, errors, memory, packaging) and the demo in Chromium"
node --expose-gc --test wasm/tests/ demo-web/tests/
echo "== fuzz: every target for 15 s (core/fuzz/run.sh; a release runs 600 s each)"
bash scripts/tools.sh fuzz
bash core/fuzz/run.sh 15
