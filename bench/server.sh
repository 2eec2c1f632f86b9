#!/usr/bin/env bash
# Load test of the reference server on loopback (BENCHMARKS.md, "Reference server").
#   bash bench/server.sh MODE PLAYERS...     MODE: embedded or nats
# Each count is one run: a fresh server (and nats-server), then xmarks-load with that many players,
# each sending one event a second over its WebSocket, for DURATION seconds (default 120), players
# starting over RAMP seconds (default 30) and the first WARMUP seconds (default: the ramp) left out
# of the latency figures. Prints the load generator's report, and the server's resident memory
# before the load, near its end (players connected) and after it (sessions still held).
# Results are appended to out/bench/server.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: bench/server.sh embedded|nats PLAYERS...}
shift
duration=${DURATION:-120}
ramp=${RAMP:-30}
warmup=${WARMUP:-$ramp}
cargo build --release -q -p xmarks-server -p xmarks-load
[ "$mode" = nats ] && bash scripts/tools.sh nats
# Each player is a socket in the load generator and one in the server.
ulimit -n "$(ulimit -Hn)"
mkdir -p out/bench
source bench/servers.sh
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

for players in "$@"; do
  dir=$(mktemp -d)
  pids=()
  flags=()
  if [ "$mode" = nats ]; then
    start_nats "$dir"
    random_hex "$dir/secret"
    flags=(--nats "$nats_url" --secret-file "$dir/secret")
  fi
  # Every simulated player comes from 127.0.0.1, and is whoever it says.
  printf 'insecure_dev_players = true\n[limits]\nsessions_per_address_per_min = 1000000\n' > "$dir/server.toml"
  start_server "$dir" --config "$dir/server.toml" --data-dir "$dir/data" "${flags[@]}"
  before=$(rss_kb "$server")
  ( sleep $((duration - 5)); rss_kb "$server" > "$dir/rss.during" ) &
  echo "== $mode, $players players, $duration s (ramp $ramp s, warm-up $warmup s), server $url"
  target/release/xmarks-load --url "$url" --players "$players" --duration "$duration" --ramp "$ramp" \
    --warmup "$warmup" --json | tee "$dir/load.out"
  sleep 1
  after=$(rss_kb "$server")
  during=$(cat "$dir/rss.during")
  sessions=$(tail -1 "$dir/load.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"])')
  echo "server memory: ${before} kB idle, ${during} kB with $players players connected, ${after} kB after (holding $sessions sessions)"
  echo "  per connected player: $(( (during - before) * 1024 / players )) B; per held session: $(( (after - before) * 1024 / sessions )) B"
  tail -1 "$dir/load.out" | python3 -c "
import json,sys
r=json.load(sys.stdin); r.update(mode='$mode', rss_idle_kb=$before, rss_during_kb=$during, rss_after_kb=$after)
print(json.dumps(r))" >> out/bench/server.jsonl
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
done
