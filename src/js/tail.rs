//! `StreamTail`: the iterator object behind `tail()`. `next()` resolves `{ done, value }`;
//! `return()` and `release()` end it and unregister its waiter at once.

use super::backend::Inner;
use super::error::to_js;
use super::output;
use crate::engine::TailCursor;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen]
pub struct StreamTail {
    state: Rc<(Rc<Inner>, TailCursor)>,
}

impl StreamTail {
    pub(super) fn new(backend: Rc<Inner>, cursor: TailCursor) -> Self {
        StreamTail { state: Rc::new((backend, cursor)) }
    }
}

#[wasm_bindgen]
impl StreamTail {
    /// The next frame: `{ done: false, value: Frame }`, or `{ done: true }` once the stream is
    /// closed and drained. Call one at a time (the package's `tail()` does).
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<Frame, undefined>>")]
    pub fn next(&self) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (backend, cursor) = &*state;
            cursor.next(&backend.engine).await.map(output::iter_result).map_err(|e| to_js(&e))
        })
    }

    /// Ends the iteration (a pending `next()` resolves `{ done: true }`).
    #[wasm_bindgen(js_name = "return", unchecked_return_type = "Promise<IteratorResult<Frame, undefined>>")]
    pub fn return_(&self) -> js_sys::Promise {
        self.release();
        js_sys::Promise::resolve(&output::iter_result(None))
    }

    pub fn release(&self) {
        self.state.1.release();
    }
}
