//! Reading a whole database out, for a copy into another FlowFabric backend (`ff-graduate`,
//! src/graduate). Read-only except [`Tx::cut_live_leases`], which the tool runs on its private
//! in-memory copy, never on the file it was given.
//!
//! The statements are kept here, beside their only reader, rather than in `sql.rs`: they
//! exist for the copy alone and read every table whole, in primary-key order.

use super::errors::from_sqlite;
use super::{migrate, rows, StreamKey, Tx};
use crate::error::{EngineError, ErrorCode, Result};
use crate::model::*;
use rusqlite::{params, Connection, Row};

/// Every execution, oldest first (rowid order), with the columns `rows::exec_row` decodes.
const ALL_EXECUTIONS: &str =
    concat!("SELECT ", exec_columns!(), " FROM ff_exec_core WHERE partition_key = 0 ORDER BY rowid");

/// Every required capability, by execution.
const ALL_CAPABILITIES: &str =
    "SELECT execution_id, capability FROM ff_execution_capabilities ORDER BY execution_id, capability";

/// Every attempt, with the columns `rows::attempt_row` decodes.
const ALL_ATTEMPTS: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM ff_attempt WHERE partition_key = 0 ORDER BY execution_id, attempt_index"
);

/// Attempts whose lease is still live at ?1 (not ended, not run out).
const LIVE_LEASES: &str = "SELECT execution_id, attempt_index, lease_expires_at_ms FROM ff_attempt \
     WHERE partition_key = 0 AND outcome IS NULL AND lease_expires_at_ms > ?1 \
     ORDER BY lease_expires_at_ms, execution_id";

/// Makes every live lease run out at ?1, so that the engine's own expiry ends it.
const CUT_LIVE_LEASES: &str = "UPDATE ff_attempt SET lease_expires_at_ms = ?1 \
     WHERE partition_key = 0 AND outcome IS NULL AND lease_expires_at_ms > ?1";

/// Up to ?6 frames after the position (?1 execution, ?2 attempt, ?3 ts, ?4 seq) in primary-key
/// order, leaving out best-effort frames that expired at ?5 (reads never return them).
const FRAMES_AFTER: &str = "SELECT execution_id, attempt_index, ts_ms, seq, fields, mode, \
     created_at_ms FROM ff_stream_frame \
     WHERE partition_key = 0 AND (execution_id, attempt_index, ts_ms, seq) > (?1, ?2, ?3, ?4) \
       AND (expires_at_ms IS NULL OR expires_at_ms > ?5) \
     ORDER BY execution_id, attempt_index, ts_ms, seq LIMIT ?6";

/// How many frames [`FRAMES_AFTER`] yields in all, and how many expired ones it leaves out.
const COUNT_FRAMES: &str = "SELECT count(*) FILTER (WHERE expires_at_ms IS NULL OR expires_at_ms > ?1), \
     count(*) FILTER (WHERE expires_at_ms <= ?1) FROM ff_stream_frame WHERE partition_key = 0";

/// Every summary document.
const ALL_SUMMARIES: &str = "SELECT execution_id, attempt_index, document_json, version, \
     first_applied_ms, last_updated_ms FROM ff_stream_summary WHERE partition_key = 0 \
     ORDER BY execution_id, attempt_index";

/// Every stream's bookkeeping row (its columns first, where `rows::stream_meta` reads them).
const ALL_STREAM_META: &str = concat!(
    "SELECT ",
    stream_meta_columns!(),
    ", execution_id, attempt_index FROM ff_stream_meta WHERE partition_key = 0 \
     ORDER BY execution_id, attempt_index"
);

/// The whole completion outbox, in id order.
const ALL_COMPLETIONS: &str = "SELECT event_id, execution_id, outcome, namespace, instance_tag, \
     occurred_at_ms, committed_at_ms, dispatched_at_ms FROM ff_completion_event \
     WHERE partition_key = 0 ORDER BY event_id";

/// The whole lease outbox, in id order.
const ALL_LEASE_EVENTS: &str = "SELECT event_id, execution_id, lease_id, event_type, \
     occurred_at_ms, namespace, instance_tag FROM ff_lease_event WHERE partition_key = 0 \
     ORDER BY event_id";

/// Every registered lane.
const ALL_LANES: &str =
    "SELECT lane_id, registered_at_ms, registered_by FROM ff_lane_registry ORDER BY lane_id";

/// The earliest and latest value of every column stamped by the engine's clock (frame ids
/// included). Lease expiries and delays are not stamps: they are set into the future on purpose.
const CLOCK_STAMPS: &str = "\
     SELECT 'ff_exec_core.created_at_ms', min(created_at_ms), max(created_at_ms) FROM ff_exec_core \
     UNION ALL SELECT 'ff_exec_core.started_at_ms', min(started_at_ms), max(started_at_ms) FROM ff_exec_core \
     UNION ALL SELECT 'ff_exec_core.terminal_at_ms', min(terminal_at_ms), max(terminal_at_ms) FROM ff_exec_core \
     UNION ALL SELECT 'ff_attempt.started_at_ms', min(started_at_ms), max(started_at_ms) FROM ff_attempt \
     UNION ALL SELECT 'ff_attempt.terminal_at_ms', min(terminal_at_ms), max(terminal_at_ms) FROM ff_attempt \
     UNION ALL SELECT 'ff_stream_frame.ts_ms (frame ids)', min(ts_ms), max(ts_ms) FROM ff_stream_frame \
     UNION ALL SELECT 'ff_stream_summary.first_applied_ms/last_updated_ms', min(first_applied_ms), max(last_updated_ms) FROM ff_stream_summary \
     UNION ALL SELECT 'ff_stream_meta.closed_at_ms', min(closed_at_ms), max(closed_at_ms) FROM ff_stream_meta \
     UNION ALL SELECT 'ff_completion_event.occurred_at_ms/committed_at_ms', min(occurred_at_ms), max(committed_at_ms) FROM ff_completion_event \
     UNION ALL SELECT 'ff_lease_event.occurred_at_ms', min(occurred_at_ms), max(occurred_at_ms) FROM ff_lease_event";

/// Checks a database image without opening it as a store or changing it: the SQLite header,
/// a full `PRAGMA integrity_check` (not the quick check `open` runs), and a schema version this
/// build wrote (1 up to [`migrate::latest_version`]). Returns that version.
pub fn check_image(bytes: &[u8]) -> Result<i64> {
    if bytes.len() < 100 || !bytes.starts_with(b"SQLite format 3\0") {
        return Err(EngineError::invalid(format!(
            "the file ({} bytes) is not a SQLite database: it lacks the \"SQLite format 3\" header",
            bytes.len()
        )));
    }
    let mut conn = Connection::open_in_memory().map_err(from_sqlite)?;
    // A read-only copy: the caller's bytes are never written to.
    conn.deserialize_read_exact(rusqlite::MAIN_DB, bytes, bytes.len(), true).map_err(from_sqlite)?;
    let problems = integrity_problems(&conn)?;
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
        return Err(EngineError::new(
            ErrorCode::Corruption,
            format!("SQLite's integrity check failed: {}", shown.join("; ")),
        ));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(from_sqlite)?;
    let latest = migrate::latest_version();
    if !(1..=latest).contains(&version) {
        let why = match version {
            0 => "0: an empty database, or one ff-backend-wasm did not write".to_string(),
            v if v > latest => format!("{v}, newer than this build knows (1 to {latest})"),
            v => format!("{v}, which ff-backend-wasm never writes (1 to {latest})"),
        };
        return Err(EngineError::new(ErrorCode::StorageUnavailable, format!("schema version {why}")));
    }
    Ok(version)
}

/// `PRAGMA integrity_check`'s findings; a damaged file can also make the pragma itself fail.
fn integrity_problems(conn: &Connection) -> Result<Vec<String>> {
    let found = conn.prepare("PRAGMA integrity_check").and_then(|mut stmt| {
        stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()
    });
    match found {
        Ok(lines) if lines == ["ok"] => Ok(Vec::new()),
        Ok(lines) => Ok(lines),
        Err(e) => Ok(vec![from_sqlite(e).message]),
    }
}

/// A frame as stored: its stream, id, the fields JSON text as written, and its mode.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFrame {
    pub key: StreamKey,
    pub ts_ms: i64,
    pub seq: i64,
    pub fields_json: String,
    pub mode: FrameMode,
    pub created_at_ms: i64,
}

/// A completion outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCompletion {
    pub event_id: i64,
    pub execution_id: ExecutionId,
    pub outcome: TerminalOutcome,
    pub namespace: Option<String>,
    pub instance_tag: Option<String>,
    pub occurred_at_ms: i64,
    pub committed_at_ms: i64,
    pub dispatched_at_ms: Option<i64>,
}

/// A lease outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLeaseEvent {
    pub event_id: i64,
    pub execution_id: ExecutionId,
    pub lease_id: Option<String>,
    pub event: LeaseEventKind,
    pub occurred_at_ms: i64,
    pub namespace: Option<String>,
    pub instance_tag: Option<String>,
}

/// One engine-stamped column's earliest and latest value (`None` while the column is empty).
#[derive(Debug, Clone, PartialEq)]
pub struct ClockStamp {
    pub column: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

fn key(row: &Row) -> rusqlite::Result<StreamKey> {
    let index: i64 = row.get("attempt_index")?;
    let index = u32::try_from(index).map_err(|_| {
        let e = EngineError::new(ErrorCode::Corruption, format!("stored attempt_index {index} is damaged"));
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, Box::new(e))
    })?;
    Ok((rows::execution_id(row, "execution_id")?, index))
}

fn literal<T>(row: &Row, col: &str, parse: fn(&str) -> Result<T>) -> rusqlite::Result<T> {
    let text: String = row.get(col)?;
    parse(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

impl Tx<'_, '_> {
    pub fn export_executions(&self) -> Result<Vec<ExecRow>> {
        self.all(ALL_EXECUTIONS, [], rows::exec_row)
    }

    pub fn export_capabilities(&self) -> Result<Vec<(ExecutionId, String)>> {
        self.all(ALL_CAPABILITIES, [], |r| Ok((rows::execution_id(r, "execution_id")?, r.get("capability")?)))
    }

    pub fn export_attempts(&self) -> Result<Vec<AttemptRow>> {
        self.all(ALL_ATTEMPTS, [], rows::attempt_row)
    }

    /// (execution, attempt index, lease expiry) of every lease still live at `now`.
    pub fn live_leases(&self, now: i64) -> Result<Vec<(ExecutionId, u32, i64)>> {
        self.all(LIVE_LEASES, params![now], |r| {
            let (id, index) = key(r)?;
            Ok((id, index, r.get("lease_expires_at_ms")?))
        })
    }

    /// Moves every live lease's expiry to `now`; the engine's expiry then ends them.
    pub fn cut_live_leases(&self, now: i64) -> Result<usize> {
        self.exec_one(CUT_LIVE_LEASES, params![now])
    }

    /// Up to `limit` frames after `after` (none: from the first), skipping those expired at `now`.
    pub fn export_frames(
        &self,
        after: Option<&(StreamKey, i64, i64)>,
        now: i64,
        limit: i64,
    ) -> Result<Vec<StoredFrame>> {
        // An empty blob sorts before every id, so "no position" starts at the first frame.
        let (id, index, ts, seq) = match after {
            Some(((id, index), ts, seq)) => (id.as_bytes().to_vec(), i64::from(*index), *ts, *seq),
            None => (Vec::new(), -1, -1, -1),
        };
        self.all(FRAMES_AFTER, params![id, index, ts, seq, now, limit], |r| {
            Ok(StoredFrame {
                key: key(r)?,
                ts_ms: r.get("ts_ms")?,
                seq: r.get("seq")?,
                fields_json: r.get("fields")?,
                mode: literal(r, "mode", FrameMode::parse)?,
                created_at_ms: r.get("created_at_ms")?,
            })
        })
    }

    /// (frames [`Tx::export_frames`] yields, best-effort frames left out as expired at `now`).
    pub fn count_frames(&self, now: i64) -> Result<(u64, u64)> {
        self.with(COUNT_FRAMES, |stmt| {
            stmt.query_row(params![now], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)))
                .map_err(from_sqlite)
        })
    }

    pub fn export_summaries(&self) -> Result<Vec<(StreamKey, Summary)>> {
        self.all(ALL_SUMMARIES, [], |r| Ok((key(r)?, rows::summary(r)?)))
    }

    pub fn export_stream_meta(&self) -> Result<Vec<(StreamKey, StreamMeta)>> {
        self.all(ALL_STREAM_META, [], |r| Ok((key(r)?, rows::stream_meta(r)?)))
    }

    pub fn export_completions(&self) -> Result<Vec<StoredCompletion>> {
        self.all(ALL_COMPLETIONS, [], |r| {
            Ok(StoredCompletion {
                event_id: r.get("event_id")?,
                execution_id: rows::execution_id(r, "execution_id")?,
                outcome: literal(r, "outcome", TerminalOutcome::parse)?,
                namespace: r.get("namespace")?,
                instance_tag: r.get("instance_tag")?,
                occurred_at_ms: r.get("occurred_at_ms")?,
                committed_at_ms: r.get("committed_at_ms")?,
                dispatched_at_ms: r.get("dispatched_at_ms")?,
            })
        })
    }

    pub fn export_lease_events(&self) -> Result<Vec<StoredLeaseEvent>> {
        self.all(ALL_LEASE_EVENTS, [], |r| {
            // The lease outbox keeps the bare uuid text, as the reference does.
            let text: String = r.get("execution_id")?;
            let execution_id = ExecutionId::parse(&format!("{{fp:0}}:{text}")).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
            })?;
            Ok(StoredLeaseEvent {
                event_id: r.get("event_id")?,
                execution_id,
                lease_id: r.get("lease_id")?,
                event: literal(r, "event_type", LeaseEventKind::parse)?,
                occurred_at_ms: r.get("occurred_at_ms")?,
                namespace: r.get("namespace")?,
                instance_tag: r.get("instance_tag")?,
            })
        })
    }

    /// (lane, registered at, registered by) of every lane.
    pub fn export_lanes(&self) -> Result<Vec<(String, i64, String)>> {
        self.all(ALL_LANES, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    }

    pub fn clock_stamps(&self) -> Result<Vec<ClockStamp>> {
        self.all(CLOCK_STAMPS, [], |r| Ok(ClockStamp { column: r.get(0)?, min: r.get(1)?, max: r.get(2)? }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::host::ManualHost;
    use crate::model::{AppendMode, ClaimSpec, CreateSpec, FrameSpec};
    use crate::store::Store;

    const T0: i64 = 1_780_000_000_000;

    fn image(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut bytes = Store::open_memory(None).unwrap().export_image().unwrap();
        edit(&mut bytes);
        bytes
    }

    #[test]
    fn images_are_checked_without_being_opened() {
        assert_eq!(check_image(&image(|_| {})).unwrap(), migrate::latest_version());
        let version = |v: i32| image(|b| b[60..64].copy_from_slice(&v.to_be_bytes()));
        for (v, says) in [(99, "newer than this build"), (0, "an empty database"), (-3, "never writes")] {
            let err = check_image(&version(v)).unwrap_err();
            assert_eq!(err.code, ErrorCode::StorageUnavailable, "{v}");
            assert!(err.message.contains(says), "{v}: {}", err.message);
        }
        assert_eq!(check_image(b"hello").unwrap_err().code, ErrorCode::InvalidInput);
        let page = |b: &[u8]| usize::from(u16::from_be_bytes([b[16], b[17]]));
        let damaged = image(|b| {
            let p = page(b);
            b[p..p * 2].fill(0x5a)
        });
        let err = check_image(&damaged).unwrap_err();
        assert_eq!(err.code, ErrorCode::Corruption);
        assert!(err.message.starts_with("SQLite's integrity check failed"), "{}", err.message);
    }

    #[test]
    fn frames_page_in_key_order_without_expired_ones() {
        let host = std::rc::Rc::new(ManualHost::new(T0));
        let engine = Engine::new(Store::open_memory(None).unwrap(), Box::new(host.clone()));
        let claim = ClaimSpec {
            lane: "default".into(),
            capabilities: vec![],
            worker_id: "w".into(),
            worker_instance_id: "w".into(),
            lease_ttl_ms: 60_000,
        };
        for _ in 0..2 {
            engine.create_execution(&CreateSpec::default()).unwrap();
            let token = engine.claim(&claim).unwrap().unwrap().token;
            for i in 0..3 {
                engine.append_frame(&token, &FrameSpec::durable(format!("f{i}"))).unwrap();
            }
            let brief =
                FrameSpec { mode: AppendMode::BestEffort { ttl_ms: 10 }, ..FrameSpec::durable("gone") };
            engine.append_frame(&token, &brief).unwrap();
        }
        let later = T0 + 1_000;
        let (mut all, mut after) = (Vec::new(), None);
        loop {
            let page = engine.read(|tx| tx.export_frames(after.as_ref(), later, 2)).unwrap();
            after = page.last().map(|f| (f.key, f.ts_ms, f.seq));
            all.extend(page.iter().map(|f| (f.key, f.ts_ms, f.seq)));
            if page.len() < 2 {
                break;
            }
        }
        assert_eq!(all.len(), 6, "three durable frames each; the expired best-effort ones are left out");
        assert!(all.windows(2).all(|w| w[0] < w[1]), "strictly increasing: {all:?}");
        assert_eq!(engine.read(|tx| tx.count_frames(later)).unwrap(), (6, 2));
        assert_eq!(engine.read(|tx| tx.count_frames(T0)).unwrap(), (8, 0));
    }
}
