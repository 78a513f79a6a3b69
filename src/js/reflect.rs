//! Reflection that a hostile value cannot turn into a thrown exception. js-sys binds
//! `Array.isArray`, `Object.keys` and `isPrototypeOf` without `catch`: on a revoked Proxy, or a
//! Proxy whose traps throw, the exception would unwind through wasm and reach the caller as a
//! bare TypeError thrown synchronously (found by tests/js/hostile.test.mjs). Bound here with
//! `catch`, a throw becomes an `Err` that the conversions report as `invalid_input`.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    pub fn object_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;
}

/// `Array.isArray(v)`, or `None` when asking throws.
pub fn is_array(v: &JsValue) -> Option<bool> {
    array_is_array(v).ok()
}

/// `proto.isPrototypeOf(v)` (what `instanceof` asks), false when asking throws.
pub fn has_prototype(v: &JsValue, proto: &JsValue) -> bool {
    let is_prototype_of = Reflect::get(&Object::new(), &"isPrototypeOf".into());
    let Ok(method) = is_prototype_of.and_then(|m| m.dyn_into::<js_sys::Function>()) else {
        return false;
    };
    method.call1(proto, v).map(|r| r.is_truthy()).unwrap_or(false)
}
