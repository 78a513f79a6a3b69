#!/usr/bin/env bash
# npm run graduate -- --from <database file> --to <postgres URL> [--expire-leases] [--accept-clock]
# Builds ff-graduate when its sources changed, then runs it in the folder npm was run from (so
# relative paths mean what they say). README.md, "Outgrowing the sandbox".
set -euo pipefail
here=${INIT_CWD:-$PWD}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/env.sh
# The release profile is tuned for the wasm module (size, LTO, abort on panic); this native
# tool is built for speed instead, in a folder of its own so that neither build undoes the other.
CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_PANIC=unwind \
  cargo build --quiet --release --features flowfabric --bin ff-graduate --target-dir target/graduate >&2
cd "$here"
exec "$root/target/graduate/release/ff-graduate" "$@"
