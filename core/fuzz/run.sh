#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 20), two at a time. Each starts from its seed
# corpus, corpus/<target> (minimised, in the repository), and writes what it finds to
# out/fuzz/corpus/<target>. Stops at the first crash, whose input is left in artifacts/<target>/:
# fix it, then copy the input into corpus/<target>/ as a regression seed.
#   bash core/fuzz/run.sh            the short run of the test command
#   bash core/fuzz/run.sh 600        the release run (10 minutes per target), then, to keep the finds:
#   cargo fuzz cmin -s none <target> (after copying out/fuzz/corpus/<target>/* into corpus/<target>/)
# libFuzzer with `-s none`: the core is `forbid(unsafe_code)`, and AddressSanitizer needs a
# nightly toolchain; what the fuzzers look for is panics, aborts, hangs and runaway memory.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
targets=(template_hunt rules session replay import canonical)
cargo fuzz build -s none 2>/dev/null
out=../../out/fuzz
run() {
  local t=$1
  mkdir -p "$out/corpus/$t" "corpus/$t"
  cargo fuzz run -s none "$t" "$out/corpus/$t" "corpus/$t" -- -max_total_time="$seconds" -max_len=8192 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 > "$out/$t.log" 2>&1 ||
    { echo "FAILED: $t (see out/fuzz/$t.log)"; tail -30 "$out/$t.log"; return 1; }
  echo "$t: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$') executions in ${seconds} s, no crash"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  a=$!
  run "${targets[i + 1]}" &
  b=$!
  wait "$a"
  wait "$b"
done
