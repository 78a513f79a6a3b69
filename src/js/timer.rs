//! `blockMs` deadlines: a future over `setTimeout` that clears its timer when dropped, so a
//! finished wait leaves nothing scheduled (and never keeps a Node process alive).

use crate::engine::Signal;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

pub struct Sleep {
    signal: Rc<Signal>,
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

pub fn sleep(ms: u32) -> Sleep {
    let signal = Rc::new(Signal::default());
    let fire = signal.clone();
    let callback = Closure::wrap(Box::new(move || fire.fire()) as Box<dyn FnMut()>);
    let id = set_timeout(callback.as_ref().unchecked_ref(), ms.min(i32::MAX as u32) as i32);
    Sleep { signal, id, _callback: callback }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.signal.poll_fired(cx)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
