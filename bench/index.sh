#!/usr/bin/env bash
# Bulk load of 1M sites: xmarks (rstar, several node sizes) against kdbush in Node, in one run.
#   bash bench/index.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/xmarks-bench
rm -rf target/criterion/bulk_load_1m   # the report reads every result in this group: keep only this run's
cargo bench -p xmarks --bench index -- --noplot | tee target/xmarks-bench/index.log
(cd bench && npm ci --no-audit --no-fund --silent)
node bench/kdbush.mjs > target/xmarks-bench/kdbush.json
node bench/report.mjs
