//! Engine results to JS values: each record's serde form (`src/model/results.rs`), written by
//! serde-wasm-bindgen as plain, structured-cloneable objects (maps as objects, `None` as
//! `null`, bytes as `Uint8Array`).

use crate::error::{EngineError, ErrorCode, Result};
use serde::Serialize;
use wasm_bindgen::JsValue;

pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| EngineError::new(ErrorCode::Io, format!("a result could not be converted for JS: {e}")))
}

/// `{ done, value }` for the iterators.
pub fn iter_result<T: Serialize>(value: Option<T>) -> Result<JsValue> {
    #[derive(Serialize)]
    struct Step<T> {
        done: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<T>,
    }
    let done = value.is_none();
    let out = to_js(&Step { done, value })?;
    if done {
        // `value: undefined`, as a finished built-in iterator reports it.
        let _ = js_sys::Reflect::set(&out, &"value".into(), &JsValue::UNDEFINED);
    }
    Ok(out)
}
