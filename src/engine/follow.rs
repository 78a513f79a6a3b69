//! Followers: the state behind `tail()`, `completions()` and `leaseHistory()`. A follower holds
//! a position in a [`Feed`] and a small buffer; `next` yields buffered items, reads the feed
//! after its position, or waits for the feed's [`Topic`] to be woken. It subscribes before it
//! reads, so nothing committed in between is missed, and it never polls.

use super::notify::{Signal, Topic};
use super::{Engine, StreamKey};
use crate::error::Result;
use crate::model::*;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;

/// Rows an event follower reads at a time.
const EVENT_PAGE: i64 = 100;

/// One read of a feed.
pub struct Batch<I, P> {
    pub items: Vec<I>,
    /// The position to read after next time (the last item's, or further when the read saw
    /// that nothing matching lies before it); `None` leaves the position as it was.
    pub last: Option<P>,
    /// Nothing will ever come after what was returned.
    pub ended: bool,
}

/// Something to follow: what wakes it, and how to read it after a position.
pub trait Feed {
    type Item;
    type Position: Copy;
    fn topic(&self) -> Topic;
    fn fetch(&self, engine: &Engine, after: Self::Position) -> Result<Batch<Self::Item, Self::Position>>;
}

pub struct Follower<F: Feed> {
    feed: F,
    after: Cell<F::Position>,
    buffer: RefCell<VecDeque<F::Item>>,
    finished: Cell<bool>,
    /// The signals of the waits in progress, so `release` can end them.
    waiting: RefCell<Vec<Rc<Signal>>>,
}

impl<F: Feed> Follower<F> {
    pub fn new(feed: F, after: F::Position) -> Self {
        Follower {
            feed,
            after: Cell::new(after),
            buffer: RefCell::new(VecDeque::new()),
            finished: Cell::new(false),
            waiting: RefCell::new(Vec::new()),
        }
    }

    /// The next item, waiting for it if need be; `None` once the feed ended and was drained, or
    /// the follower was released.
    pub async fn next(&self, engine: &Engine) -> Result<Option<F::Item>> {
        loop {
            if let Some(item) = self.buffer.borrow_mut().pop_front() {
                return Ok(Some(item));
            }
            if self.finished.get() {
                return Ok(None);
            }
            let sub = engine.notifier().subscribe(self.feed.topic());
            let batch = self.feed.fetch(engine, self.after.get())?;
            if let Some(last) = batch.last {
                self.after.set(last);
            }
            if !batch.items.is_empty() {
                self.buffer.borrow_mut().extend(batch.items);
                continue;
            }
            if batch.ended {
                self.finished.set(true);
                return Ok(None);
            }
            let signal = sub.signal();
            let _waiting = Waiting::register(&self.waiting, &signal);
            poll_fn(|cx| signal.poll_fired(cx)).await;
        }
    }

    /// Up to `max` items: waits for the first as `next` does, then takes what is already
    /// buffered without waiting. Empty once the feed ended. (For consumers that pay per call,
    /// such as a page reading through a worker.)
    pub async fn next_batch(&self, engine: &Engine, max: usize) -> Result<Vec<F::Item>> {
        let Some(first) = self.next(engine).await? else { return Ok(Vec::new()) };
        let mut batch = vec![first];
        let mut buffer = self.buffer.borrow_mut();
        let more = buffer.len().min(max.saturating_sub(1));
        batch.extend(buffer.drain(..more));
        Ok(batch)
    }

    /// Ends the iteration: a pending `next` returns `None` and the waiter is unregistered.
    pub fn release(&self) {
        self.finished.set(true);
        self.buffer.borrow_mut().clear();
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        for signal in waiting {
            signal.fire();
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished.get() && self.buffer.borrow().is_empty()
    }
}

/// A wait listed in `Follower::waiting` while it lasts, also when its future is dropped.
struct Waiting<'a> {
    list: &'a RefCell<Vec<Rc<Signal>>>,
    signal: Rc<Signal>,
}

impl<'a> Waiting<'a> {
    fn register(list: &'a RefCell<Vec<Rc<Signal>>>, signal: &Rc<Signal>) -> Self {
        list.borrow_mut().push(signal.clone());
        Waiting { list, signal: signal.clone() }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.list.borrow_mut().retain(|s| !Rc::ptr_eq(s, &self.signal));
    }
}

/// The frames of one attempt's stream; ends once the stream is closed and drained.
pub struct StreamFeed {
    pub key: StreamKey,
    pub visibility: Visibility,
    pub limit: i64,
}

impl Feed for StreamFeed {
    type Item = Frame;
    type Position = (i64, i64);

    fn topic(&self) -> Topic {
        Topic::Stream(self.key)
    }

    fn fetch(&self, engine: &Engine, after: (i64, i64)) -> Result<Batch<Frame, (i64, i64)>> {
        let found = engine.peek(&self.key, after, self.visibility, self.limit)?;
        let ended = found.frames.is_empty() && found.closed_at_ms.is_some();
        let last = found.frames.last().map(|f| (f.ts_ms, f.seq));
        Ok(Batch { items: found.frames, last, ended })
    }
}

/// The completion outbox, optionally of one lane and namespace. Never ends.
pub struct CompletionFeed {
    pub lane: Option<String>,
    pub namespace: Option<String>,
}

impl Feed for CompletionFeed {
    type Item = CompletionEvent;
    type Position = i64;

    fn topic(&self) -> Topic {
        Topic::Completions
    }

    fn fetch(&self, engine: &Engine, after: i64) -> Result<Batch<CompletionEvent, i64>> {
        engine.read(|tx| {
            let rows =
                tx.completions_after(after, self.lane.as_deref(), self.namespace.as_deref(), EVENT_PAGE)?;
            event_batch(rows, || tx.last_completion_id())
        })
    }
}

/// The lease outbox, optionally of one execution. Never ends.
pub struct LeaseFeed {
    pub execution: Option<ExecutionId>,
}

impl Feed for LeaseFeed {
    type Item = LeaseEvent;
    type Position = i64;

    fn topic(&self) -> Topic {
        Topic::LeaseEvents
    }

    fn fetch(&self, engine: &Engine, after: i64) -> Result<Batch<LeaseEvent, i64>> {
        engine.read(|tx| {
            let rows = tx.lease_events_after(after, self.execution.as_ref(), EVENT_PAGE)?;
            event_batch(rows, || tx.last_lease_event_id())
        })
    }
}

/// A batch of outbox rows. When none matched the filters, the read still saw every row up to
/// the outbox's newest id, so the position moves there and later reads skip them.
fn event_batch<I>(rows: Vec<(i64, I)>, newest: impl FnOnce() -> Result<i64>) -> Result<Batch<I, i64>> {
    let last = match rows.last() {
        Some((id, _)) => Some(*id),
        None => Some(newest()?),
    };
    Ok(Batch { items: rows.into_iter().map(|(_, item)| item).collect(), last, ended: false })
}
