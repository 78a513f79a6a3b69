//! Decoding rows into model records, one function per record type.

use crate::error::{EngineError, ErrorCode};
use crate::model::*;
use rusqlite::Row;
use serde_json::{Map, Value};

/// Carries an engine error through rusqlite's row-mapping error type.
fn wrap(e: Box<EngineError>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Null, e)
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> rusqlite::Error {
    wrap(Box::new(EngineError::new(ErrorCode::Corruption, format!("stored {what} is damaged: {detail}"))))
}

pub fn execution_id(row: &Row, idx: usize) -> rusqlite::Result<ExecutionId> {
    let bytes: Vec<u8> = row.get(idx)?;
    let arr: [u8; 16] = bytes.try_into().map_err(|_| corrupt("execution_id", "not 16 bytes"))?;
    Ok(ExecutionId::from_bytes(arr))
}

fn literal<T>(row: &Row, idx: usize, parse: fn(&str) -> crate::error::Result<T>) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    parse(&text).map_err(|e| wrap(Box::new(e)))
}

fn opt_literal<T>(
    row: &Row,
    idx: usize,
    parse: fn(&str) -> crate::error::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| parse(&t).map_err(|e| wrap(Box::new(e)))).transpose()
}

fn u32_col(row: &Row, idx: usize, what: &str) -> rusqlite::Result<u32> {
    let v: i64 = row.get(idx)?;
    u32::try_from(v).map_err(|_| corrupt(what, v))
}

pub fn exec_row(row: &Row) -> rusqlite::Result<ExecRow> {
    let policy: Option<String> = row.get(19)?;
    let retry_policy = policy
        .map(|p| serde_json::from_str::<RetryPolicy>(&p).map_err(|e| corrupt("retry policy", e)))
        .transpose()?;
    let raw: String = row.get(20)?;
    let raw_fields = match serde_json::from_str::<Value>(&raw) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(corrupt("raw_fields", "not a JSON object")),
        Err(e) => return Err(corrupt("raw_fields", e)),
    };
    Ok(ExecRow {
        id: execution_id(row, 0)?,
        lane: row.get(1)?,
        attempt_index: u32_col(row, 2, "attempt_index")?,
        phase: literal(row, 3, LifecyclePhase::parse)?,
        ownership: literal(row, 4, Ownership::parse)?,
        eligibility: literal(row, 5, Eligibility::parse)?,
        attempt_state: literal(row, 6, AttemptState::parse)?,
        public_state: literal(row, 7, PublicState::parse)?,
        terminal_outcome: opt_literal(row, 8, TerminalOutcome::parse)?,
        blocking_reason: row.get(9)?,
        cancellation_reason: row.get(10)?,
        cancelled_by: row.get(11)?,
        priority: row.get(12)?,
        created_at_ms: row.get(13)?,
        delay_until_ms: row.get(14)?,
        started_at_ms: row.get(15)?,
        terminal_at_ms: row.get(16)?,
        payload: row.get(17)?,
        result: row.get(18)?,
        retry_policy,
        raw_fields,
        lease_reclaim_count: u32_col(row, 21, "lease_reclaim_count")?,
    })
}

pub fn raw_fields_json(map: &Map<String, Value>) -> String {
    Value::Object(map.clone()).to_string()
}

pub fn attempt_row(row: &Row) -> rusqlite::Result<AttemptRow> {
    let epoch: i64 = row.get(4)?;
    Ok(AttemptRow {
        execution_id: execution_id(row, 0)?,
        attempt_index: u32_col(row, 1, "attempt_index")?,
        worker_id: row.get(2)?,
        worker_instance_id: row.get(3)?,
        lease_epoch: u64::try_from(epoch).map_err(|_| corrupt("lease_epoch", epoch))?,
        lease_ttl_ms: row.get(5)?,
        lease_expires_at_ms: row.get(6)?,
        started_at_ms: row.get(7)?,
        terminal_at_ms: row.get(8)?,
        outcome: opt_literal(row, 9, AttemptOutcome::parse)?,
    })
}

pub fn stream_meta(row: &Row) -> rusqlite::Result<StreamMeta> {
    let count: i64 = row.get(5)?;
    Ok(StreamMeta {
        ema_rate_hz: row.get(0)?,
        last_append_ts_ms: row.get(1)?,
        maxlen_applied_last: row.get(2)?,
        last_ts_ms: row.get(3)?,
        last_seq: row.get(4)?,
        frame_count: u64::try_from(count).map_err(|_| corrupt("frame_count", count))?,
        has_durable: row.get::<_, i64>(6)? != 0,
        closed_at_ms: row.get(7)?,
        closed_reason: row.get(8)?,
    })
}

/// The `fields` column: a JSON object of strings, keys sorted (serde_json's default map).
#[derive(serde::Deserialize)]
struct StoredFields {
    frame_type: String,
    payload: String,
    encoding: String,
    #[serde(default)]
    correlation_id: Option<String>,
}

pub fn frame(row: &Row) -> rusqlite::Result<Frame> {
    let ts: i64 = row.get(0)?;
    let seq: i64 = row.get(1)?;
    if ts < 0 || seq < 0 {
        return Err(corrupt("frame id", format!("{ts}-{seq} is negative")));
    }
    let fields: String = row.get(2)?;
    let stored: StoredFields = serde_json::from_str(&fields).map_err(|e| corrupt("frame fields", e))?;
    let encoding = match stored.encoding.as_str() {
        "utf8" => Encoding::Utf8,
        "base64" => Encoding::Base64,
        other => return Err(corrupt("frame encoding", other)),
    };
    Ok(Frame {
        id: format!("{ts}-{seq}"),
        ts_ms: ts,
        seq,
        mode: literal(row, 3, FrameMode::parse)?,
        frame_type: stored.frame_type,
        payload: stored.payload,
        encoding,
        correlation_id: stored.correlation_id,
    })
}

pub fn summary(row: &Row) -> rusqlite::Result<Summary> {
    let text: String = row.get(0)?;
    let version: i64 = row.get(1)?;
    Ok(Summary {
        document: serde_json::from_str(&text).map_err(|e| corrupt("summary document", e))?,
        version: u64::try_from(version).map_err(|_| corrupt("summary version", version))?,
        first_applied_ms: row.get(2)?,
        last_updated_ms: row.get(3)?,
    })
}
