//! Waiting on streams: `tail_stream` (one blocking read) and [`TailCursor`] (the state behind
//! the JS async iterator). Both subscribe before they query, so no append is missed, and wait
//! only on the stream's own wakeups; the one timer is the caller's `blockMs` deadline.

use super::cursor::{check_limit, Cursor};
use super::notify::Signal;
use super::{Engine, StreamKey};
use crate::error::{EngineError, Result};
use crate::model::*;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
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
            let sub = self.notifier().subscribe(key);
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

/// The position and buffer of one `tail` iterator.
pub struct TailCursor {
    key: StreamKey,
    after: Cell<(i64, i64)>,
    visibility: Visibility,
    limit: i64,
    buffer: RefCell<VecDeque<Frame>>,
    finished: Cell<bool>,
    /// The signal of the wait in progress, so `release` can end it.
    waiting: RefCell<Option<Rc<Signal>>>,
}

impl TailCursor {
    pub fn new(
        execution_id: &str,
        attempt_index: u32,
        after: &str,
        visibility: Visibility,
        limit: i64,
    ) -> Result<Self> {
        let id = ExecutionId::parse(execution_id)?;
        let after = Cursor::parse(after, "after")?.concrete("after", after)?;
        Ok(TailCursor {
            key: (id, attempt_index),
            after: Cell::new(after),
            visibility,
            limit: check_limit(limit)?,
            buffer: RefCell::new(VecDeque::new()),
            finished: Cell::new(false),
            waiting: RefCell::new(None),
        })
    }

    /// The next frame, waiting for it if need be; `None` once the stream is closed and drained
    /// or the cursor was released.
    pub async fn next(&self, engine: &Engine) -> Result<Option<Frame>> {
        loop {
            if let Some(frame) = self.buffer.borrow_mut().pop_front() {
                return Ok(Some(frame));
            }
            if self.finished.get() {
                return Ok(None);
            }
            let sub = engine.notifier().subscribe(self.key);
            let found = engine.peek(&self.key, self.after.get(), self.visibility, self.limit)?;
            if let Some(last) = found.frames.last() {
                self.after.set((last.ts_ms, last.seq));
                self.buffer.borrow_mut().extend(found.frames);
                continue;
            }
            if found.closed_at_ms.is_some() {
                self.finished.set(true);
                return Ok(None);
            }
            let signal = sub.signal();
            *self.waiting.borrow_mut() = Some(signal.clone());
            poll_fn(|cx| signal.poll_fired(cx)).await;
            self.waiting.borrow_mut().take();
        }
    }

    /// Ends the iteration: a pending `next` returns `None` and the waiter is unregistered.
    pub fn release(&self) {
        self.finished.set(true);
        self.buffer.borrow_mut().clear();
        if let Some(signal) = self.waiting.borrow_mut().take() {
            signal.fire();
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished.get() && self.buffer.borrow().is_empty()
    }
}
