#!/usr/bin/env bash
# Players with tokens (BENCHMARKS.md, "Players"): for each store, a fresh release xmarks-server
# that verifies HS256 player tokens, then xmarks-load opens one session for each of PLAYERS players
# (default 100,000; 64 requests at a time, each with its own signed token) and reads every
# player's profile with the backend's token, then ends every session and waits for the server to
# compact them all (retention after 1 s, logs archived to a file each). Prints opens and profile
# reads per second with their p50 and p99, and compactions per second. Token verification alone:
# cargo bench -p xmarks-server --bench players.
#   bash bench/players.sh [PLAYERS]
set -euo pipefail
cd "$(dirname "$0")/.."
players=${1:-100000}
cargo build --release -q -p xmarks-server -p xmarks-load
bash scripts/tools.sh nats
ulimit -n "$(ulimit -Hn)"
source bench/servers.sh
for mode in embedded nats; do
  dir=$(mktemp -d)
  pids=()
  random_hex "$dir/player-key"
  random_hex "$dir/secret"
  cat > "$dir/server.toml" <<TOML
data_dir = "$dir/data"
secret_file = "$dir/secret"
[retention]
compact_after_s = 1
archive_dir = "$dir/archive"
[templates.blink]
template = "$dir/blink.json"
[limits]
sessions_per_address_per_min = 100000000
sessions_per_player_per_min = 1000
open_sessions = 10000000
[players]
[[players.keys]]
kid = "load"
alg = "HS256"
secret_file = "$dir/player-key"
TOML
  # The built-in sprint with one second to play, so that every session can be ended at once.
  sed 's/"id": "sprint"/"id": "blink"/; s/"time_limit_s": 900/"time_limit_s": 1/' server/templates/sprint.json > "$dir/blink.json"
  flags=()
  if [ "$mode" = nats ]; then
    start_nats "$dir"
    flags=(--nats "$nats_url")
  fi
  start_server "$dir" --config "$dir/server.toml" "${flags[@]}"
  echo "== $mode: $players players, each opening a session with a signed token, then each profile read"
  target/release/xmarks-load --url "$url" --open-only "$players" --compact --template blink \
    --player-key-file "$dir/player-key" --player-kid load
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
done
