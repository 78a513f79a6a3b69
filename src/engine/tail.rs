//! `tail_stream`: one read that waits up to `blockMs` for a stream's next frames. It subscribes
//! before it queries, so no append is missed, and waits only on the stream's own wakeups; the
//! one timer is the caller's `blockMs` deadline. (The `tail` iterator is a
//! [`super::Follower`] of a [`super::StreamFeed`].)

use super::cursor::{check_limit, Cursor};
use super::notify::Signal;
use super::{Engine, Topic};
use crate::error::{EngineError, Result};
use crate::model::*;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

pub const MAX_BLOCK_MS: i64 = 30_000;

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woke {
    Notified,
    TimedOut,
}

/// Waits for a subscription's signal or the deadline, whichever comes first.
async fn wait(signal: &Signal, deadline: Pin<&mut (dyn Future<Output = ()> + '_)>) -> Woke {
    let mut deadline = deadline;
    poll_fn(|cx| {
        if signal.poll_fired(cx).is_ready() {
            return Poll::Ready(Woke::Notified);
        }
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Woke::TimedOut);
        }
        Poll::Pending
    })
    .await
}

impl Engine {
    /// Frames strictly after `spec.after`; waits up to `blockMs` for the first one. A closed
    /// stream with nothing newer returns at once with its markers. `sleep(ms)` is the
    /// platform's timer (a JS `setTimeout`, or a test's fake).
    pub async fn tail_stream<S: Future<Output = ()>>(
        &self,
        execution_id: &str,
        attempt_index: u32,
        spec: &TailSpec,
        sleep: impl FnOnce(u32) -> S,
    ) -> Result<StreamFrames> {
        let id = ExecutionId::parse(execution_id)?;
        let after = Cursor::parse(&spec.after, "after")?.concrete("after", &spec.after)?;
        let limit = check_limit(spec.limit)?;
        if !(0..=MAX_BLOCK_MS).contains(&spec.block_ms) {
            return Err(EngineError::invalid(format!(
                "blockMs {} is out of range 0..={MAX_BLOCK_MS}",
                spec.block_ms
            )));
        }
        let key = (id, attempt_index);
        if spec.block_ms == 0 {
            return self.peek(&key, after, spec.visibility, limit);
        }
        let mut deadline = Box::pin(sleep(spec.block_ms as u32));
        loop {
            let sub = self.notifier().subscribe(Topic::Stream(key));
            let found = self.peek(&key, after, spec.visibility, limit)?;
            if !found.frames.is_empty() || found.closed_at_ms.is_some() {
                return Ok(found);
            }
            if wait(&sub.signal(), deadline.as_mut()).await == Woke::TimedOut {
                return self.peek(&key, after, spec.visibility, limit);
            }
        }
    }
}
