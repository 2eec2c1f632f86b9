#!/usr/bin/env bash
# Earth worlds, in one run: the world's cities (bench/cities.mjs), then `cargo bench --bench earth`
# (the index on 1M sites spread around them, hunts on 1M and 10M sites), then geokdbush in Node on
# the same 1M points and queries, then the table.
#   bash bench/earth.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/xmarks-bench
(cd bench && npm ci --no-audit --no-fund --silent)
node bench/cities.mjs
rm -rf target/criterion/earth_1m
cargo bench -p xmarks --bench earth -- --noplot | tee target/xmarks-bench/earth.log
node bench/geokdbush.mjs > target/xmarks-bench/geokdbush.json
node bench/report-earth.mjs
