#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: `fuzz/run.sh [SECONDS]`
# (default 60 per target). Starts from the committed seeds (fuzz/seeds/),
# keeps what it learns in fuzz/corpus/ (not committed), and stops at the
# first crash, leaving the input in fuzz/artifacts/<target>/: turn it into a
# regression test, then commit the input under fuzz/seeds/<target>/.
#
# cargo-fuzz needs nightly instrumentation; RUSTC_BOOTSTRAP=1 unlocks it
# on the stable toolchain. The targets are safe Rust (no `unsafe` in
# Tessera), so no sanitizer: coverage-guided only, and much faster to build.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-60}"
targets=(token_decode key_parse request_bodies headers_cookies)

# FUZZ_TARGET_DIR keeps the instrumented build outside the checkout, so a
# fresh clone on the same machine reuses it (.ci/run sets it).
target_dir=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  target_dir=(--target-dir "$FUZZ_TARGET_DIR")
fi

export RUSTC_BOOTSTRAP=1
cargo fuzz build --sanitizer none "${target_dir[@]}"
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  rm -rf "artifacts/$target"
  echo "fuzz: $target for ${seconds}s"
  log="$(mktemp)"
  status=0
  cargo fuzz run --sanitizer none "${target_dir[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log"
    rm -f "$log"
    echo "fuzz: $target failed (exit $status); the input is in fuzz/artifacts/$target/"
    exit 1
  fi
  rm -f "$log"
done
echo "fuzz: no crash in ${#targets[@]} targets"
