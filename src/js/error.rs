//! The single crossing of errors into JS: `impl From<EngineError> for JsValue`, so `?` turns an
//! engine error into a rejection. The value is an instance of the package's `FlowFabricError`
//! class (registered once at load by `js/api.js`), with `kind`, `code` and `retryable`.

use crate::error::EngineError;
use js_sys::{Function, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The package's `FlowFabricError` class, once registered.
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the class rejections are made of. Called by the package right after the module
/// loads; without it (the raw module alone) errors are plain `Error`s named "FlowFabricError".
#[wasm_bindgen(js_name = setErrorClass)]
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

impl From<EngineError> for JsValue {
    fn from(err: EngineError) -> JsValue {
        let details = Object::new();
        let set = |o: &JsValue, k: &str, v: JsValue| {
            let _ = Reflect::set(o, &k.into(), &v);
        };
        set(&details, "kind", err.kind().as_str().into());
        set(&details, "code", err.code.as_str().into());
        set(&details, "retryable", err.is_retryable().into());
        let args = js_sys::Array::of2(&err.message.as_str().into(), &details);
        let registered = ERROR_CLASS.with(|c| c.borrow().clone());
        if let Some(made) = registered.and_then(|class| Reflect::construct(&class, &args).ok()) {
            return made;
        }
        let e: JsValue = js_sys::Error::new(&err.message).into();
        set(&e, "name", "FlowFabricError".into());
        for key in ["kind", "code", "retryable"] {
            set(&e, key, Reflect::get(&details, &key.into()).unwrap_or_default());
        }
        e
    }
}
