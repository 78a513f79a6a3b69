#!/usr/bin/env bash
# The edge sandbox locally: set up, build, then run www/edge in workerd (Miniflare, offline)
# with its data in .edge-data/, and print the URL. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/build.sh
exec node www/edge/dev.mjs
