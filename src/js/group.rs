//! Group commit for JS: `groupCommit(run)` runs `run()` with every Backend call it makes joined
//! into one transaction (see `Engine::group`). Those calls' Promises settle only after that
//! commit: resolved with their own results when it succeeds, rejected with its error when it
//! fails, so no caller ever sees a result that was not kept.

use crate::error::{EngineError, Result};
use js_sys::{Function, Promise};
use std::cell::RefCell;
use wasm_bindgen::JsValue;

/// A call made inside a group: its outcome, and its Promise's resolvers.
struct Deferred {
    outcome: std::result::Result<JsValue, JsValue>,
    resolve: Function,
    reject: Function,
}

/// The calls of the group in progress, if one is.
#[derive(Default)]
pub struct Group(RefCell<Option<Vec<Deferred>>>);

impl Group {
    /// The Promise of a call with this outcome: settled now, or at the group's end.
    pub fn settle(&self, outcome: Result<JsValue>) -> Promise {
        let outcome = outcome.map_err(JsValue::from);
        let mut open = self.0.borrow_mut();
        let Some(calls) = open.as_mut() else {
            return match outcome {
                Ok(v) => Promise::resolve(&v),
                Err(e) => Promise::reject_typed(&e),
            };
        };
        let mut resolvers = None;
        let promise = Promise::new(&mut |resolve, reject| resolvers = Some((resolve, reject)));
        if let Some((resolve, reject)) = resolvers {
            calls.push(Deferred { outcome, resolve, reject });
        }
        promise
    }

    pub fn is_open(&self) -> bool {
        self.0.borrow().is_some()
    }

    /// Runs `body` as the group: `body` decides (through the engine) whether it commits.
    /// Then settles every call made meanwhile, by that outcome.
    pub fn run<T>(&self, body: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.is_open() {
            return Err(EngineError::invalid("groupCommit calls do not nest"));
        }
        *self.0.borrow_mut() = Some(Vec::new());
        let outcome = body();
        let calls = self.0.borrow_mut().take().unwrap_or_default();
        let failure = outcome.as_ref().err().map(|e| JsValue::from(e.clone()));
        for call in calls {
            let _ = match (&failure, call.outcome) {
                (Some(error), _) => call.reject.call1(&JsValue::UNDEFINED, error),
                (None, Ok(value)) => call.resolve.call1(&JsValue::UNDEFINED, &value),
                (None, Err(error)) => call.reject.call1(&JsValue::UNDEFINED, &error),
            };
        }
        outcome
    }
}
