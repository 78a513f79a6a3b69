//! Engine results to JS values: each record's serde form (`src/model/results.rs`), written by
//! serde-wasm-bindgen as plain, structured-cloneable objects (maps as objects, `None` as
//! `null`, bytes as `Uint8Array`).

use crate::error::{EngineError, ErrorCode, Result};
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Plain objects and `null` for absent values like JSON, but bytes as `Uint8Array` (the
/// `json_compatible` preset would make them arrays of numbers).
const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true).serialize_maps_as_objects(true);

pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    value
        .serialize(&SERIALIZER)
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
