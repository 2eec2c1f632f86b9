#!/usr/bin/env bash
# Rules and sessions: xmarks and datalogic-rs (criterion), then json-logic-js and json-logic-engine
# (Node) on the same suite, in one run; prints the table.
#   bash bench/rules.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/xmarks-bench
rm -rf target/criterion/jsonlogic_suite target/criterion/session
cargo bench -p xmarks --bench rules -- --noplot | tee target/xmarks-bench/rules.log
(cd bench && npm ci --no-audit --no-fund --silent)
node bench/jsonlogic.mjs > target/xmarks-bench/jsonlogic.json
node bench/report-rules.mjs
