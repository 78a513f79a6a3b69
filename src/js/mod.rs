//! The wasm-bindgen facade: converts JS values to engine inputs and engine results and errors
//! back to JS. No FlowFabric rules live here.

pub mod backend;
mod convert;
mod error;
pub mod follower;
mod group;
mod host;
mod open;
mod output;
mod reflect;
mod requests;
mod timer;
mod types;
