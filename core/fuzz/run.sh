#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 20), two at a time, from its corpus in
# corpus/<target>, and prints each run's executions. Stops at the first crash, whose input is left in
# artifacts/<target>/: fix it, then copy the input into corpus/<target>/ as a regression seed.
#   bash core/fuzz/run.sh            the short run of the test command
#   bash core/fuzz/run.sh 600        the release run (10 minutes per target)
# libFuzzer with `-s none`: the core is `forbid(unsafe_code)`, and AddressSanitizer needs a
# nightly toolchain; what the fuzzers look for is panics, aborts, hangs and runaway memory.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
targets=(template_hunt rules session replay import canonical)
cargo fuzz build -s none >/dev/null
mkdir -p ../../out/fuzz
run() {
  local t=$1
  cargo fuzz run -s none "$t" -- -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 > "../../out/fuzz/$t.log" 2>&1 || { echo "FAILED: $t (see out/fuzz/$t.log)"; tail -30 "../../out/fuzz/$t.log"; return 1; }
  echo "$t: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "../../out/fuzz/$t.log" | grep -o '[0-9]*$') executions in ${seconds} s, no crash"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  a=$!
  b=
  if ((i + 1 < ${#targets[@]})); then
    run "${targets[i + 1]}" &
    b=$!
  fi
  wait "$a"
  if [ -n "$b" ]; then wait "$b"; fi
done
