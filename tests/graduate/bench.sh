#!/usr/bin/env bash
# Times ff-graduate on a big sandbox: 10,000 executions and 1,000,000 frames by default
# (BENCH_EXECUTIONS, BENCH_FRAMES). Needs the server scripts/test-graduate.sh starts:
#   bash scripts/test-graduate.sh --bench
# Building the sandbox through the package takes a few minutes; the graduation's own times
# are in the tool's report (source checked and read, target prepared, copy).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${FF_GRADUATE_PG:?start the server through scripts/test-graduate.sh --bench}"
psql="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql"
dir=$(mktemp -d /tmp/ff-graduate-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

echo "[bench] building the sandbox through the package"
node tests/graduate/bench.mjs "$dir/big.sqlite" "${BENCH_EXECUTIONS:-10000}" "${BENCH_FRAMES:-1000000}"
db="bench_$$"
"$psql" -q "$FF_GRADUATE_PG" -c "CREATE DATABASE $db"
echo "[bench] graduating into an empty database"
start=$(date +%s.%N)
bash scripts/graduate.sh --from "$dir/big.sqlite" --to "${FF_GRADUATE_PG%/*}/$db"
end=$(date +%s.%N)
echo "[bench] ff-graduate ran $(awk "BEGIN { printf \"%.1f\", $end - $start }") s in all (build check included)"
