//! Fuzzing on stable Rust, driven by proptest: the handle-token decoder, the cursor parsers
//! (stream cursors, outbox and list cursors, execution ids), summary merge patches, and opening
//! arbitrary or mutated database images followed by every read. The property everywhere: no
//! panic (a panic is a trap in the wasm build), and every failure is an `EngineError` with one
//! of the codes docs/API.md gives for that input.
//!
//! `FUZZ_CASES` scales every target (the default is the test command's short run;
//! scripts/long-tests.sh runs more), `FUZZ_SEED` picks the seed (`random` for a fresh one).
#![cfg(not(target_arch = "wasm32"))]

#[path = "../common/mod.rs"]
mod common;
#[path = "../model/json.rs"]
mod json;

mod cursors;
mod images;
mod summary;
mod tokens;

use ff_backend_wasm::{EngineError, ErrorCode};
use proptest::test_runner::{Config, RngSeed};

const DEFAULT_SEED: u64 = 0x0f10_fab1_f022_0002;

/// A config running `weight` × the base number of cases (`FUZZ_CASES`, default 1000).
pub fn config(weight: f64) -> Config {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let base: f64 = env("FUZZ_CASES").map_or(1000.0, |v| v.parse().expect("FUZZ_CASES is a number"));
    let seed = match env("FUZZ_SEED").as_deref() {
        None => RngSeed::Fixed(DEFAULT_SEED),
        Some("random") => RngSeed::Random,
        Some(n) => RngSeed::Fixed(n.parse().expect("FUZZ_SEED is a number or \"random\"")),
    };
    Config {
        cases: ((base * weight) as u32).max(1),
        rng_seed: seed,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Fails unless `result` is `Ok` or an error whose code is one of `allowed`.
pub fn only<T>(result: &Result<T, EngineError>, allowed: &[ErrorCode], what: &str) -> Result<(), String> {
    match result {
        Err(e) if !allowed.contains(&e.code) => Err(format!("{what}: undocumented error {e}")),
        _ => Ok(()),
    }
}
