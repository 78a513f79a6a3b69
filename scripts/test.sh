#!/usr/bin/env bash
# Every test: set up (idempotent), build the package, then run each suite and print a total.
#   native engine+store and the FlowFabric EngineBackend (cargo test --features flowfabric) ·
#   wasm facade in Node · wasm in headless Chromium
#   (dedicated Worker on OPFS, and the main thread) · the JS package (node --test) · types.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh --browser
bash scripts/build.sh

logs=$(mktemp -d)
passed=0
failed=0
# Sums the numbers in every match of a pattern in a log.
count() {
  { grep -hoE "$1" "$2" || true; } | { grep -oE '[0-9]+' || true; } | awk '{s+=$1} END {print s+0}'
}

# suite NAME [--counted] CMD...: runs one suite; --counted suites must report at least one test.
suite() {
  local name=$1
  shift
  local counted=false
  if [ "$1" = --counted ]; then
    counted=true
    shift
  fi
  echo
  echo "=== $name: $*"
  local status=0
  "$@" 2>&1 | tee "$logs/$name.log" || status=$?
  # cargo and wasm-bindgen-test: "test result: ok. N passed; M failed"; node: "# pass N" / "# fail M".
  local p f
  p=$(count '([0-9]+) passed;|^# pass [0-9]+' "$logs/$name.log")
  f=$(count '([0-9]+) failed;|^# fail [0-9]+' "$logs/$name.log")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$status" != 0 ]; then
    echo "=== $name FAILED (exit $status)"
    failed=$((failed + (${f:-0} == 0 ? 1 : 0)))
  elif $counted && [ "${p:-0}" = 0 ]; then
    echo "=== $name FAILED: it ran no test"
    failed=$((failed + 1))
  fi
}

layering() {
  # The storage layer owns all SQL: nothing in the engine or the facade may write any.
  if grep -rnE '"(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM) ' src/engine src/js; then
    echo "SQL found outside src/store"
    return 1
  fi
  echo "layering ok: no SQL outside src/store"
}

# Chained with &&: a function run on the left of `||` (as suite does) gets no set -e.
lint() {
  cargo fmt --check &&
    cargo clippy --quiet --all-targets -- -D warnings &&
    cargo clippy --quiet --features flowfabric --all-targets -- -D warnings &&
    cargo clippy --quiet --target wasm32-unknown-unknown --all-targets -- -D warnings &&
    echo "lint ok: rustfmt, clippy (host and wasm32)"
}

suite layering layering
suite lint lint
suite rust --counted cargo test --quiet --features flowfabric
# ff-graduate into a throwaway Postgres cluster (started and removed by the script).
suite graduate --counted bash scripts/test-graduate.sh
suite wasm-node --counted wasm-pack test --node -- --test node
suite wasm-browser --counted bash scripts/test-browser.sh
suite js --counted node --test --test-reporter=tap --test-timeout=120000 tests/js/*.test.mjs
suite types node_modules/.bin/tsc -p tests/js/tsconfig.json
# The same package tests in the other runtimes users run it in (both install from npm).
suite deno --counted node_modules/.bin/deno run --allow-read --allow-env tests/runtimes/package.mjs
suite bun --counted node_modules/.bin/bun tests/runtimes/package.mjs

echo
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
