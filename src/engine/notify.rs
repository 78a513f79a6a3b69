//! Wakeups for waiters: stream tails and the followers of the two outboxes.
//!
//! Invariants:
//! 1. A wakeup carries no data. A woken waiter re-reads the tables, so a wakeup that arrives
//!    early, twice, or for a row it filters out costs one query and loses nothing.
//! 2. Waiters are keyed by [`Topic`]: `wake(topic)` touches only that topic's waiters (one
//!    stream, or one outbox). Engines fire wakeups only after their transaction committed.
//! 3. A waiter subscribes *before* it queries, so an append that commits between its query and
//!    its wait still wakes it.
//! 4. Dropping a [`Subscription`] unregisters it; the registry never holds dead waiters.
//!
//! Single-threaded by design (wasm has one thread per instance): `Rc` and `RefCell`, no locks.

pub use crate::model::StreamKey;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

/// What a waiter waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// New frames or the close of one (execution, attempt) stream.
    Stream(StreamKey),
    /// New rows in the completion outbox.
    Completions,
    /// New rows in the lease-event outbox.
    LeaseEvents,
}

/// The shared state of one waiter: fired once, wakes whoever polls it.
#[derive(Default)]
pub struct Signal {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Signal {
    pub fn fire(&self) {
        self.fired.set(true);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    pub fn is_fired(&self) -> bool {
        self.fired.get()
    }

    /// Polls the signal: ready once fired, else remembers the waker.
    pub fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.get() {
            Poll::Ready(())
        } else {
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    waiters: HashMap<Topic, Vec<(u64, Rc<Signal>)>>,
}

#[derive(Default, Clone)]
pub struct Notifier {
    registry: Rc<RefCell<Registry>>,
}

impl Notifier {
    /// Registers a waiter on `key`; it is woken by the next `wake(key)` after this call.
    pub fn subscribe(&self, key: Topic) -> Subscription {
        let signal = Rc::new(Signal::default());
        let mut reg = self.registry.borrow_mut();
        let id = reg.next_id;
        reg.next_id += 1;
        reg.waiters.entry(key).or_default().push((id, signal.clone()));
        Subscription { key, id, signal, registry: Rc::downgrade(&self.registry) }
    }

    /// Wakes every waiter of one topic.
    pub fn wake(&self, key: &Topic) {
        let signals: Vec<Rc<Signal>> = match self.registry.borrow().waiters.get(key) {
            Some(list) => list.iter().map(|(_, s)| s.clone()).collect(),
            None => return,
        };
        // Fired outside the borrow: a woken task may subscribe again at once.
        for s in signals {
            s.fire();
        }
    }

    /// Wakes every waiter of every topic (used when the database closes).
    pub fn wake_all(&self) {
        let signals: Vec<Rc<Signal>> =
            self.registry.borrow().waiters.values().flatten().map(|(_, s)| s.clone()).collect();
        for s in signals {
            s.fire();
        }
    }

    /// Registered waiters, across all topics: 0 once every follower has finished or been released.
    pub fn waiter_count(&self) -> usize {
        self.registry.borrow().waiters.values().map(Vec::len).sum()
    }
}

/// A registered waiter. Await it (or poll its signal) to wait for the next wakeup.
pub struct Subscription {
    key: Topic,
    id: u64,
    signal: Rc<Signal>,
    registry: Weak<RefCell<Registry>>,
}

impl Subscription {
    /// The signal behind this subscription, so a timer or an abort can fire it too.
    pub fn signal(&self) -> Rc<Signal> {
        self.signal.clone()
    }
}

impl Future for Subscription {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.signal.poll_fired(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let Some(registry) = self.registry.upgrade() else { return };
        let mut reg = registry.borrow_mut();
        if let Some(list) = reg.waiters.get_mut(&self.key) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                reg.waiters.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::ExecutionId;

    fn key(n: u8, attempt: u32) -> Topic {
        Topic::Stream((ExecutionId::from_random([n; 16]), attempt))
    }

    #[test]
    fn wake_reaches_exactly_the_waiters_of_that_stream() {
        let n = Notifier::default();
        let a1 = n.subscribe(key(1, 0));
        let a2 = n.subscribe(key(1, 0));
        let other_attempt = n.subscribe(key(1, 1));
        let other_exec = n.subscribe(key(2, 0));
        let outbox = n.subscribe(Topic::Completions);
        n.wake(&key(1, 0));
        assert!(a1.signal.is_fired() && a2.signal.is_fired());
        assert!(!other_attempt.signal.is_fired() && !other_exec.signal.is_fired());
        assert!(!outbox.signal.is_fired());
        n.wake(&Topic::Completions);
        assert!(outbox.signal.is_fired() && !other_exec.signal.is_fired());
    }

    #[test]
    fn dropping_a_subscription_unregisters_it() {
        let n = Notifier::default();
        let subs: Vec<_> = (0..100).map(|i| n.subscribe(key(i % 3, 0))).collect();
        assert_eq!(n.waiter_count(), 100);
        drop(subs);
        assert_eq!(n.waiter_count(), 0);
        n.wake(&key(0, 0)); // nothing left to wake, no panic
    }

    #[test]
    fn a_subscription_outliving_its_notifier_drops_cleanly() {
        let n = Notifier::default();
        let s = n.subscribe(key(1, 0));
        drop(n);
        drop(s);
    }
}
