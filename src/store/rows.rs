//! Decoding rows into model records, one function per record type. Anything a crafted or
//! damaged file can put in a column (a wrong type, a negative count, an unknown literal, JSON
//! that does not parse) becomes `validation/corruption` naming the column, never a panic.

use crate::error::{EngineError, ErrorCode};
use crate::model::*;
use rusqlite::Row;
use serde_json::Value;

/// Carries an engine error through rusqlite's row-mapping error type.
fn wrap(e: EngineError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Null, Box::new(e))
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> rusqlite::Error {
    wrap(EngineError::new(ErrorCode::Corruption, format!("stored {what} is damaged: {detail}")))
}

pub fn execution_id(row: &Row, col: &str) -> rusqlite::Result<ExecutionId> {
    let bytes: Vec<u8> = row.get(col)?;
    let arr: [u8; 16] = bytes.try_into().map_err(|_| corrupt(col, "not 16 bytes"))?;
    Ok(ExecutionId::from_bytes(arr))
}

/// The bare uuid text the lease outbox stores.
fn execution_id_text(row: &Row, col: &str) -> rusqlite::Result<ExecutionId> {
    let text: String = row.get(col)?;
    ExecutionId::parse(&format!("{{fp:0}}:{text}")).map_err(|_| corrupt(col, "not a uuid"))
}

fn literal<T>(row: &Row, col: &str, parse: fn(&str) -> crate::error::Result<T>) -> rusqlite::Result<T> {
    let text: String = row.get(col)?;
    parse(&text).map_err(wrap)
}

fn opt_literal<T>(
    row: &Row,
    col: &str,
    parse: fn(&str) -> crate::error::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(col)?;
    text.map(|t| parse(&t).map_err(wrap)).transpose()
}

/// An integer column that must fit `T` (counts and indexes are never negative).
fn int<T: TryFrom<i64>>(row: &Row, col: &str) -> rusqlite::Result<T> {
    let v: i64 = row.get(col)?;
    T::try_from(v).map_err(|_| corrupt(col, format!("{v} is out of range")))
}

pub fn exec_row(row: &Row) -> rusqlite::Result<ExecRow> {
    let policy: Option<String> = row.get("policy")?;
    let retry_policy = policy
        .map(|p| serde_json::from_str::<RetryPolicy>(&p).map_err(|e| corrupt("retry policy", e)))
        .transpose()?;
    let raw: String = row.get("raw_fields")?;
    let raw_fields = match serde_json::from_str::<Value>(&raw) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(corrupt("raw_fields", "not a JSON object")),
        Err(e) => return Err(corrupt("raw_fields", e)),
    };
    Ok(ExecRow {
        id: execution_id(row, "execution_id")?,
        lane: row.get("lane_id")?,
        attempt_index: int(row, "attempt_index")?,
        phase: literal(row, "lifecycle_phase", LifecyclePhase::parse)?,
        ownership: literal(row, "ownership_state", Ownership::parse)?,
        eligibility: literal(row, "eligibility_state", Eligibility::parse)?,
        attempt_state: literal(row, "attempt_state", AttemptState::parse)?,
        public_state: literal(row, "public_state", PublicState::parse)?,
        terminal_outcome: opt_literal(row, "terminal_outcome", TerminalOutcome::parse)?,
        blocking_reason: row.get("blocking_reason")?,
        cancellation_reason: row.get("cancellation_reason")?,
        cancelled_by: row.get("cancelled_by")?,
        priority: row.get("priority")?,
        created_at_ms: row.get("created_at_ms")?,
        delay_until_ms: row.get("delay_until_ms")?,
        started_at_ms: row.get("started_at_ms")?,
        terminal_at_ms: row.get("terminal_at_ms")?,
        payload: row.get("payload")?,
        result: row.get("result")?,
        retry_policy,
        raw_fields,
        lease_reclaim_count: int(row, "lease_reclaim_count")?,
    })
}

/// An execution row of a `listExecutions` page, with its position (the rowid).
pub fn listed_exec_row(row: &Row) -> rusqlite::Result<(i64, ExecRow)> {
    Ok((row.get("list_cursor")?, exec_row(row)?))
}

pub fn attempt_row(row: &Row) -> rusqlite::Result<AttemptRow> {
    Ok(AttemptRow {
        execution_id: execution_id(row, "execution_id")?,
        attempt_index: int(row, "attempt_index")?,
        worker_id: row.get("worker_id")?,
        worker_instance_id: row.get("worker_instance_id")?,
        lease_epoch: int(row, "lease_epoch")?,
        lease_ttl_ms: row.get("lease_ttl_ms")?,
        lease_expires_at_ms: row.get("lease_expires_at_ms")?,
        started_at_ms: row.get("started_at_ms")?,
        terminal_at_ms: row.get("terminal_at_ms")?,
        outcome: opt_literal(row, "outcome", AttemptOutcome::parse)?,
    })
}

pub fn stream_meta(row: &Row) -> rusqlite::Result<StreamMeta> {
    let meta = StreamMeta {
        ema_rate_hz: row.get("ema_rate_hz")?,
        last_append_ts_ms: row.get("last_append_ts_ms")?,
        maxlen_applied_last: row.get("maxlen_applied_last")?,
        last_ts_ms: row.get("last_ts_ms")?,
        last_seq: row.get("last_seq")?,
        frame_count: int(row, "frame_count")?,
        best_effort_count: int(row, "best_effort_count")?,
        closed_at_ms: row.get("closed_at_ms")?,
        closed_reason: row.get("closed_reason")?,
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
