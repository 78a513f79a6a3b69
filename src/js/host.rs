//! The JS host: the user's `now()` clock (or `Date.now`), and `crypto.getRandomValues`.

use crate::error::{EngineError, Result};
use crate::host::Host;
use js_sys::{Function, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

/// Random bytes fetched per call to `getRandomValues` (its limit is 65,536). Every claim and
/// create takes 16 to 32; one crossing to JS per call was a tenth of a claim's time.
const RANDOM_POOL: usize = 4096;

pub struct JsHost {
    clock: Option<Function>,
    /// Unused bytes of the last `getRandomValues` batch, taken from the end.
    random: RefCell<Vec<u8>>,
}

impl JsHost {
    pub fn new(clock: Option<Function>) -> Self {
        JsHost { clock, random: RefCell::new(Vec::new()) }
    }
}

/// A batch of `len` bytes from Web Crypto, or `None` where it is missing.
fn crypto_bytes(len: usize) -> Option<Vec<u8>> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let get = Reflect::get(&crypto, &"getRandomValues".into()).ok()?.dyn_into::<Function>().ok()?;
    let array = Uint8Array::new_with_length(len as u32);
    get.call1(&crypto, &array).ok()?;
    Some(array.to_vec())
}

impl Host for JsHost {
    fn now_ms(&self) -> Result<i64> {
        let Some(clock) = &self.clock else { return Ok(js_sys::Date::now() as i64) };
        let value = clock
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| EngineError::invalid(format!("the now() clock threw: {}", describe_thrown(&e))))?;
        match value.as_f64() {
            Some(ms) if ms.is_finite() && (0.0..9.0e15).contains(&ms) => Ok(ms.floor() as i64),
            _ => Err(EngineError::invalid(format!(
                "the now() clock returned {}; it must return Unix milliseconds (a finite number >= 0)",
                super::convert::describe(&value)
            ))),
        }
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        let mut pool = self.random.borrow_mut();
        if pool.len() < buf.len() {
            *pool = crypto_bytes(RANDOM_POOL.max(buf.len())).unwrap_or_default();
        }
        if pool.len() >= buf.len() {
            let rest = pool.len() - buf.len();
            buf.copy_from_slice(&pool[rest..]);
            pool.truncate(rest);
        } else {
            // No Web Crypto (very old runtimes): ids stay unique in practice, if predictable.
            for b in buf.iter_mut() {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
    }
}

fn describe_thrown(e: &JsValue) -> String {
    Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| super::convert::describe(e))
}
