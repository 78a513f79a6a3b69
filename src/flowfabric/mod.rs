//! This engine as a FlowFabric backend for Rust: [`WasmBackend`] implements ff-core 0.15's
//! `EngineBackend` over the same [`Engine`](crate::Engine) the JS package wraps.
//!
//! Native only (the `flowfabric` feature): ff-core 0.15 does not build for wasm32 (its tokio
//! `net` feature pulls in mio), so the wasm32 build never sees this module.
//!
//! The engine is single-threaded; the trait wants `Send + Sync` backends and `Send` futures.
//! So the engine runs on a thread of its own ([`actor`]) and each trait method sends it a job:
//! convert the arguments, call the engine, convert the result, exactly as the JS facade does.
//! Waits (tails with `block_ms`, subscriptions) are tasks on that thread, woken by the
//! engine's notifier after a commit, never by polling. docs/API.md, "Rust: the FlowFabric
//! EngineBackend", lists what each method maps to and where it differs from the reference.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ff_core::engine_error::EngineError> {
//! use ff_core::engine_backend::EngineBackend;
//! let backend: std::sync::Arc<dyn EngineBackend> =
//!     ff_backend_wasm::flowfabric::WasmBackend::open_in_memory().await?;
//! assert_eq!(backend.backend_label(), "wasm");
//! # Ok(()) }
//! ```

// Results carry ff-core's `EngineError` (about 200 bytes): the trait fixes that type, so
// boxing it here would only add a conversion at every method.
#![allow(clippy::result_large_err)]

mod actor;
mod backend;
mod convert;
mod errors;
mod executions;
mod host;
mod leases;
mod state;
mod subscribe;

pub use errors::LABEL;
pub use host::{ManualClock, SystemHost};

use crate::host::Host;
use crate::store::StorageSpec;
use actor::Actor;
use errors::{to_ff, FfResult};
use std::path::Path;
use std::sync::Arc;

/// A FlowFabric `EngineBackend` over this crate's engine, on an in-memory database or a
/// SQLite file. Dropping the last `Arc` stops the engine thread and closes the database
/// (open subscriptions then end with `StreamDisconnected`).
pub struct WasmBackend {
    actor: Actor,
    storage: &'static str,
}

impl WasmBackend {
    /// A fresh private in-memory database on the system clock.
    pub async fn open_in_memory() -> FfResult<Arc<WasmBackend>> {
        Self::open_with(StorageSpec::Memory { image: None }, SystemHost).await
    }

    /// The SQLite file at `path` (created if missing) on the system clock. It has the schema of
    /// every other storage, so its bytes are also an image for the JS package's
    /// `open({ image })`, and an image exported there can be written to a file and opened here.
    pub async fn open_file(path: impl AsRef<Path>) -> FfResult<Arc<WasmBackend>> {
        Self::open_with(StorageSpec::File { path: path.as_ref().to_path_buf() }, SystemHost).await
    }

    /// Any storage, with the clock and random bytes of `host` (a [`ManualClock`] in tests).
    pub async fn open_with(
        spec: StorageSpec,
        host: impl Host + Send + 'static,
    ) -> FfResult<Arc<WasmBackend>> {
        let (actor, storage) = Actor::start(spec, Box::new(host)).await.map_err(to_ff)?;
        Ok(Arc::new(WasmBackend { actor, storage }))
    }

    /// Where the database lives: `"memory"` or `"file"`.
    pub fn storage(&self) -> &'static str {
        self.storage
    }

    /// The whole database as a standard SQLite file (what the JS package's `open({ image })`
    /// takes).
    pub async fn export_image(&self) -> FfResult<Vec<u8>> {
        self.actor.run(|engine| engine.export_image().map_err(to_ff)).await
    }

    /// Tails and subscriptions waiting right now (0 when none is): for leak checks.
    pub async fn waiter_count(&self) -> FfResult<usize> {
        self.actor.run(|engine| Ok(engine.waiter_count())).await
    }
}

impl std::fmt::Debug for WasmBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmBackend").field("storage", &self.storage).finish_non_exhaustive()
    }
}
