//! Statement-level access inside a transaction opened by [`super::Store`].

use super::errors::from_sqlite;
use super::{rows, sql};
use crate::error::Result;
use crate::model::*;
use rusqlite::{params, Connection, OptionalExtension};

pub struct Tx<'a> {
    conn: &'a Connection,
}

/// A stream is addressed by execution and attempt index.
pub type StreamKey = (ExecutionId, u32);

impl<'a> Tx<'a> {
    pub(super) fn new(conn: &'a Connection) -> Self {
        Tx { conn }
    }

    fn exec_one(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(from_sqlite)?;
        stmt.execute(params).map_err(from_sqlite)
    }

    // ---- executions ----

    /// Inserts a new execution and its capabilities; false if the id already existed.
    pub fn insert_exec(&self, row: &ExecRow, capabilities: &[String]) -> Result<bool> {
        let policy = row.retry_policy.as_ref().map(|p| serde_json::to_string(p).expect("policy"));
        let inserted = self.exec_one(
            sql::INSERT_EXEC,
            params![
                row.id.as_bytes().as_slice(),
                row.lane,
                row.attempt_index,
                row.phase.as_str(),
                row.ownership.as_str(),
                row.eligibility.as_str(),
                row.attempt_state.as_str(),
                row.public_state.as_str(),
                row.terminal_outcome.map(|o| o.as_str()),
                row.blocking_reason,
                row.cancellation_reason,
                row.cancelled_by,
                row.priority,
                row.created_at_ms,
                row.delay_until_ms,
                row.started_at_ms,
                row.terminal_at_ms,
                row.payload,
                row.result,
                policy,
                rows::raw_fields_json(&row.raw_fields),
                row.lease_reclaim_count,
            ],
        )? == 1;
        if inserted {
            for capability in capabilities {
                self.exec_one(sql::INSERT_CAPABILITY, params![row.id.as_bytes().as_slice(), capability])?;
            }
        }
        self.exec_one(sql::INSERT_LANE, params![row.lane, row.created_at_ms])?;
        Ok(inserted)
    }

    pub fn update_exec(&self, row: &ExecRow) -> Result<()> {
        self.exec_one(
            sql::UPDATE_EXEC,
            params![
                row.id.as_bytes().as_slice(),
                row.attempt_index,
                row.phase.as_str(),
                row.ownership.as_str(),
                row.eligibility.as_str(),
                row.attempt_state.as_str(),
                row.public_state.as_str(),
                row.terminal_outcome.map(|o| o.as_str()),
                row.blocking_reason,
                row.cancellation_reason,
                row.cancelled_by,
                row.delay_until_ms,
                row.started_at_ms,
                row.terminal_at_ms,
                row.result,
                rows::raw_fields_json(&row.raw_fields),
                row.lease_reclaim_count,
            ],
        )?;
        Ok(())
    }

    pub fn exec(&self, id: &ExecutionId) -> Result<Option<ExecRow>> {
        let mut stmt = self.conn.prepare_cached(sql::SELECT_EXEC).map_err(from_sqlite)?;
        stmt.query_row(params![id.as_bytes().as_slice()], rows::exec_row).optional().map_err(from_sqlite)
    }

    /// The execution `claim` should take next, if any.
    pub fn claim_candidate(&self, lane: &str, capabilities: &[String], now: i64) -> Result<Option<ExecRow>> {
        let caps = serde_json::to_string(capabilities).expect("strings serialize");
        let mut stmt = self.conn.prepare_cached(sql::SELECT_CLAIM_CANDIDATE).map_err(from_sqlite)?;
        stmt.query_row(params![lane, now, caps], rows::exec_row).optional().map_err(from_sqlite)
    }

    // ---- attempts and leases ----

    pub fn attempt(&self, id: &ExecutionId, index: u32) -> Result<Option<AttemptRow>> {
        let mut stmt = self.conn.prepare_cached(sql::SELECT_ATTEMPT).map_err(from_sqlite)?;
        stmt.query_row(params![id.as_bytes().as_slice(), index], rows::attempt_row)
            .optional()
            .map_err(from_sqlite)
    }

    pub fn upsert_attempt(&self, a: &AttemptRow) -> Result<()> {
        self.exec_one(
            sql::UPSERT_ATTEMPT,
            params![
                a.execution_id.as_bytes().as_slice(),
                a.attempt_index,
                a.worker_id,
                a.worker_instance_id,
                a.lease_epoch as i64,
                a.lease_ttl_ms,
                a.lease_expires_at_ms,
                a.started_at_ms,
                a.terminal_at_ms,
                a.outcome.map(|o| o.as_str()),
            ],
        )?;
        Ok(())
    }

    /// (execution, attempt index) of every live lease that has run out at `now`.
    pub fn expired_leases(&self, now: i64) -> Result<Vec<StreamKey>> {
        let mut stmt = self.conn.prepare_cached(sql::SELECT_EXPIRED_LEASES).map_err(from_sqlite)?;
        let rows = stmt
            .query_map(params![now], |r| Ok((rows::execution_id(r, 0)?, r.get::<_, u32>(1)?)))
            .map_err(from_sqlite)?;
        rows.collect::<rusqlite::Result<_>>().map_err(from_sqlite)
    }

    // ---- outboxes ----

    pub fn lease_event(&self, exec: &ExecRow, event: LeaseEvent, now: i64) -> Result<()> {
        self.exec_one(
            sql::INSERT_LEASE_EVENT,
            params![exec.id.uuid_text(), event.as_str(), now, exec.raw_str("namespace"), instance_tag(exec)],
        )?;
        Ok(())
    }

    pub fn completion_event(&self, exec: &ExecRow, outcome: TerminalOutcome, now: i64) -> Result<()> {
        self.exec_one(
            sql::INSERT_COMPLETION_EVENT,
            params![
                exec.id.as_bytes().as_slice(),
                outcome.as_str(),
                exec.raw_str("namespace"),
                instance_tag(exec),
                now
            ],
        )?;
        Ok(())
    }

    // ---- streams ----

    pub fn stream_meta(&self, key: &StreamKey) -> Result<Option<StreamMeta>> {
        let mut stmt = self.conn.prepare_cached(sql::SELECT_STREAM_META).map_err(from_sqlite)?;
        stmt.query_row(params![key.0.as_bytes().as_slice(), key.1], rows::stream_meta)
            .optional()
            .map_err(from_sqlite)
    }

    pub fn save_stream_meta(&self, key: &StreamKey, m: &StreamMeta) -> Result<()> {
        self.exec_one(
            sql::UPSERT_STREAM_META,
            params![
                key.0.as_bytes().as_slice(),
                key.1,
                m.ema_rate_hz,
                m.last_append_ts_ms,
                m.maxlen_applied_last,
                m.last_ts_ms,
                m.last_seq,
                m.frame_count as i64,
                m.has_durable as i64,
            ],
        )?;
        Ok(())
    }

    pub fn close_stream(&self, key: &StreamKey, reason: CloseReason, now: i64) -> Result<()> {
        self.exec_one(sql::CLOSE_STREAM, params![key.0.as_bytes().as_slice(), key.1, now, reason.as_str()])?;
        Ok(())
    }

    pub fn insert_frame(&self, key: &StreamKey, f: &NewFrameRow) -> Result<()> {
        self.exec_one(
            sql::INSERT_FRAME,
            params![
                key.0.as_bytes().as_slice(),
                key.1,
                f.ts_ms,
                f.seq,
                f.fields_json,
                f.mode.as_str(),
                f.expires_at_ms
            ],
        )?;
        Ok(())
    }

    /// Frames between two inclusive `(ts, seq)` bounds, oldest first.
    pub fn frames_range(
        &self,
        key: &StreamKey,
        from: (i64, i64),
        to: (i64, i64),
        now: i64,
        limit: i64,
    ) -> Result<Vec<Frame>> {
        let mut stmt = self.conn.prepare_cached(sql::SELECT_FRAMES_RANGE).map_err(from_sqlite)?;
        let rows = stmt
            .query_map(
                params![key.0.as_bytes().as_slice(), key.1, from.0, from.1, to.0, to.1, now, limit],
                rows::frame,
            )
            .map_err(from_sqlite)?;
        rows.collect::<rusqlite::Result<_>>().map_err(from_sqlite)
    }

    /// Frames strictly after `after`, oldest first.
    pub fn frames_after(
        &self,
        key: &StreamKey,
        after: (i64, i64),
        now: i64,
        exclude_best_effort: bool,
        limit: i64,
    ) -> Result<Vec<Frame>> {
        let mut stmt = self.conn.prepare_cached(sql::SELECT_FRAMES_AFTER).map_err(from_sqlite)?;
        let rows = stmt
            .query_map(
                params![
                    key.0.as_bytes().as_slice(),
                    key.1,
                    after.0,
                    after.1,
                    now,
                    exclude_best_effort as i64,
                    limit
                ],
                rows::frame,
            )
            .map_err(from_sqlite)?;
        rows.collect::<rusqlite::Result<_>>().map_err(from_sqlite)
    }

    /// Deletes the `count` oldest frames; returns how many went.
    pub fn delete_oldest_frames(&self, key: &StreamKey, count: u64) -> Result<u64> {
        Ok(self
            .exec_one(sql::DELETE_OLDEST_FRAMES, params![key.0.as_bytes().as_slice(), key.1, count as i64])?
            as u64)
    }

    pub fn delete_expired_frames(&self, key: &StreamKey, now: i64) -> Result<u64> {
        Ok(self.exec_one(sql::DELETE_EXPIRED_FRAMES, params![key.0.as_bytes().as_slice(), key.1, now])?
            as u64)
    }

    pub fn clear_frame_expiry(&self, key: &StreamKey) -> Result<()> {
        self.exec_one(sql::CLEAR_FRAME_EXPIRY, params![key.0.as_bytes().as_slice(), key.1])?;
        Ok(())
    }

    pub fn summary(&self, key: &StreamKey) -> Result<Option<Summary>> {
        let mut stmt = self.conn.prepare_cached(sql::SELECT_SUMMARY).map_err(from_sqlite)?;
        stmt.query_row(params![key.0.as_bytes().as_slice(), key.1], rows::summary)
            .optional()
            .map_err(from_sqlite)
    }

    /// Writes a summary; `document_json` is `s.document` already serialized (the engine needs
    /// the text anyway to enforce the size cap).
    pub fn save_summary(&self, key: &StreamKey, s: &Summary, document_json: &str) -> Result<()> {
        self.exec_one(
            sql::UPSERT_SUMMARY,
            params![
                key.0.as_bytes().as_slice(),
                key.1,
                document_json,
                s.version as i64,
                s.last_updated_ms,
                s.first_applied_ms
            ],
        )?;
        Ok(())
    }
}

/// The reference copies `tags."cairn.instance_id"` into the outboxes as `instance_tag`.
fn instance_tag(exec: &ExecRow) -> Option<&str> {
    exec.raw_fields.get("tags")?.get("cairn.instance_id")?.as_str()
}
