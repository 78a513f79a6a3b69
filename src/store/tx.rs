//! Statement-level access inside a transaction opened by [`super::Store`]: executions and
//! attempts here, streams in `tx_streams.rs`, the outboxes in `tx_events.rs`.

use super::errors::from_sqlite;
use super::statements::Statements;
use super::{rows, sql};
use crate::error::Result;
use crate::model::*;
use rusqlite::{params, OptionalExtension, Params, Row, Statement};

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

    pub(super) fn exec_one(&self, sql: &'static str, params: impl Params) -> Result<usize> {
        self.with(sql, |stmt| stmt.execute(params).map_err(from_sqlite))
    }

    /// Every row `sql` yields for `params`, each read by `read`.
    pub(super) fn all<T>(
        &self,
        sql: &'static str,
        params: impl Params,
        read: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        self.with(sql, |stmt| {
            let rows = stmt.query_map(params, read).map_err(from_sqlite)?;
            rows.collect::<rusqlite::Result<_>>().map_err(from_sqlite)
        })
    }

    /// The row `sql` yields for `params`, if any, read by `read`.
    pub(super) fn one<T>(
        &self,
        sql: &'static str,
        params: impl Params,
        read: impl FnOnce(&Row) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        self.with(sql, |stmt| stmt.query_row(params, read).optional().map_err(from_sqlite))
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
        self.one(sql::SELECT_EXEC, params![id.as_bytes().as_slice()], rows::exec_row)
    }

    /// One attempt, with its execution's state and its stream's bookkeeping where they exist
    /// (the fence's read).
    pub fn fence_row(&self, id: &ExecutionId, index: u32) -> Result<Option<FenceRow>> {
        self.one(sql::SELECT_FENCE, params![id.as_bytes().as_slice(), index], rows::fence_row)
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
        self.one(sql::SELECT_CLAIM_CANDIDATE, params![lane, now, caps], rows::exec_row)
    }

    // ---- attempts and leases ----

    pub fn attempt(&self, id: &ExecutionId, index: u32) -> Result<Option<AttemptRow>> {
        self.one(sql::SELECT_ATTEMPT, params![id.as_bytes().as_slice(), index], rows::attempt_row)
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
        self.all(sql::SELECT_EXPIRED_LEASES, params![now], |r| {
            Ok((rows::execution_id(r, "execution_id")?, r.get::<_, u32>(1)?))
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
        match lane {
            Some(lane) => self.all(
                sql::LIST_EXECUTIONS_IN_LANE,
                params![after, state, now, limit, lane],
                rows::listed_exec_row,
            ),
            None => self.all(sql::LIST_EXECUTIONS, params![after, state, now, limit], rows::listed_exec_row),
        }
    }

    /// Up to `limit` execution ids after `after` (all of them when `None`), in id order.
    pub fn execution_ids_after(&self, after: Option<&ExecutionId>, limit: i64) -> Result<Vec<ExecutionId>> {
        let after: &[u8] = after.map_or(&[], |id| id.as_bytes().as_slice());
        self.all(sql::SELECT_EXECUTION_IDS_AFTER, params![after, limit], |r| {
            rows::execution_id(r, "execution_id")
        })
    }
}
