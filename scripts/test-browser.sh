#!/usr/bin/env bash
# wasm-bindgen tests in headless Chromium: a dedicated Worker on OPFS, and the main thread.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
wasm-pack test --headless --chrome -- --test worker --test browser_main
