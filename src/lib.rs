//! ff-backend-wasm: the FlowFabric durable-execution backend over SQLite, for WebAssembly.
//!
//! Three layers with one-way dependencies: [`engine`] (FlowFabric semantics, pure Rust) →
//! [`store`] (every SQL statement and the migrations) ; the wasm-bindgen facade in `js/`
//! only converts values and errors. [`model`], [`error`] and [`host`] are shared by all.
//! Everything but `js/` compiles and is tested natively with `cargo test`.

pub mod base64;
pub mod engine;
pub mod error;
pub mod host;
pub mod model;
pub mod store;

/// This engine as a FlowFabric `EngineBackend` (ff-core 0.15), for Rust users. Native only:
/// ff-core does not build for wasm32.
#[cfg(all(feature = "flowfabric", not(target_arch = "wasm32")))]
pub mod flowfabric;

/// `ff-graduate`: copies a database into FlowFabric's Postgres backend (native, `flowfabric`).
#[cfg(all(feature = "flowfabric", not(target_arch = "wasm32")))]
pub mod graduate;

/// The wasm-bindgen facade (wasm32 only).
#[cfg(target_arch = "wasm32")]
pub mod js;

pub use engine::Engine;
pub use error::{EngineError, ErrorCode, ErrorKind};
pub use host::{Host, ManualHost};
pub use store::Store;
