#!/usr/bin/env bash
# Live events (BENCHMARKS.md, "Live events"): for each store (MODES, default "embedded nats"), a
# fresh release xmarks-server with player tokens, then xmarks-load --event: PLAYERS players (default 11,000) open an attempt
# in one window of a shared race, one in ten walks it to the end and reads their rank while
# readers poll the top 100 and the ranks around a player, the admin ends the window with the
# other 10,000 sessions open, the backend reads and acknowledges every grant (about 20 a player),
# and the board and grants are recomputed from the stored logs with the core. Prints the figures
# as JSON; fails if the recomputation disagrees.
#   bash bench/live.sh [PLAYERS]
set -euo pipefail
cd "$(dirname "$0")/.."
players=${1:-11000}
cargo build --release -q -p xmarks-server -p xmarks-load
bash scripts/tools.sh nats
ulimit -n "$(ulimit -Hn)"
source bench/servers.sh
for mode in ${MODES:-embedded nats}; do
dir=$(mktemp -d)
pids=()
random_hex "$dir/player-key"
random_hex "$dir/secret"
random_hex "$dir/admin-secret"
cat > "$dir/server.toml" <<TOML
data_dir = "$dir/data"
secret_file = "$dir/secret"
admin_secret_file = "$dir/admin-secret"
[limits]
sessions_per_address_per_min = 100000000
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
flags=()
if [ "$mode" = nats ]; then
  start_nats "$dir"
  flags=(--nats "$nats_url")
fi
start_server "$dir" --config "$dir/server.toml" "${flags[@]}"
echo "== $mode: $players players in one window of a shared race"
target/release/xmarks-load --url "$url" --event "$players" --admin-secret-file "$dir/admin-secret" \
  --player-key-file "$dir/player-key" --player-kid load
kill "${pids[@]}" 2>/dev/null || true
wait 2>/dev/null || true
rm -rf "$dir"
done
