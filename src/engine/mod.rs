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
mod requests;
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
pub use requests::{Recorded, Request};

use crate::error::{EngineError, ErrorCode, Result};
use crate::host::Host;
use crate::store::{Store, Tx};
use std::cell::RefCell;
use std::rc::Rc;
use token::TokenData;

/// The most rows one baseline run inserts (a bad count must not hang a page).
const MAX_BASELINE_ROWS: f64 = 100_000.0;

pub struct Engine {
    store: RefCell<Option<Store>>,
    host: Box<dyn Host>,
    notifier: Notifier,
    /// While a [`Engine::group`] runs: the wakeups its writes caused, fired at its commit.
    group: RefCell<Option<Vec<Topic>>>,
    /// The last token decoded, with its text: a worker passes the same handle call after call.
    last_token: RefCell<Option<(String, Rc<TokenData>)>>,
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
        Engine {
            store: RefCell::new(Some(store)),
            host,
            notifier: Notifier::default(),
            group: RefCell::new(None),
            last_token: RefCell::new(None),
        }
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

    /// Decodes a handle token, reusing the last decoding when the text is the same. Only the
    /// decoding is reused: the fence still reads the attempt on every call.
    pub(crate) fn decode_token(&self, text: &str) -> Result<Rc<TokenData>> {
        if let Some((last, data)) = self.last_token.borrow().as_ref() {
            if last == text {
                return Ok(Rc::clone(data));
            }
        }
        let data = Rc::new(token::decode(text)?);
        *self.last_token.borrow_mut() = Some((text.to_owned(), Rc::clone(&data)));
        Ok(data)
    }

    fn closed() -> EngineError {
        EngineError::new(ErrorCode::Closed, "the database is closed")
    }

    /// Runs a read against the store (a consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        let guard = self.store.borrow();
        guard.as_ref().ok_or_else(Self::closed)?.read(f)
    }

    /// Runs one write transaction, then wakes what it touched. Inside a [`Engine::group`] it
    /// is a savepoint of the group's transaction, and its wakeups wait for the group's commit.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Tx, &mut Wakes) -> Result<T>) -> Result<T> {
        let mut wakes = Wakes::default();
        let value = {
            let guard = self.store.borrow();
            guard.as_ref().ok_or_else(Self::closed)?.write(|tx| f(tx, &mut wakes))?
        };
        match self.group.borrow_mut().as_mut() {
            Some(deferred) => deferred.extend(wakes.0),
            None => wakes.0.iter().for_each(|key| self.notifier.wake(key)),
        }
        Ok(value)
    }

    /// The storage limit for benchmarks: `count` one-row `INSERT` transactions through this
    /// database's own connection (see `store::baseline`). Not inside a group commit, which
    /// would make them one transaction.
    pub fn raw_insert_baseline(&self, count: f64) -> Result<()> {
        if !(count.fract() == 0.0 && (1.0..=MAX_BASELINE_ROWS).contains(&count)) {
            return Err(EngineError::invalid(format!(
                "the baseline's row count must be a whole number from 1 to {MAX_BASELINE_ROWS}, got {count}"
            )));
        }
        if self.group.borrow().is_some() {
            return Err(Self::busy_in_group());
        }
        let guard = self.store.borrow();
        guard.as_ref().ok_or_else(Self::closed)?.raw_inserts(count as u32)
    }

    /// Group commit: runs `f`, whose engine calls all join one transaction (each in its own
    /// savepoint, so one failing call undoes only itself), committed when `f` returns `Ok`
    /// and rolled back when it returns `Err`. Wakeups fire after that commit. Commits are what
    /// storage pays for (an OPFS commit costs milliseconds), so calls that arrive together are
    /// cheaper together. Groups do not nest; `export_image` and `close` wait until it ends.
    pub fn group<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let guard = self.store.borrow();
        let store = guard.as_ref().ok_or_else(Self::closed)?;
        if self.group.borrow().is_some() {
            return Err(EngineError::invalid("group commits do not nest"));
        }
        *self.group.borrow_mut() = Some(Vec::new());
        let outcome = store.write(|_| f());
        let deferred = self.group.borrow_mut().take().unwrap_or_default();
        drop(guard);
        let value = outcome?;
        let mut wakes = Wakes::default();
        deferred.into_iter().for_each(|key| wakes.add(key));
        wakes.0.iter().for_each(|key| self.notifier.wake(key));
        Ok(value)
    }

    fn busy_in_group() -> EngineError {
        EngineError::invalid("this call cannot run inside a group commit; call it after the group")
    }

    /// A copy of the whole database as a standard SQLite file.
    pub fn export_image(&self) -> Result<Vec<u8>> {
        let mut guard = self.store.try_borrow_mut().map_err(|_| Self::busy_in_group())?;
        guard.as_mut().ok_or_else(Self::closed)?.export_image()
    }

    pub fn is_closed(&self) -> bool {
        self.store.borrow().is_none()
    }

    /// Closes the engine and hands back the store (so the caller can release its file).
    /// Waiting tails wake, find the engine closed and finish with `state/closed`.
    /// Refused (`None`, nothing closed) while a group commit runs.
    pub fn close(&self) -> Option<Store> {
        let store = self.store.try_borrow_mut().ok()?.take();
        self.notifier.wake_all();
        store
    }
}
