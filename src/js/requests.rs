//! The plumbing of tabs sharing one database through a leader tab (js/leader.js; docs/API.md,
//! "Many tabs, one database"). Not part of the API: the names start with `__`, which the
//! package's method list and the surface tests leave out, and no TypeScript is generated.
//!
//! `__asRequest(client, seq, acked, run)` runs the one Backend call `run` makes as that tab's
//! call: if an earlier delivery of it was recorded, the recorded outcome comes back and `run`
//! is not called; else `Inner::settle` (src/js/backend.rs), where every operation's outcome
//! passes, records it with the call's effects (`Engine::remember`).

use super::backend::Backend;
use super::convert::describe;
use crate::engine::{Recorded, Request};
use crate::error::{EngineError, ErrorCode, Result};
use js_sys::{Function, Promise, JSON};
use wasm_bindgen::prelude::*;

/// A value the caller resolved with, as the JSON text recorded for it (`None`: `undefined`).
/// Every call that can change something resolves a JSON-safe value (docs/API.md).
pub(super) fn encode(value: &JsValue) -> Result<Option<String>> {
    if value.is_undefined() {
        return Ok(None);
    }
    let unrecordable = || EngineError::new(ErrorCode::Io, "a result could not be recorded as JSON");
    JSON::stringify(value).map_err(|_| unrecordable())?.as_string().map(Some).ok_or_else(unrecordable)
}

fn decode(recorded: Recorded) -> Result<JsValue> {
    match recorded? {
        None => Ok(JsValue::UNDEFINED),
        Some(text) => JSON::parse(&text)
            .map_err(|_| EngineError::new(ErrorCode::Corruption, "a recorded result is not JSON")),
    }
}

/// A whole number within JS's safe integer range.
fn whole(value: &JsValue, name: &str) -> Result<i64> {
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => Ok(n as i64),
        _ => Err(EngineError::invalid(format!("{name} must be a whole number, got {}", describe(value)))),
    }
}

fn request_of(client: &JsValue, seq: &JsValue, acked: &JsValue) -> Result<Request> {
    let client = client
        .as_string()
        .ok_or_else(|| EngineError::invalid(format!("client must be a string, got {}", describe(client))))?;
    Request::new(&client, whole(seq, "seq")?, whole(acked, "acked")?)
}

#[wasm_bindgen]
impl Backend {
    /// Runs the one call `run()` makes on this backend as call `seq` of tab `client` (whose
    /// calls below `acked` all had their replies): exactly once, however often it is delivered.
    #[wasm_bindgen(js_name = "__asRequest", skip_typescript)]
    pub fn as_request(&self, client: JsValue, seq: JsValue, acked: JsValue, run: JsValue) -> Promise {
        let inner = &self.inner;
        let request = match request_of(&client, &seq, &acked) {
            Ok(request) => request,
            Err(e) => return inner.group.settle(Err(e)),
        };
        match inner.engine.recall(&request) {
            Ok(None) => {}
            Ok(Some(recorded)) => return inner.group.settle(decode(recorded)),
            Err(e) => return inner.group.settle(Err(e)),
        }
        let Some(run) = run.dyn_ref::<Function>() else {
            return inner.group.settle(Err(EngineError::invalid("run must be a function")));
        };
        inner.request.replace(Some(request));
        let returned = run.call0(&JsValue::UNDEFINED);
        // A `run` that settled nothing (or threw first) must not pass its request on.
        inner.request.take();
        match returned {
            Ok(value) => value.dyn_into::<Promise>().unwrap_or_else(|value| Promise::resolve(&value)),
            Err(thrown) => Promise::reject(&thrown),
        }
    }

    /// Where `completions()` and `leaseHistory()` without `after` would start now, as cursors:
    /// `{ completions, leaseHistory }`. A tab resumes them from there at another leader.
    #[wasm_bindgen(js_name = "__outboxHeads", skip_typescript)]
    pub fn outbox_heads(&self) -> Promise {
        let heads = self.inner.engine.outbox_heads().map(|(completions, leases)| {
            let object = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&object, &"completions".into(), &completions.to_string().into());
            let _ = js_sys::Reflect::set(&object, &"leaseHistory".into(), &leases.to_string().into());
            JsValue::from(object)
        });
        self.inner.group.settle(heads)
    }

    /// Forgets the tab calls recorded before `beforeMs`; resolves how many.
    #[wasm_bindgen(js_name = "__forgetRequests", skip_typescript)]
    pub fn forget_requests(&self, before_ms: JsValue) -> Promise {
        let forgotten = whole(&before_ms, "beforeMs")
            .and_then(|ms| self.inner.engine.forget_requests_before(ms))
            .map(|n| JsValue::from(n as u32));
        self.inner.group.settle(forgotten)
    }
}
