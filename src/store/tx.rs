//! Statement-level access inside a transaction opened by [`super::Store`]: executions and
//! attempts here, streams in `tx_streams.rs`, the outboxes in `tx_events.rs`.

use super::errors::from_sqlite;
use super::statements::Statements;
use super::{rows, sql};
use crate::error::Result;
use crate::model::*;
use rusqlite::{params, OptionalExtension, Statement};

/// A transaction in progress, as [`super::Store`] lends it: `'c` is the connection's lifetime.
pub struct Tx<'a, 'c> {
    pub(super) statements: &'a Statements<'c>,
}

impl<'a, 'c> Tx<'a, 'c> {
    pub(super) fn new(statements: &'a Statements<'c>) -> Self {
        Tx { statements }
    }

    /// Runs `f` with the prepared statement for `sql` (held for the connection's lifetime).
    pub(super) fn with<T>(
        &self,
        sql: &'static str,
        f: impl FnOnce(&mut Statement<'c>) -> Result<T>,
    ) -> Result<T> {
        self.statements.with(sql, f)
    }

    pub(super) fn exec_one(&self, sql: &'static str, params: impl rusqlite::Params) -> Result<usize> {
        self.with(sql, |stmt| stmt.execute(params).map_err(from_sqlite))
    }

    // ---- executions ----

    /// Inserts a new execution and its capabilities; false if the id already existed.
    pub fn insert_exec(&self, row: &ExecRow, capabilities: &[String]) -> Result<bool> {
        let policy =
            row.retry_policy.as_ref().map(serde_json::to_string).transpose().map_err(|e| {
                crate::error::EngineError::invalid(format!("retryPolicy cannot be stored: {e}"))
            })?;
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
        self.with(sql::SELECT_EXEC, |stmt| {
            stmt.query_row(params![id.as_bytes().as_slice()], rows::exec_row).optional().map_err(from_sqlite)
        })
    }

    /// One attempt, with its execution's state and its stream's bookkeeping where they exist
    /// (the fence's read).
    pub fn fence_row(&self, id: &ExecutionId, index: u32) -> Result<Option<FenceRow>> {
        self.with(sql::SELECT_FENCE, |stmt| {
            stmt.query_row(params![id.as_bytes().as_slice(), index], rows::fence_row)
                .optional()
                .map_err(from_sqlite)
        })
    }

    /// The execution `claim` should take next, if any.
    pub fn claim_candidate(&self, lane: &str, capabilities: &[String], now: i64) -> Result<Option<ExecRow>> {
        // U+001F around every capability. Stored capabilities never hold control characters
        // (`validate::name`), so a worker's capability that does can match nothing and is left
        // out; the separators then cannot be confused with a capability's own text.
        let mut caps = String::from('\u{1f}');
        for cap in capabilities.iter().filter(|c| !c.chars().any(char::is_control)) {
            caps.push_str(cap);
            caps.push('\u{1f}');
        }
        self.with(sql::SELECT_CLAIM_CANDIDATE, |stmt| {
            stmt.query_row(params![lane, now, caps], rows::exec_row).optional().map_err(from_sqlite)
        })
    }

    // ---- attempts and leases ----

    pub fn attempt(&self, id: &ExecutionId, index: u32) -> Result<Option<AttemptRow>> {
        self.with(sql::SELECT_ATTEMPT, |stmt| {
            stmt.query_row(params![id.as_bytes().as_slice(), index], rows::attempt_row)
                .optional()
                .map_err(from_sqlite)
        })
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

    /// When the next live lease runs out, if any lease is live.
    pub fn next_lease_expiry(&self) -> Result<Option<i64>> {
        self.with(sql::SELECT_NEXT_LEASE_EXPIRY, |stmt| stmt.query_row([], |r| r.get(0)).map_err(from_sqlite))
    }

    /// (execution, attempt index) of every live lease that has run out at `now`.
    pub fn expired_leases(&self, now: i64) -> Result<Vec<StreamKey>> {
        self.with(sql::SELECT_EXPIRED_LEASES, |stmt| {
            let rows = stmt
                .query_map(params![now], |r| {
                    Ok((rows::execution_id(r, "execution_id")?, r.get::<_, u32>(1)?))
                })
                .map_err(from_sqlite)?;
            rows.collect::<rusqlite::Result<_>>().map_err(from_sqlite)
        })
    }
}

impl Tx<'_, '_> {
    /// One page of executions after position `after` (a rowid), in creation order.
    pub fn list_executions(
        &self,
        lane: Option<&str>,
        state: Option<PublicState>,
        after: i64,
        now: i64,
        limit: i64,
    ) -> Result<Vec<(i64, ExecRow)>> {
        let state = state.map(|s| s.as_str());
        let read = |stmt: &mut Statement, params: &[&dyn rusqlite::ToSql]| {
            let rows = stmt.query_map(params, rows::listed_exec_row).map_err(from_sqlite)?;
            rows.collect::<rusqlite::Result<_>>().map_err(from_sqlite)
        };
        match lane {
            Some(lane) => self.with(sql::LIST_EXECUTIONS_IN_LANE, |stmt| {
                read(stmt, params![after, state, now, limit, lane])
            }),
            None => self.with(sql::LIST_EXECUTIONS, |stmt| read(stmt, params![after, state, now, limit])),
        }
    }

    /// Up to `limit` execution ids after `after` (all of them when `None`), in id order.
    pub fn execution_ids_after(&self, after: Option<&ExecutionId>, limit: i64) -> Result<Vec<ExecutionId>> {
        let after: &[u8] = after.map_or(&[], |id| id.as_bytes().as_slice());
        self.with(sql::SELECT_EXECUTION_IDS_AFTER, |stmt| {
            let rows = stmt
                .query_map(params![after, limit], |r| rows::execution_id(r, "execution_id"))
                .map_err(from_sqlite)?;
            rows.collect::<rusqlite::Result<_>>().map_err(from_sqlite)
        })
    }
}
