#!/usr/bin/env bash
# The long runs of the reliability tests (release build): the model-based property test and the
# fuzzers with many more cases from a fresh seed (printed, so a failure can be replayed with
# MODEL_SEED=… / FUZZ_SEED=…), one stream of 1,000,000 frames in bounded memory, and 200 crashes
# of a page writing to OPFS (the test command runs 10).
#   MODEL_CASES (default 50000), FUZZ_CASES (default 50000: per-target weights scale it),
#   FF_STREAM_FRAMES (default 1000000), CRASH_ROUNDS (default 200: about 30 minutes, as each
#   round checks the whole, growing database). Takes about an hour and a half on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

model_seed=${MODEL_SEED:-$((RANDOM * 32768 + RANDOM))}
fuzz_seed=${FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "model seed $model_seed, fuzz seed $fuzz_seed"

MODEL_CASES=${MODEL_CASES:-50000} MODEL_SEED=$model_seed cargo test --release --test model
FUZZ_CASES=${FUZZ_CASES:-50000} FUZZ_SEED=$fuzz_seed cargo test --release --test fuzz
FF_STREAM_FRAMES=${FF_STREAM_FRAMES:-1000000} cargo test --release --test memory -- --nocapture
bash scripts/build.sh
CRASH_ROUNDS=${CRASH_ROUNDS:-200} node --test --test-timeout=3600000 tests/js/crash.test.mjs
echo "long tests passed (model seed $model_seed, fuzz seed $fuzz_seed)"
