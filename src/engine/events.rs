//! Reading executions in pages, and following the outboxes and streams: `listExecutions`,
//! `completions()`, `leaseHistory()` and `tail()`.

use super::cursor::{check_limit, Cursor};
use super::executions::execution_info;
use super::follow::{CompletionFeed, Follower, LeaseFeed, StreamFeed};
use super::{validate, Engine};
use crate::error::{EngineError, Result};
use crate::model::*;

/// Largest `listExecutions` page.
pub const MAX_PAGE: i64 = 1000;

/// Parses an outbox or list cursor: the decimal id of the last row seen (`"0"`: before the
/// first). Opaque to users; the message names the option.
fn row_cursor(text: &str, field: &str) -> Result<i64> {
    let valid = !text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit());
    let parsed = if valid { text.parse::<i64>().ok() } else { None };
    parsed.ok_or_else(|| {
        EngineError::invalid(format!(
            "{field} {} is not a cursor: pass \"0\" or a cursor this backend returned",
            validate::quote(text)
        ))
    })
}

impl Engine {
    /// One page of executions in creation order. An execution at or before `after` never
    /// reappears; one created later does, in a later page.
    pub fn list_executions(&self, spec: &ListSpec) -> Result<ExecutionPage> {
        if !(1..=MAX_PAGE).contains(&spec.limit) {
            return Err(EngineError::invalid(format!("limit {} is out of range 1..={MAX_PAGE}", spec.limit)));
        }
        if let Some(lane) = &spec.lane {
            validate::name("lane", lane, validate::NAME_MAX)?;
        }
        let after = spec.after.as_deref().map(|a| row_cursor(a, "after")).transpose()?.unwrap_or(0);
        let now = self.now()?;
        // One row more than asked tells whether another page follows.
        let mut rows = self.read(|tx| {
            tx.list_executions(spec.lane.as_deref(), spec.public_state, after, now, spec.limit + 1)
        })?;
        let more = rows.len() as i64 > spec.limit;
        rows.truncate(spec.limit as usize);
        let next_cursor = if more { rows.last().map(|(pos, _)| pos.to_string()) } else { None };
        let executions = rows.into_iter().map(|(_, row)| execution_info(row, now)).collect();
        Ok(ExecutionPage { executions, next_cursor })
    }

    /// Up to `limit` (1..=10000) execution ids strictly after `after`, in id order (the order of
    /// their text, as FlowFabric's `list_executions` pages). `listExecutions` pages in creation
    /// order instead; this is for adapters that follow FlowFabric's contract.
    pub fn execution_ids(&self, after: Option<&str>, limit: i64) -> Result<Vec<String>> {
        let limit = check_limit(limit)?;
        let after = after.map(ExecutionId::parse).transpose()?;
        let ids = self.read(|tx| tx.execution_ids_after(after.as_ref(), limit))?;
        Ok(ids.iter().map(ExecutionId::to_string).collect())
    }

    /// A follower of the completion outbox.
    pub fn follow_completions(&self, spec: &CompletionsSpec) -> Result<Follower<CompletionFeed>> {
        for (field, value) in [("lane", &spec.lane), ("namespace", &spec.namespace)] {
            if let Some(v) = value {
                validate::name(field, v, validate::NAME_MAX)?;
            }
        }
        let after = match &spec.after {
            Some(text) => row_cursor(text, "after")?,
            None => self.read(|tx| tx.last_completion_id())?,
        };
        let feed = CompletionFeed { lane: spec.lane.clone(), namespace: spec.namespace.clone() };
        Ok(Follower::new(feed, after))
    }

    /// A follower of the lease outbox.
    pub fn follow_lease_history(&self, spec: &LeaseHistorySpec) -> Result<Follower<LeaseFeed>> {
        let execution = spec.execution_id.as_deref().map(ExecutionId::parse).transpose()?;
        let after = match &spec.after {
            Some(text) => row_cursor(text, "after")?,
            None => self.read(|tx| tx.last_lease_event_id())?,
        };
        Ok(Follower::new(LeaseFeed { execution }, after))
    }

    /// A follower of one attempt's stream (`tail()`): every frame after `spec.after`, ending
    /// once the stream is closed and drained.
    pub fn follow_stream(
        &self,
        execution_id: &str,
        attempt_index: u32,
        spec: &TailSpec,
    ) -> Result<Follower<StreamFeed>> {
        let id = ExecutionId::parse(execution_id)?;
        let after = Cursor::parse(&spec.after, "after")?.concrete("after", &spec.after)?;
        let feed = StreamFeed {
            key: (id, attempt_index),
            visibility: spec.visibility,
            limit: check_limit(spec.limit)?,
        };
        Ok(Follower::new(feed, after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_cursors_are_decimal_ids() {
        assert_eq!(row_cursor("0", "after").unwrap(), 0);
        assert_eq!(row_cursor("42", "after").unwrap(), 42);
        for bad in ["", "-1", "1.5", " 1", "x", "99999999999999999999", "1-2"] {
            let err = row_cursor(bad, "after").unwrap_err();
            assert!(err.message.starts_with("after"), "{bad}: {}", err.message);
        }
    }
}
