#!/usr/bin/env bash
# The main job: set up, build the package, then run a real end-to-end demo in Node on the
# in-memory default (executions created, claimed, streamed, completed, failed and retried).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/build.sh
node www/demo.mjs
