//! Operation results and the stored rows the engine reasons about.

use super::{
    AttemptOutcome, AttemptState, Eligibility, ExecutionId, FrameMode, LifecyclePhase, Ownership,
    PublicState, RetryPolicy, TerminalOutcome,
};
use serde_json::{Map, Value};

/// One `ff_exec_core` row.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecRow {
    pub id: ExecutionId,
    pub lane: String,
    pub attempt_index: u32,
    pub phase: LifecyclePhase,
    pub ownership: Ownership,
    pub eligibility: Eligibility,
    pub attempt_state: AttemptState,
    pub public_state: PublicState,
    pub terminal_outcome: Option<TerminalOutcome>,
    pub blocking_reason: Option<String>,
    pub cancellation_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub priority: i64,
    pub created_at_ms: i64,
    pub delay_until_ms: Option<i64>,
    pub started_at_ms: Option<i64>,
    pub terminal_at_ms: Option<i64>,
    pub payload: Option<Vec<u8>>,
    pub result: Option<Vec<u8>>,
    pub retry_policy: Option<RetryPolicy>,
    pub raw_fields: Map<String, Value>,
    pub lease_reclaim_count: u32,
}

impl ExecRow {
    pub fn raw_str(&self, key: &str) -> Option<&str> {
        self.raw_fields.get(key).and_then(Value::as_str)
    }
}

/// One `ff_attempt` row: an attempt and the lease on it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub execution_id: ExecutionId,
    pub attempt_index: u32,
    pub worker_id: Option<String>,
    pub worker_instance_id: Option<String>,
    pub lease_epoch: u64,
    pub lease_ttl_ms: i64,
    pub lease_expires_at_ms: Option<i64>,
    pub started_at_ms: Option<i64>,
    pub terminal_at_ms: Option<i64>,
    pub outcome: Option<AttemptOutcome>,
}

/// What `getExecution` returns.
#[derive(Debug, Clone, PartialEq)]
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
    pub progress_percent: Option<f64>,
    pub progress_message: Option<String>,
    pub payload: Option<Vec<u8>>,
    pub result: Option<Vec<u8>>,
    pub last_failure: Option<String>,
    pub lease_reclaim_count: u32,
    pub tags: Vec<(String, String)>,
    pub delay_until_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub execution_id: String,
    pub created: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleKind {
    Fresh,
    Reclaimed,
}

impl HandleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HandleKind::Fresh => "fresh",
            HandleKind::Reclaimed => "reclaimed",
        }
    }
}

/// A claimed lease. Only `token` is trusted when it comes back; the rest is for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    pub execution_id: String,
    pub attempt_index: u32,
    pub lease_epoch: u64,
    pub kind: HandleKind,
    pub token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renewal {
    pub lease_epoch: u64,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    RetryScheduled { delay_until_ms: i64, next_attempt_index: u32 },
    TerminalFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub id: String,
    pub frame_count: u64,
    pub summary_version: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Base64,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf8",
            Encoding::Base64 => "base64",
        }
    }
}

/// One stored frame as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// `"<ts_ms>-<seq>"`.
    pub id: String,
    pub ts_ms: i64,
    pub seq: i64,
    pub mode: FrameMode,
    pub frame_type: String,
    pub payload: String,
    pub encoding: Encoding,
    pub correlation_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamFrames {
    pub frames: Vec<Frame>,
    pub closed_at_ms: Option<i64>,
    pub closed_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub document: Value,
    pub version: u64,
    pub first_applied_ms: i64,
    pub last_updated_ms: i64,
}

/// One `ff_stream_meta` row: per-stream bookkeeping.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamMeta {
    pub ema_rate_hz: f64,
    pub last_append_ts_ms: i64,
    pub maxlen_applied_last: i64,
    /// Id of the newest frame ever appended: the next id must sort after it.
    pub last_ts_ms: i64,
    pub last_seq: i64,
    /// Frames currently retained.
    pub frame_count: u64,
    /// The stream has held a durable or summary frame, so best-effort frames do not expire by age.
    pub has_durable: bool,
    pub closed_at_ms: Option<i64>,
    pub closed_reason: Option<String>,
}

/// A frame as stored, before the engine assigns anything.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFrameRow {
    pub ts_ms: i64,
    pub seq: i64,
    pub fields_json: String,
    pub mode: FrameMode,
    pub expires_at_ms: Option<i64>,
}
