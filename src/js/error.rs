//! The single place that turns an [`EngineError`] into a JS `Error`:
//! `name = "FlowFabricError"`, with `kind`, `code`, `retryable` and the message.

use crate::error::{EngineError, Result};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

pub fn to_js(err: &EngineError) -> JsValue {
    let e = js_sys::Error::new(&err.message);
    e.set_name("FlowFabricError");
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&e, &k.into(), &v);
    };
    set("kind", err.kind().as_str().into());
    set("code", err.code.as_str().into());
    set("retryable", err.is_retryable().into());
    e.into()
}

/// Runs a synchronous operation and settles a Promise with its outcome.
pub fn settle(op: impl FnOnce() -> Result<JsValue>) -> js_sys::Promise {
    match op() {
        Ok(v) => js_sys::Promise::resolve(&v),
        Err(e) => js_sys::Promise::reject_typed(&to_js(&e)),
    }
}
