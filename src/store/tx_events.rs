//! The two outboxes: lease events and completion events, written in the transaction that
//! caused them and read back in id order by their followers.

use super::errors::from_sqlite;
use super::{rows, sql, Tx};
use crate::error::Result;
use crate::model::*;
use rusqlite::params;

impl Tx<'_, '_> {
    /// Records a lease event about `attempt` of `exec`.
    pub fn lease_event(
        &self,
        exec: &ExecRow,
        attempt: &AttemptRow,
        event: LeaseEventKind,
        now: i64,
    ) -> Result<()> {
        self.exec_one(
            sql::INSERT_LEASE_EVENT,
            params![
                exec.id.uuid_text(),
                event.as_str(),
                now,
                exec.raw_str("namespace"),
                instance_tag(exec),
                attempt.attempt_index,
                attempt.lease_epoch as i64
            ],
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

    /// The id of the newest completion event (0 if none).
    pub fn last_completion_id(&self) -> Result<i64> {
        self.with(sql::LAST_COMPLETION_ID, |stmt| stmt.query_row([], |r| r.get(0)).map_err(from_sqlite))
    }

    /// The id of the newest lease event (0 if none).
    pub fn last_lease_event_id(&self) -> Result<i64> {
        self.with(sql::LAST_LEASE_EVENT_ID, |stmt| stmt.query_row([], |r| r.get(0)).map_err(from_sqlite))
    }

    /// Completion events after `after`, oldest first, optionally of one lane and namespace.
    pub fn completions_after(
        &self,
        after: i64,
        lane: Option<&str>,
        namespace: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(i64, CompletionEvent)>> {
        self.all(
            sql::SELECT_COMPLETIONS_AFTER,
            params![after, lane, namespace, limit],
            rows::completion_event,
        )
    }

    /// Lease events after `after`, oldest first, optionally of one execution.
    pub fn lease_events_after(
        &self,
        after: i64,
        execution: Option<&ExecutionId>,
        limit: i64,
    ) -> Result<Vec<(i64, LeaseEvent)>> {
        match execution {
            None => self.all(sql::SELECT_LEASE_EVENTS_AFTER, params![after, limit], rows::lease_event),
            Some(id) => self.all(
                sql::SELECT_EXECUTION_LEASE_EVENTS_AFTER,
                params![after, limit, id.uuid_text()],
                rows::lease_event,
            ),
        }
    }
}

/// The reference copies `tags."cairn.instance_id"` into the outboxes as `instance_tag`.
fn instance_tag(exec: &ExecRow) -> Option<&str> {
    exec.raw_fields.get("tags")?.get("cairn.instance_id")?.as_str()
}
