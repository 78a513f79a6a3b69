//! Operation inputs, already type-checked by the caller (the facade or a Rust user).
//! Range and shape rules are the engine's to enforce.

use super::PublicState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct CreateSpec {
    pub execution_id: Option<String>,
    pub lane: String,
    pub priority: i64,
    pub capabilities: Vec<String>,
    pub payload: Option<Vec<u8>>,
    pub namespace: String,
    pub kind: String,
    pub tags: BTreeMap<String, String>,
    pub delay_until_ms: Option<i64>,
    pub retry_policy: Option<RetryPolicy>,
}

impl Default for CreateSpec {
    fn default() -> Self {
        CreateSpec {
            execution_id: None,
            lane: "default".into(),
            priority: 0,
            capabilities: Vec::new(),
            payload: None,
            namespace: "default".into(),
            kind: "task".into(),
            tags: BTreeMap::new(),
            delay_until_ms: None,
            retry_policy: None,
        }
    }
}

/// Stored as JSON in `ff_exec_core.policy`, in the same camelCase shape the user passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub backoff: Backoff,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Backoff {
    #[serde(rename_all = "camelCase")]
    Fixed { delay_ms: u64 },
    #[serde(rename_all = "camelCase")]
    Exponential { initial_delay_ms: u64, max_delay_ms: u64, multiplier: f64 },
}

impl Default for RetryPolicy {
    /// docs/API.md decision 3: used when an execution was created without a policy.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            backoff: Backoff::Exponential { initial_delay_ms: 1000, max_delay_ms: 60_000, multiplier: 2.0 },
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimSpec {
    pub lane: String,
    pub capabilities: Vec<String>,
    pub worker_id: String,
    pub worker_instance_id: String,
    pub lease_ttl_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailClass {
    Transient,
    InfraCrash,
    Permanent,
    Timeout,
    Cancelled,
}

impl FailClass {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "transient" => FailClass::Transient,
            "infra_crash" => FailClass::InfraCrash,
            "permanent" => FailClass::Permanent,
            "timeout" => FailClass::Timeout,
            "cancelled" => FailClass::Cancelled,
            _ => return None,
        })
    }

    /// Only transient and infrastructure failures are worth another attempt.
    pub fn may_retry(self) -> bool {
        matches!(self, FailClass::Transient | FailClass::InfraCrash)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CancelTarget {
    /// A handle token: the lease holder cancels its own attempt.
    Handle(String),
    /// An execution id: an operator cancels whatever state the execution is in.
    Execution(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Stdout,
    Stderr,
    Event,
    Blob,
}

impl FrameKind {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "stdout" => FrameKind::Stdout,
            "stderr" => FrameKind::Stderr,
            "event" => FrameKind::Event,
            "blob" => FrameKind::Blob,
            _ => return None,
        })
    }

    pub fn default_frame_type(self) -> &'static str {
        match self {
            FrameKind::Stdout => "stdout",
            FrameKind::Stderr => "stderr",
            FrameKind::Event => "event",
            FrameKind::Blob => "blob",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AppendMode {
    Durable,
    /// The payload is a JSON merge patch for the attempt's summary document.
    Summary,
    BestEffort {
        ttl_ms: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FrameSpec {
    pub payload: Vec<u8>,
    pub kind: FrameKind,
    pub frame_type: Option<String>,
    pub correlation_id: Option<String>,
    pub mode: AppendMode,
}

impl FrameSpec {
    pub fn durable(payload: impl Into<Vec<u8>>) -> Self {
        FrameSpec {
            payload: payload.into(),
            kind: FrameKind::Stdout,
            frame_type: None,
            correlation_id: None,
            mode: AppendMode::Durable,
        }
    }

    pub fn with_mode(mut self, mode: AppendMode) -> Self {
        self.mode = mode;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    All,
    ExcludeBestEffort,
}

impl Visibility {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "all" => Some(Visibility::All),
            "exclude_best_effort" => Some(Visibility::ExcludeBestEffort),
            _ => None,
        }
    }
}

/// `readStream` options; cursors are the strings of docs/API.md, parsed by the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSpec {
    pub from: String,
    pub to: String,
    pub limit: i64,
}

impl Default for ReadSpec {
    fn default() -> Self {
        ReadSpec { from: "start".into(), to: "end".into(), limit: 100 }
    }
}

/// `tailStream` / `tail` options.
#[derive(Debug, Clone, PartialEq)]
pub struct TailSpec {
    pub after: String,
    pub block_ms: i64,
    pub limit: i64,
    pub visibility: Visibility,
}

impl TailSpec {
    pub fn after(after: &str) -> Self {
        TailSpec { after: after.into(), block_ms: 0, limit: 100, visibility: Visibility::All }
    }
}

/// `listExecutions` options.
#[derive(Debug, Clone, PartialEq)]
pub struct ListSpec {
    pub lane: Option<String>,
    pub public_state: Option<PublicState>,
    /// The `nextCursor` of the previous page.
    pub after: Option<String>,
    pub limit: i64,
}

impl Default for ListSpec {
    fn default() -> Self {
        ListSpec { lane: None, public_state: None, after: None, limit: 100 }
    }
}

/// `completions()` options. `after`: absent = from now, `"0"` = from the beginning, else the
/// `cursor` of an event already seen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompletionsSpec {
    pub after: Option<String>,
    pub lane: Option<String>,
    pub namespace: Option<String>,
}

/// `leaseHistory()` options; `after` as for [`CompletionsSpec`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeaseHistorySpec {
    pub after: Option<String>,
    pub execution_id: Option<String>,
}
