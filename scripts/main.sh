#!/usr/bin/env bash
# The main job: set up, build the package, run the end-to-end demo in Node (in memory), then
# serve the browser playground on PORT (default 8080) and print its URL. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/build.sh
node www/demo.mjs
exec node www/playground.mjs
