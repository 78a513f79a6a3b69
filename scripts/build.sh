#!/usr/bin/env bash
# Builds the npm package's wasm: cargo (release) -> wasm-bindgen (web target) -> wasm-opt -Oz.
# Output: dist/wasm/ (ff_backend_wasm.js, ff_backend_wasm_bg.wasm, .d.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh

cargo build --quiet --target wasm32-unknown-unknown --release
rm -rf dist/wasm
mkdir -p dist/wasm
wasm-bindgen --target web --weak-refs --out-dir dist/wasm \
  target/wasm32-unknown-unknown/release/ff_backend_wasm.wasm

# npm's binaryen, never Debian's (binaryen 108 corrupts wasm-bindgen output).
opt=node_modules/.bin/wasm-opt
wasm=dist/wasm/ff_backend_wasm_bg.wasm
"$opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"

raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "built $wasm: $raw bytes ($gz gzipped)"
