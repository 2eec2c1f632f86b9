# Sourced by the server benchmarks (bench/server.sh, bench/players.sh): processes on loopback,
# their pids added to the caller's `pids` array, which it kills when done.

# 32 random bytes, in hex, into the file $1 (secrets and keys).
random_hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1"; }

# A nats-server with JetStream storing in $1/nats; sets nats_url once it takes connections.
start_nats() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  nats-server -js -a 127.0.0.1 -p "$port" -sd "$1/nats" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  nats_url="nats://127.0.0.1:$port"
}

# The release xmarks-server with the flags given after $1 (its directory, for server.out and
# server.log); sets server (its pid) and url once it listens.
start_server() {
  local dir=$1
  shift
  RUST_LOG=warn target/release/xmarks-server --listen 127.0.0.1:0 "$@" > "$dir/server.out" 2> "$dir/server.log" &
  server=$!
  pids+=($server)
  for _ in $(seq 100); do grep -q '^listening on ' "$dir/server.out" && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$dir/server.out")
}
