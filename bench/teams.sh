#!/usr/bin/env bash
# Teams (BENCHMARKS.md, "Teams"): a fresh release xmarks-server (embedded store, player tokens),
# then xmarks-load --teams: TEAMS teams (default 2,000) of SIZE members (default 5) are made (one
# creates, the others join with the invite code, the first starts), then every member walks the
# team's hunt on the crew template over their own WebSocket at one event a second for SECONDS
# (default 90, the first 30 ramping up and not counted). Prints the round trip of members' events
# and how long a member's event takes to reach each teammate's socket, as JSON.
#   bash bench/teams.sh [TEAMS] [SIZE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
teams=${1:-2000}
size=${2:-5}
seconds=${3:-90}
cargo build --release -q -p xmarks-server -p xmarks-load
ulimit -n "$(ulimit -Hn)"
source bench/servers.sh
dir=$(mktemp -d)
pids=()
random_hex "$dir/player-key"
random_hex "$dir/secret"
cat > "$dir/server.toml" <<TOML
data_dir = "$dir/data"
secret_file = "$dir/secret"
[limits]
sessions_per_address_per_min = 100000000
sessions_per_player_per_min = 100000
open_sessions = 10000000
max_ahead_ms = 3600000
rate_per_s = 1000
burst = 1000
[players]
[[players.keys]]
kid = "load"
alg = "HS256"
secret_file = "$dir/player-key"
TOML
start_server "$dir" --config "$dir/server.toml"
echo "== embedded: $teams teams of $size, one event a second each, ${seconds} s"
target/release/xmarks-load --url "$url" --teams "$teams" --team-size "$size" --template crew \
  --duration "$seconds" --ramp 30 --player-key-file "$dir/player-key" --player-kid load
kill "${pids[@]}" 2>/dev/null || true
wait 2>/dev/null || true
rm -rf "$dir"
