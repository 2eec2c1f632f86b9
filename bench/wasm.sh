#!/usr/bin/env bash
# The npm package against native and against JS peers, in one run: `cargo bench --bench hunt` and
# `--bench earth` for native hunt latency (the second also writes the Earth sites and players), then
# bench/wasm.mjs under Node (hunts on procedural, imported and Earth worlds, 1M-site index vs
# kdbush, JsonLogic vs json-logic-js and json-logic-engine, session events); prints the tables.
#   bash bench/wasm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/xmarks-bench
bash wasm/build.sh
cargo bench -p xmarks --bench hunt -- --noplot hunt/ | tee target/xmarks-bench/hunt.log
(cd bench && npm ci --no-audit --no-fund --silent)
node bench/cities.mjs
cargo bench -p xmarks --bench earth -- --noplot earth_1m/hunt | tee target/xmarks-bench/earth.log
node bench/wasm.mjs | tee target/xmarks-bench/wasm.json
node bench/report-wasm.mjs
