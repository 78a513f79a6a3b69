//! The stored rows the engine reasons about (never shown to users as they are).

use super::{
    AttemptOutcome, AttemptState, Eligibility, ExecutionId, FrameMode, LifecyclePhase, Ownership,
    PublicState, RetryPolicy, TerminalOutcome,
};
use serde_json::{Map, Value};

/// The state of an execution that the fence reads (a part of [`ExecRow`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExecState {
    pub phase: LifecyclePhase,
    pub attempt_index: u32,
    pub public_state: PublicState,
}

/// What the fence reads in one statement: the attempt, its execution's state (`None` when the
/// execution row is missing) and its stream's bookkeeping (`None` before the first frame).
#[derive(Debug, Clone, PartialEq)]
pub struct FenceRow {
    pub attempt: AttemptRow,
    pub state: Option<ExecState>,
    pub stream: Option<StreamMeta>,
}

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

/// One `ff_stream_meta` row: per-stream bookkeeping.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamMeta {
    pub ema_rate_hz: f64,
    pub last_append_ts_ms: i64,
    pub maxlen_applied_last: i64,
    /// Id of the newest frame ever appended: the next id must sort after it.
    pub last_ts_ms: i64,
    pub last_seq: i64,
    /// Frames currently retained, of every mode.
    pub frame_count: u64,
    /// Best-effort frames among them: the only frames trimming and expiry remove (decision 7).
    pub best_effort_count: u64,
    pub closed_at_ms: Option<i64>,
    pub closed_reason: Option<String>,
}

impl StreamMeta {
    /// `gone` best-effort frames were deleted (trimmed or expired).
    pub fn forget_best_effort(&mut self, gone: u64) {
        self.best_effort_count = self.best_effort_count.saturating_sub(gone);
        self.frame_count = self.frame_count.saturating_sub(gone);
    }
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
