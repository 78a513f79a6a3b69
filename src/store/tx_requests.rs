//! The table of recorded call outcomes (`ff_client_request`, migration 0007): what makes a
//! call re-sent after a change of leader tab return its first outcome instead of running again.

use super::{sql, Tx};
use crate::error::Result;
use rusqlite::params;

/// A call's outcome as stored: its value as JSON text (`None`: no value), or the `(code,
/// message)` of the error it failed with.
pub type StoredOutcome = std::result::Result<Option<String>, (String, String)>;

impl Tx<'_, '_> {
    /// Rows changed on this connection since it opened, by every statement (also those of
    /// savepoints rolled back since): whether a call in between wrote anything.
    pub fn total_changes(&self) -> u64 {
        self.statements.conn().total_changes()
    }

    /// The outcome recorded for call `seq` of `client`, if any.
    pub fn recalled_request(&self, client: &str, seq: i64) -> Result<Option<StoredOutcome>> {
        self.one(sql::SELECT_CLIENT_REQUEST, params![client, seq], |r| {
            let value: Option<String> = r.get(0)?;
            let code: Option<String> = r.get(1)?;
            let message: Option<String> = r.get(2)?;
            Ok(match code {
                Some(code) => Err((code, message.unwrap_or_default())),
                None => Ok(value),
            })
        })
    }

    /// Records the outcome of call `seq` of `client`, and forgets that client's calls below
    /// `acked` (their replies arrived: they are never re-sent).
    pub fn record_request(
        &self,
        client: &str,
        seq: i64,
        acked: i64,
        outcome: &StoredOutcome,
        now: i64,
    ) -> Result<()> {
        let (value, code, message) = match outcome {
            Ok(value) => (value.as_deref(), None, None),
            Err((code, message)) => (None, Some(code.as_str()), Some(message.as_str())),
        };
        self.exec_one(sql::INSERT_CLIENT_REQUEST, params![client, seq, value, code, message, now])?;
        self.exec_one(sql::DELETE_ACKED_CLIENT_REQUESTS, params![client, acked])?;
        Ok(())
    }

    /// Forgets every call recorded before `before_ms`; returns how many.
    pub fn forget_requests_before(&self, before_ms: i64) -> Result<usize> {
        self.exec_one(sql::DELETE_CLIENT_REQUESTS_BEFORE, params![before_ms])
    }
}
