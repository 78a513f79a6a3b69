//! Decoding rows into model records, one function per record type. Anything a crafted or
//! damaged file can put in a column (a wrong type, a negative count, an unknown literal, JSON
//! that does not parse) becomes `validation/corruption` naming the column, never a panic.

use super::sql::{ATTEMPT_COLUMNS, EXEC_COLUMNS, EXEC_STATE_COLUMNS, STREAM_META_COLUMNS};
use crate::error::{EngineError, ErrorCode};
use crate::model::*;
use rusqlite::types::ValueRef;
use rusqlite::{Row, RowIndex};
use serde_json::Value;

/// A column of a row: what rusqlite reads it by, and its name for messages. The hot rows are
/// read by position ([`Col`]): reading by name asks SQLite for every column's name, which was
/// a tenth of an append's time.
pub trait Column: Copy {
    type Index: RowIndex;
    fn index(self) -> Self::Index;
    fn name(self) -> &'static str;
}

impl Column for &'static str {
    type Index = &'static str;
    fn index(self) -> &'static str {
        self
    }
    fn name(self) -> &'static str {
        self
    }
}

/// A column by position in one of sql.rs's column lists.
#[derive(Clone, Copy)]
pub struct Col(usize, &'static str);

impl Col {
    /// The same column in a row where its list's columns start at position `at` (a join).
    fn offset(self, at: usize) -> Col {
        Col(self.0 + at, self.1)
    }
}

impl Column for Col {
    type Index = usize;
    fn index(self) -> usize {
        self.0
    }
    fn name(self) -> &'static str {
        self.1
    }
}

/// `name`'s position in the comma-separated column list `list`, when the crate compiles: a
/// name missing from the list fails the build, so the lists and the decoders cannot drift.
const fn col(list: &str, name: &'static str) -> Col {
    let (l, n) = (list.as_bytes(), name.as_bytes());
    let (mut i, mut index) = (0, 0);
    loop {
        while i < l.len() && l[i] == b' ' {
            i += 1;
        }
        let start = i;
        while i < l.len() && l[i] != b',' && l[i] != b' ' {
            i += 1;
        }
        if i - start == n.len() {
            let mut k = 0;
            while k < n.len() && l[start + k] == n[k] {
                k += 1;
            }
            if k == n.len() {
                return Col(index, name);
            }
        }
        while i < l.len() && l[i] == b' ' {
            i += 1;
        }
        assert!(i < l.len(), "a decoded column is missing from its column list");
        i += 1; // the comma
        index += 1;
    }
}

/// How many columns a list has (a query's next column is at this position).
const fn count(list: &str) -> usize {
    let (l, mut i, mut commas) = (list.as_bytes(), 0, 0);
    while i < l.len() {
        if l[i] == b',' {
            commas += 1;
        }
        i += 1;
    }
    commas + 1
}

/// Carries an engine error through rusqlite's row-mapping error type.
fn wrap(e: EngineError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Null, Box::new(e))
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> rusqlite::Error {
    wrap(EngineError::new(ErrorCode::Corruption, format!("stored {what} is damaged: {detail}")))
}

pub fn execution_id(row: &Row, col: impl Column) -> rusqlite::Result<ExecutionId> {
    let bytes: Vec<u8> = row.get(col.index())?;
    let arr: [u8; 16] = bytes.try_into().map_err(|_| corrupt(col.name(), "not 16 bytes"))?;
    Ok(ExecutionId::from_bytes(arr))
}

/// The bare uuid text the lease outbox stores.
fn execution_id_text(row: &Row, col: &str) -> rusqlite::Result<ExecutionId> {
    let text: String = row.get(col)?;
    ExecutionId::parse(&format!("{{fp:0}}:{text}")).map_err(|_| corrupt(col, "not a uuid"))
}

fn literal<T>(
    row: &Row,
    col: impl Column,
    parse: fn(&str) -> crate::error::Result<T>,
) -> rusqlite::Result<T> {
    let text: String = row.get(col.index())?;
    parse(&text).map_err(wrap)
}

fn opt_literal<T>(
    row: &Row,
    col: impl Column,
    parse: fn(&str) -> crate::error::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(col.index())?;
    text.map(|t| parse(&t).map_err(wrap)).transpose()
}

/// An integer column that must fit `T` (counts and indexes are never negative).
fn int<T: TryFrom<i64>>(row: &Row, col: impl Column) -> rusqlite::Result<T> {
    let v: i64 = row.get(col.index())?;
    T::try_from(v).map_err(|_| corrupt(col.name(), format!("{v} is out of range")))
}

/// Positions of [`EXEC_COLUMNS`].
mod e {
    use super::{col, Col, EXEC_COLUMNS};
    pub const EXECUTION_ID: Col = col(EXEC_COLUMNS, "execution_id");
    pub const LANE_ID: Col = col(EXEC_COLUMNS, "lane_id");
    pub const ATTEMPT_INDEX: Col = col(EXEC_COLUMNS, "attempt_index");
    pub const LIFECYCLE_PHASE: Col = col(EXEC_COLUMNS, "lifecycle_phase");
    pub const OWNERSHIP_STATE: Col = col(EXEC_COLUMNS, "ownership_state");
    pub const ELIGIBILITY_STATE: Col = col(EXEC_COLUMNS, "eligibility_state");
    pub const ATTEMPT_STATE: Col = col(EXEC_COLUMNS, "attempt_state");
    pub const PUBLIC_STATE: Col = col(EXEC_COLUMNS, "public_state");
    pub const TERMINAL_OUTCOME: Col = col(EXEC_COLUMNS, "terminal_outcome");
    pub const BLOCKING_REASON: Col = col(EXEC_COLUMNS, "blocking_reason");
    pub const CANCELLATION_REASON: Col = col(EXEC_COLUMNS, "cancellation_reason");
    pub const CANCELLED_BY: Col = col(EXEC_COLUMNS, "cancelled_by");
    pub const PRIORITY: Col = col(EXEC_COLUMNS, "priority");
    pub const CREATED_AT_MS: Col = col(EXEC_COLUMNS, "created_at_ms");
    pub const DELAY_UNTIL_MS: Col = col(EXEC_COLUMNS, "delay_until_ms");
    pub const STARTED_AT_MS: Col = col(EXEC_COLUMNS, "started_at_ms");
    pub const TERMINAL_AT_MS: Col = col(EXEC_COLUMNS, "terminal_at_ms");
    pub const PAYLOAD: Col = col(EXEC_COLUMNS, "payload");
    pub const RESULT: Col = col(EXEC_COLUMNS, "result");
    pub const POLICY: Col = col(EXEC_COLUMNS, "policy");
    pub const RAW_FIELDS: Col = col(EXEC_COLUMNS, "raw_fields");
    pub const LEASE_RECLAIM_COUNT: Col = col(EXEC_COLUMNS, "lease_reclaim_count");
}
use e as E;

pub fn exec_row(row: &Row) -> rusqlite::Result<ExecRow> {
    let policy: Option<String> = row.get(E::POLICY.index())?;
    let retry_policy = policy
        .map(|p| serde_json::from_str::<RetryPolicy>(&p).map_err(|e| corrupt("retry policy", e)))
        .transpose()?;
    let raw: String = row.get(E::RAW_FIELDS.index())?;
    let raw_fields = match serde_json::from_str::<Value>(&raw) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(corrupt("raw_fields", "not a JSON object")),
        Err(e) => return Err(corrupt("raw_fields", e)),
    };
    Ok(ExecRow {
        id: execution_id(row, E::EXECUTION_ID)?,
        lane: row.get(E::LANE_ID.index())?,
        attempt_index: int(row, E::ATTEMPT_INDEX)?,
        phase: literal(row, E::LIFECYCLE_PHASE, LifecyclePhase::parse)?,
        ownership: literal(row, E::OWNERSHIP_STATE, Ownership::parse)?,
        eligibility: literal(row, E::ELIGIBILITY_STATE, Eligibility::parse)?,
        attempt_state: literal(row, E::ATTEMPT_STATE, AttemptState::parse)?,
        public_state: literal(row, E::PUBLIC_STATE, PublicState::parse)?,
        terminal_outcome: opt_literal(row, E::TERMINAL_OUTCOME, TerminalOutcome::parse)?,
        blocking_reason: row.get(E::BLOCKING_REASON.index())?,
        cancellation_reason: row.get(E::CANCELLATION_REASON.index())?,
        cancelled_by: row.get(E::CANCELLED_BY.index())?,
        priority: row.get(E::PRIORITY.index())?,
        created_at_ms: row.get(E::CREATED_AT_MS.index())?,
        delay_until_ms: row.get(E::DELAY_UNTIL_MS.index())?,
        started_at_ms: row.get(E::STARTED_AT_MS.index())?,
        terminal_at_ms: row.get(E::TERMINAL_AT_MS.index())?,
        payload: row.get(E::PAYLOAD.index())?,
        result: row.get(E::RESULT.index())?,
        retry_policy,
        raw_fields,
        lease_reclaim_count: int(row, E::LEASE_RECLAIM_COUNT)?,
    })
}

/// Positions of [`EXEC_STATE_COLUMNS`].
mod state {
    use super::{col, Col, EXEC_STATE_COLUMNS};
    pub const LIFECYCLE_PHASE: Col = col(EXEC_STATE_COLUMNS, "lifecycle_phase");
    pub const ATTEMPT_INDEX: Col = col(EXEC_STATE_COLUMNS, "attempt_index");
    pub const PUBLIC_STATE: Col = col(EXEC_STATE_COLUMNS, "public_state");
}

/// An attempt row, then its execution's state columns, then its stream's bookkeeping
/// (`SELECT_FENCE`); the state is `None` when the join found no execution row, the bookkeeping
/// when the stream has none yet.
pub fn fence_row(row: &Row) -> rusqlite::Result<FenceRow> {
    // Where the state and the bookkeeping columns start, computed when the crate compiles.
    const STATE_AT: usize = count(ATTEMPT_COLUMNS);
    const STREAM_AT: usize = STATE_AT + count(EXEC_STATE_COLUMNS);
    let attempt = attempt_row(row)?;
    let state = if row.get_ref(state::LIFECYCLE_PHASE.offset(STATE_AT).0)? == ValueRef::Null {
        None
    } else {
        Some(ExecState {
            phase: literal(row, state::LIFECYCLE_PHASE.offset(STATE_AT), LifecyclePhase::parse)?,
            attempt_index: int(row, state::ATTEMPT_INDEX.offset(STATE_AT))?,
            public_state: literal(row, state::PUBLIC_STATE.offset(STATE_AT), PublicState::parse)?,
        })
    };
    // frame_count is NOT NULL in a bookkeeping row: NULL here means the join found none.
    let stream = if row.get_ref(M::FRAME_COUNT.offset(STREAM_AT).0)? == ValueRef::Null {
        None
    } else {
        Some(stream_meta_at(row, STREAM_AT)?)
    };
    Ok(FenceRow { attempt, state, stream })
}

/// An execution row of a `listExecutions` page, with its position (the rowid).
pub fn listed_exec_row(row: &Row) -> rusqlite::Result<(i64, ExecRow)> {
    Ok((row.get(count(EXEC_COLUMNS))?, exec_row(row)?))
}

/// Positions of [`ATTEMPT_COLUMNS`].
mod a {
    use super::{col, Col, ATTEMPT_COLUMNS};
    pub const EXECUTION_ID: Col = col(ATTEMPT_COLUMNS, "execution_id");
    pub const ATTEMPT_INDEX: Col = col(ATTEMPT_COLUMNS, "attempt_index");
    pub const WORKER_ID: Col = col(ATTEMPT_COLUMNS, "worker_id");
    pub const WORKER_INSTANCE_ID: Col = col(ATTEMPT_COLUMNS, "worker_instance_id");
    pub const LEASE_EPOCH: Col = col(ATTEMPT_COLUMNS, "lease_epoch");
    pub const LEASE_TTL_MS: Col = col(ATTEMPT_COLUMNS, "lease_ttl_ms");
    pub const LEASE_EXPIRES_AT_MS: Col = col(ATTEMPT_COLUMNS, "lease_expires_at_ms");
    pub const STARTED_AT_MS: Col = col(ATTEMPT_COLUMNS, "started_at_ms");
    pub const TERMINAL_AT_MS: Col = col(ATTEMPT_COLUMNS, "terminal_at_ms");
    pub const OUTCOME: Col = col(ATTEMPT_COLUMNS, "outcome");
}
use a as A;

pub fn attempt_row(row: &Row) -> rusqlite::Result<AttemptRow> {
    Ok(AttemptRow {
        execution_id: execution_id(row, A::EXECUTION_ID)?,
        attempt_index: int(row, A::ATTEMPT_INDEX)?,
        worker_id: row.get(A::WORKER_ID.index())?,
        worker_instance_id: row.get(A::WORKER_INSTANCE_ID.index())?,
        lease_epoch: int(row, A::LEASE_EPOCH)?,
        lease_ttl_ms: row.get(A::LEASE_TTL_MS.index())?,
        lease_expires_at_ms: row.get(A::LEASE_EXPIRES_AT_MS.index())?,
        started_at_ms: row.get(A::STARTED_AT_MS.index())?,
        terminal_at_ms: row.get(A::TERMINAL_AT_MS.index())?,
        outcome: opt_literal(row, A::OUTCOME, AttemptOutcome::parse)?,
    })
}

/// Positions of [`STREAM_META_COLUMNS`].
mod m {
    use super::{col, Col, STREAM_META_COLUMNS};
    pub const EMA_RATE_HZ: Col = col(STREAM_META_COLUMNS, "ema_rate_hz");
    pub const LAST_APPEND_TS_MS: Col = col(STREAM_META_COLUMNS, "last_append_ts_ms");
    pub const MAXLEN_APPLIED_LAST: Col = col(STREAM_META_COLUMNS, "maxlen_applied_last");
    pub const LAST_TS_MS: Col = col(STREAM_META_COLUMNS, "last_ts_ms");
    pub const LAST_SEQ: Col = col(STREAM_META_COLUMNS, "last_seq");
    pub const FRAME_COUNT: Col = col(STREAM_META_COLUMNS, "frame_count");
    pub const BEST_EFFORT_COUNT: Col = col(STREAM_META_COLUMNS, "best_effort_count");
    pub const CLOSED_AT_MS: Col = col(STREAM_META_COLUMNS, "closed_at_ms");
    pub const CLOSED_REASON: Col = col(STREAM_META_COLUMNS, "closed_reason");
}
use m as M;

pub fn stream_meta(row: &Row) -> rusqlite::Result<StreamMeta> {
    stream_meta_at(row, 0)
}

/// A stream's bookkeeping from the row's columns starting at `at`.
fn stream_meta_at(row: &Row, at: usize) -> rusqlite::Result<StreamMeta> {
    let meta = StreamMeta {
        ema_rate_hz: row.get(M::EMA_RATE_HZ.offset(at).0)?,
        last_append_ts_ms: row.get(M::LAST_APPEND_TS_MS.offset(at).0)?,
        maxlen_applied_last: row.get(M::MAXLEN_APPLIED_LAST.offset(at).0)?,
        last_ts_ms: row.get(M::LAST_TS_MS.offset(at).0)?,
        last_seq: row.get(M::LAST_SEQ.offset(at).0)?,
        frame_count: int(row, M::FRAME_COUNT.offset(at))?,
        best_effort_count: int(row, M::BEST_EFFORT_COUNT.offset(at))?,
        closed_at_ms: row.get(M::CLOSED_AT_MS.offset(at).0)?,
        closed_reason: row.get(M::CLOSED_REASON.offset(at).0)?,
    };
    if meta.last_ts_ms < 0 || meta.last_seq < -1 || meta.best_effort_count > meta.frame_count {
        return Err(corrupt("stream bookkeeping", format!("{meta:?}")));
    }
    Ok(meta)
}

/// A frame row (`ts_ms, seq, fields, mode`). Read by position: this is the hot read path.
pub fn frame(row: &Row) -> rusqlite::Result<Frame> {
    let ts_ms: i64 = row.get(0)?;
    let seq: i64 = row.get(1)?;
    if ts_ms < 0 || seq < 0 {
        return Err(corrupt("frame id", format!("{ts_ms}-{seq} is negative")));
    }
    let text: String = row.get(2)?;
    let fields: FrameFields = serde_json::from_str(&text).map_err(|e| corrupt("frame fields", e))?;
    let mode = FrameMode::parse(&row.get::<_, String>(3)?).map_err(wrap)?;
    Ok(Frame { id: format!("{ts_ms}-{seq}"), mode, fields, ts_ms, seq })
}

pub fn summary(row: &Row) -> rusqlite::Result<Summary> {
    let text: String = row.get("document_json")?;
    Ok(Summary {
        document: serde_json::from_str(&text).map_err(|e| corrupt("summary document", e))?,
        version: int(row, "version")?,
        first_applied_ms: row.get("first_applied_ms")?,
        last_updated_ms: row.get("last_updated_ms")?,
    })
}

/// A completion outbox row with its event id.
pub fn completion_event(row: &Row) -> rusqlite::Result<(i64, CompletionEvent)> {
    let id: i64 = row.get("event_id")?;
    Ok((
        id,
        CompletionEvent {
            cursor: id.to_string(),
            execution_id: execution_id(row, "execution_id")?.to_string(),
            lane: row.get("lane_id")?,
            namespace: row.get("namespace")?,
            outcome: literal(row, "outcome", TerminalOutcome::parse)?,
            at_ms: row.get("occurred_at_ms")?,
        },
    ))
}

/// A lease outbox row with its event id.
pub fn lease_event(row: &Row) -> rusqlite::Result<(i64, LeaseEvent)> {
    let id: i64 = row.get("event_id")?;
    // Rows written before migration 0004 carry no attempt or epoch.
    let attempt: Option<i64> = row.get("attempt_index")?;
    let epoch: Option<i64> = row.get("lease_epoch")?;
    let in_range = |col: &str, v: Option<i64>| match v {
        None => Ok(0),
        Some(n) if n >= 0 => Ok(n),
        Some(n) => Err(corrupt(col, format!("{n} is negative"))),
    };
    Ok((
        id,
        LeaseEvent {
            cursor: id.to_string(),
            execution_id: execution_id_text(row, "execution_id")?.to_string(),
            attempt_index: u32::try_from(in_range("attempt_index", attempt)?)
                .map_err(|_| corrupt("attempt_index", "out of range"))?,
            lease_epoch: in_range("lease_epoch", epoch)? as u64,
            event: literal(row, "event_type", LeaseEventKind::parse)?,
            at_ms: row.get("occurred_at_ms")?,
        },
    ))
}

pub fn raw_fields_json(map: &serde_json::Map<String, Value>) -> String {
    // Serializing a map of JSON values cannot fail.
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}
