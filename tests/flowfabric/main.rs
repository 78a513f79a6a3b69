//! Conformance tests of `WasmBackend` as a FlowFabric `EngineBackend`, organised by behaviour
//! and written against the trait (`Arc<dyn EngineBackend>`) only. Run with
//! `cargo test --features flowfabric`.
#![cfg(feature = "flowfabric")]

mod capabilities;
mod common;
mod example;
mod executions;
mod handles;
mod lifecycle;
mod storage;
mod streams;
mod subscriptions;

/// The example's code, so a test can run its `demo`.
#[allow(dead_code)]
#[path = "../../examples/flowfabric_worker.rs"]
mod worker_example;
