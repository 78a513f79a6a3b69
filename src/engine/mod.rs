//! The engine: FlowFabric semantics over a [`Store`], with an injected [`Host`] for time and
//! randomness and a [`Notifier`] for stream wakeups. Synchronous except for waiting on streams.
//!
//! Every mutation runs in one store transaction. Wakeups it causes are collected while it runs
//! and fired only after the commit; a failed mutation wakes nobody.

mod cursor;
mod events;
mod executions;
mod fence;
mod follow;
mod lifecycle;
mod notify;
mod retry;
mod streams;
mod summary;
mod tail;
pub mod token;
mod trim;
mod validate;

pub use cursor::Cursor;
pub use fence::Purpose;
pub use follow::{CompletionFeed, Feed, Follower, LeaseFeed, StreamFeed};
pub use lifecycle::RECLAIM_CAP;
pub use notify::{Notifier, Signal, StreamKey, Subscription, Topic};

use crate::error::{EngineError, ErrorCode, Result};
use crate::host::Host;
use crate::store::{Store, Tx};
use std::cell::RefCell;

pub struct Engine {
    store: RefCell<Option<Store>>,
    host: Box<dyn Host>,
    notifier: Notifier,
}

/// Topics whose waiters must hear about a committed change.
#[derive(Default)]
pub(crate) struct Wakes(Vec<Topic>);

impl Wakes {
    pub(crate) fn add(&mut self, key: Topic) {
        if !self.0.contains(&key) {
            self.0.push(key);
        }
    }
}

impl Engine {
    pub fn new(store: Store, host: Box<dyn Host>) -> Engine {
        Engine { store: RefCell::new(Some(store)), host, notifier: Notifier::default() }
    }

    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Waiters currently registered, of tails and event followers (0 when none is waiting).
    pub fn waiter_count(&self) -> usize {
        self.notifier.waiter_count()
    }

    pub(crate) fn now(&self) -> Result<i64> {
        self.host.now_ms()
    }

    pub(crate) fn random16(&self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        self.host.random_bytes(&mut bytes);
        bytes
    }

    fn closed() -> EngineError {
        EngineError::new(ErrorCode::Closed, "the database is closed")
    }

    /// Runs a read against the store (a consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        let guard = self.store.borrow();
        guard.as_ref().ok_or_else(Self::closed)?.read(f)
    }

    /// Runs one write transaction, then wakes the streams it touched.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Tx, &mut Wakes) -> Result<T>) -> Result<T> {
        let mut wakes = Wakes::default();
        let value = {
            let guard = self.store.borrow();
            guard.as_ref().ok_or_else(Self::closed)?.write(|tx| f(tx, &mut wakes))?
        };
        for key in &wakes.0 {
            self.notifier.wake(key);
        }
        Ok(value)
    }

    /// A copy of the whole database as a standard SQLite file.
    pub fn export_image(&self) -> Result<Vec<u8>> {
        let mut guard = self.store.borrow_mut();
        guard.as_mut().ok_or_else(Self::closed)?.export_image()
    }

    pub fn is_closed(&self) -> bool {
        self.store.borrow().is_none()
    }

    /// Closes the engine and hands back the store (so the caller can release its file).
    /// Waiting tails wake, find the engine closed and finish with `state/closed`.
    pub fn close(&self) -> Option<Store> {
        let store = self.store.borrow_mut().take();
        self.notifier.wake_all();
        store
    }
}
