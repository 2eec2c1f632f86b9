#!/usr/bin/env bash
# Rules and sessions: xmarks and datalogic-rs (criterion), then json-logic-js and json-logic-engine
# (Node) on the same suite, in one run; then two more rounds of xmarks and the Node peers, one
# after the other, so that both sides are sampled through the shared machine's busy and quiet
# spells. Prints the table (medians of the three rounds) and each round's figures.
#   bash bench/rules.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/xmarks-bench
mkdir -p $out
rm -rf target/criterion/jsonlogic_suite target/criterion/session $out/rules-round-*
(cd bench && npm ci --no-audit --no-fund --silent)
cargo bench -p xmarks --bench rules -- --noplot | tee $out/rules.log
for round in 1 2 3; do
  if [ $round -gt 1 ]; then
    cargo bench -p xmarks --bench rules -- --noplot jsonlogic_suite/xmarks > /dev/null
  fi
  mkdir -p $out/rules-round-$round
  cp target/criterion/jsonlogic_suite/xmarks/new/estimates.json $out/rules-round-$round/xmarks.json
  node bench/jsonlogic.mjs > $out/rules-round-$round/node.json
done
node bench/report-rules.mjs
