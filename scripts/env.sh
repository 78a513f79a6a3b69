# Sourced by every script: cargo's bin directory on PATH (non-login shells often lack it).
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
