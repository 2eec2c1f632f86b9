#!/usr/bin/env bash
# The main job: build everything (the Rust workspace and the npm package in wasm/pkg), generate a
# hunt on a procedural world, print it and draw its map, then serve the browser demo on 127.0.0.1
# (PORT, default 8080) with the reference game server beside it (embedded store, loopback) for the
# demo's online mode, until stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
cargo build --release --workspace
bash wasm/build.sh
xmarks=target/release/xmarks
echo "== world (seed 7, 3 km around the origin)"
"$xmarks" world --seed 7 --radius 3000
echo "== hunt (examples/harbour.json for player ann)"
"$xmarks" hunt --seed 7 -t examples/harbour.json --player ann --level 3 | tee out/hunt.json
echo
"$xmarks" render --seed 7 -t examples/harbour.json --player ann --level 3 -o out/map.svg
echo "== map written to out/map.svg"
echo "== the demo and the reference game server beside it (Ctrl-C stops both); ?world=earth opens the real world"
bash scripts/tools.sh node demo-web
exec node demo-web/serve.mjs "${PORT:-8080}" --server target/release/xmarks-server
