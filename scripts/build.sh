#!/usr/bin/env bash
# Builds the npm package's wasm: cargo (release) -> wasm-bindgen (web target) -> wasm-opt -Oz.
# Output: dist/wasm/ (ff_backend_wasm.js, ff_backend_wasm_bg.wasm, .d.ts) and dist/worker.js
# (openInWorker's Worker, bundled).
# FF_PROFILE=1 keeps function names (for CPU profiles) and optimizes for speed instead of size.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh

cargo build --quiet --target wasm32-unknown-unknown --release
rm -rf dist/wasm
mkdir -p dist/wasm
keep=()
level=-Oz
if [ "${FF_PROFILE:-}" = 1 ]; then
  keep=(--keep-debug)
  level="-O3 -g"
fi
wasm-bindgen --target web --weak-refs "${keep[@]}" --out-dir dist/wasm \
  target/wasm32-unknown-unknown/release/ff_backend_wasm.wasm

# npm's binaryen, never Debian's (binaryen 108 corrupts wasm-bindgen output).
opt=node_modules/.bin/wasm-opt
wasm=dist/wasm/ff_backend_wasm_bg.wasm
"$opt" $level --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"

# A SQLite part left out in .cargo/config.toml that the parser still calls becomes an import
# from "env", and the module would fail to instantiate: refuse it here instead.
node -e '
const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
const missing = WebAssembly.Module.imports(m).filter((i) => i.module === "env").map((i) => i.name);
if (missing.length) { console.error(`${process.argv[1]} imports missing C functions: ${missing.join(", ")}`); process.exit(1); }
' "$wasm"

# openInWorker's Worker as one file: a Worker importing the package's ten modules one request at
# a time spent 40-50 ms on it before opening anything (BENCHMARKS.md, "Opening").
node_modules/.bin/esbuild js/worker.js --bundle --format=esm --log-level=warning --outfile=dist/worker.js

raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "built $wasm: $raw bytes ($gz gzipped)"
