//! What operations return. These records are the public result shapes: serde gives them their
//! camelCase JSON/JS form (the facade serializes them with serde-wasm-bindgen) and, on wasm32,
//! tsify derives their TypeScript declarations from the same definitions. docs/API.md describes
//! each one.

use super::{FrameMode, LeaseEventKind, LifecyclePhase, PublicState, TerminalOutcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Declares a public result record: serde's camelCase form, plus its TypeScript declaration on
/// wasm32 (absent values as `null` and maps as plain objects, which is how the facade's
/// serializer writes them). One place, so every record gets both.
macro_rules! record {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
        #[serde(rename_all = "camelCase")]
        pub struct $name { $($body)* }
    };
}

record! {
    /// `getExecution` (and each entry of `listExecutions`).
    pub struct ExecutionInfo {
        pub execution_id: String,
        pub lane: String,
        pub namespace: String,
        pub kind: String,
        pub priority: i64,
        pub attempt_index: u32,
        pub lifecycle_phase: LifecyclePhase,
        pub public_state: PublicState,
        pub terminal_outcome: Option<TerminalOutcome>,
        pub created_at_ms: i64,
        pub started_at_ms: Option<i64>,
        pub terminal_at_ms: Option<i64>,
        /// When a delayed execution (or a retry in backoff) becomes claimable.
        pub delay_until_ms: Option<i64>,
        pub progress: Progress,
        #[serde(with = "serde_bytes")]
        #[cfg_attr(target_arch = "wasm32", tsify(type = "Uint8Array | null"))]
        pub payload: Option<Vec<u8>>,
        #[serde(with = "serde_bytes")]
        #[cfg_attr(target_arch = "wasm32", tsify(type = "Uint8Array | null"))]
        pub result: Option<Vec<u8>>,
        pub last_failure: Option<String>,
        pub lease_reclaim_count: u32,
        pub tags: BTreeMap<String, String>,
    }
}

record! {
    /// The last progress a worker reported; absent fields were never set.
    #[derive(Default)]
    pub struct Progress {
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(target_arch = "wasm32", tsify(optional))]
        pub percent: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(target_arch = "wasm32", tsify(optional))]
        pub message: Option<String>,
    }
}

record! {
    /// `listExecutions`: one page, oldest first.
    pub struct ExecutionPage {
        pub executions: Vec<ExecutionInfo>,
        /// Pass as `after` for the next page; `null` on the last page.
        pub next_cursor: Option<String>,
    }
}

record! {
    /// `createExecution`.
    pub struct Created {
        pub execution_id: String,
        /// `false` when an execution with this id already existed (nothing was changed).
        pub created: bool,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum HandleKind {
    Fresh,
    Reclaimed,
}

record! {
    /// A claimed lease. Only `token` is trusted when it comes back; the rest is for the caller.
    pub struct Handle {
        pub execution_id: String,
        pub attempt_index: u32,
        pub lease_epoch: u64,
        pub kind: HandleKind,
        pub token: String,
    }
}

record! {
    /// `renew`.
    #[derive(Copy, Eq)]
    pub struct Renewal {
        pub lease_epoch: u64,
        pub expires_at_ms: i64,
    }
}

/// `fail`: another attempt was scheduled, or the execution failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FailOutcome {
    #[serde(rename_all = "camelCase")]
    RetryScheduled {
        delay_until_ms: i64,
        next_attempt_index: u32,
    },
    TerminalFailed,
}

record! {
    /// `appendFrame`.
    #[derive(Eq)]
    pub struct AppendResult {
        /// The new frame's id, `"<ms>-<seq>"`.
        pub id: String,
        /// Frames the stream holds now (best-effort trims and expiry included).
        pub frame_count: u64,
        /// The summary's version after a summary append; `null` for other modes.
        pub summary_version: Option<u64>,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Base64,
}

/// A frame's `fields`: the object stored in `ff_stream_frame.fields` and the one readers get,
/// so the frame shape is written down once. Keys are in sorted order, as the reference stores
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct FrameFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub correlation_id: Option<String>,
    pub encoding: Encoding,
    pub frame_type: String,
    /// UTF-8 text, or standard base64 of bytes that are not UTF-8 (`encoding: "base64"`).
    pub payload: String,
    /// Who wrote the frame: always `"worker"` here.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "\"worker\""))]
    pub source: String,
}

/// One stored frame as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Frame {
    /// `"<ts_ms>-<seq>"`.
    pub id: String,
    pub mode: FrameMode,
    pub fields: FrameFields,
    /// The id's parts, for cursors; not part of the public shape.
    #[serde(skip)]
    pub ts_ms: i64,
    #[serde(skip)]
    pub seq: i64,
}

record! {
    /// `readStream` and `tailStream`: frames plus the stream's close markers.
    #[derive(Eq, Default)]
    pub struct StreamFrames {
        pub frames: Vec<Frame>,
        pub closed_at_ms: Option<i64>,
        pub closed_reason: Option<String>,
    }
}

record! {
    /// `readSummary`: the merged document of an attempt's summary frames.
    pub struct Summary {
        #[cfg_attr(target_arch = "wasm32", tsify(type = "JsonValue"))]
        pub document: Value,
        /// How many patches were applied.
        pub version: u64,
        pub first_applied_ms: i64,
        pub last_updated_ms: i64,
    }
}

record! {
    /// One row of the completion outbox, as `completions()` yields it.
    pub struct CompletionEvent {
        /// Opaque; pass as `after` to resume strictly after this event.
        pub cursor: String,
        pub execution_id: String,
        pub lane: String,
        pub namespace: String,
        pub outcome: TerminalOutcome,
        pub at_ms: i64,
    }
}

record! {
    /// One row of the lease outbox, as `leaseHistory()` yields it.
    pub struct LeaseEvent {
        pub cursor: String,
        pub execution_id: String,
        pub attempt_index: u32,
        pub lease_epoch: u64,
        pub event: LeaseEventKind,
        pub at_ms: i64,
    }
}
