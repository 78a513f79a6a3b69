#!/usr/bin/env bash
# Installs what building (and, with --browser, testing) needs. Idempotent: anything already
# present at the right version is left alone. Everything comes from Debian, crates.io or npm.
#   scripts/setup.sh            toolchain for the build and the Node demo
#   scripts/setup.sh --browser  also Chromium + chromedriver, the sqlite3 CLI and wasm-pack, for the tests
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
browser=false
[ "${1:-}" = "--browser" ] && browser=true
sudo=""
if [ "$(id -u)" != 0 ]; then
  if ! sudo -n true 2>/dev/null; then
    sudo=missing
  else
    sudo="sudo -n"
  fi
fi
say() { printf '[setup] %s\n' "$*"; }

apt_missing=()
command -v clang >/dev/null || apt_missing+=(clang)
command -v node >/dev/null || apt_missing+=(nodejs npm)
if $browser; then
  [ -x /usr/bin/chromium ] || apt_missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || apt_missing+=(chromium-driver)
  command -v sqlite3 >/dev/null || apt_missing+=(sqlite3)
fi
if ((${#apt_missing[@]})); then
  if [ "$sudo" = missing ]; then
    echo "[setup] need root (or password-less sudo) to apt-get install ${apt_missing[*]}" >&2
    exit 1
  fi
  say "apt-get install ${apt_missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "[setup] cargo is missing: install Rust with rustup first" >&2
  exit 1
fi
# (grep without -q: an early exit would SIGPIPE rustup and, under pipefail, read as "missing")
rustup target list --installed | grep -x wasm32-unknown-unknown >/dev/null || rustup target add wasm32-unknown-unknown
for component in clippy rustfmt; do
  rustup component list --installed | grep "^$component" >/dev/null || rustup component add "$component"
done

# wasm-bindgen-cli must equal the wasm-bindgen crate version in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "cargo install wasm-bindgen-cli $want (about 2 minutes)"
  cargo install --quiet wasm-bindgen-cli --version "$want" --force
fi
if $browser && ! command -v wasm-pack >/dev/null; then
  say "cargo install wasm-pack 0.15.1 (about 3 minutes)"
  cargo install --quiet wasm-pack --version 0.15.1 --locked
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "ready"
