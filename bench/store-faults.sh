#!/usr/bin/env bash
# The store failing under load (BENCHMARKS.md, "Faults of the store"): runs the server's fault
# tests in release, one at a time, and prints the figures each reports (time to detect the outage,
# time to recover once the store is back, events refused, events lost, p99 before, during and
# after). The scenarios, their loads and their assertions are in server/tests/store_outages.rs
# (NATS killed and restarted, the embedded store's disk full, NATS slowed) and
# server/tests/store_cluster.rs (a three-node JetStream cluster losing a node, then the leader).
# The disk-full scenario mounts a small tmpfs, so it needs root. Figures go to
# out/bench/store-faults.jsonl.
#   bash bench/store-faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/tools.sh nats
mkdir -p out/bench
out=out/bench/store-faults.jsonl
log=$(mktemp)
for test in store_outages store_cluster; do
  cargo test --release -q -p xmarks-server --test "$test" -- --nocapture --test-threads=1 | tee -a "$log"
done
echo "== figures (also appended to $out)"
grep '^FIGURES ' "$log" | sed 's/^FIGURES //' | tee -a "$out"
