#!/usr/bin/env bash
# The Earth index on 1M sites: xmarks (native, criterion) against geokdbush in Node, in one run.
#   bash bench/earth.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/xmarks-bench
rm -rf target/criterion/earth_1m
cargo bench -p xmarks --bench earth -- --noplot | tee target/xmarks-bench/earth.log
(cd bench && npm ci --no-audit --no-fund --silent)
node bench/geokdbush.mjs > target/xmarks-bench/geokdbush.json
node bench/report-earth.mjs
