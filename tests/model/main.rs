//! Model-based property test: random sequences of operations run against the engine and against
//! a small model of docs/API.md (`contract.rs`), every answer compared, and the invariants of
//! `checks.rs` checked after every step. proptest shrinks a failing sequence to a short one.
//!
//! The test command runs `MODEL_CASES` cases (default below) from a fixed seed; the long run
//! (scripts/long-tests.sh) sets `MODEL_CASES` and `MODEL_SEED` (`random` for a fresh one).
#![cfg(not(target_arch = "wasm32"))]

/// Fails the step with a message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!($($why)+));
        }
    };
}

mod checks;
#[path = "../common/mod.rs"]
mod common;
mod contract;
mod followers;
mod json;
mod ops;
mod world;

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// Cases in the test command, split over two tests so that both cores run them.
const DEFAULT_CASES: u32 = 1500;
const DEFAULT_SEED: u64 = 0x0f10_fab1_2c00_0001;

/// Half of the cases, from the seed plus `half` (a fixed seed unless `MODEL_SEED=random`).
fn config(half: u64) -> Config {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let cases = env("MODEL_CASES").map_or(DEFAULT_CASES, |v| v.parse().expect("MODEL_CASES is a number"));
    let seed = match env("MODEL_SEED").as_deref() {
        None => RngSeed::Fixed(DEFAULT_SEED + half),
        Some("random") => RngSeed::Random,
        Some(n) => RngSeed::Fixed(n.parse::<u64>().expect("MODEL_SEED is a number or \"random\"") + half),
    };
    Config {
        cases: cases.div_ceil(2),
        rng_seed: seed,
        // A fixed seed replays the same cases; no regression files in the work tree.
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

fn run(half: u64) {
    let config = config(half);
    eprintln!("model: {} cases, seed {:?}", config.cases, config.rng_seed);
    let mut runner = TestRunner::new(config);
    let ops = proptest::collection::vec(ops::op(), 1..40);
    let outcome = runner.run(&ops, |ops| {
        let mut world = world::World::new();
        for (n, op) in ops.iter().enumerate() {
            world.step(op).map_err(|why| TestCaseError::fail(format!("step {n} ({op:?}): {why}")))?;
        }
        checks::at_the_end(&world).map_err(|why| TestCaseError::fail(format!("at the end: {why}")))
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[test]
fn the_engine_follows_the_model_of_the_contract() {
    run(0);
}

#[test]
fn the_engine_follows_the_model_of_the_contract_second_half() {
    run(1);
}
