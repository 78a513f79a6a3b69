//! `Follower`: the async iterator `tail()`, `completions()` and `leaseHistory()` return.
//! `next()` resolves `{ done, value }`; `return()` (what `break` calls) and an aborted `signal`
//! end it and unregister its waiter at once. Bad options do not throw from the sync call:
//! they reject the first `next()`, the same with or without `openInWorker`.

use super::backend::Inner;
use super::output::{iter_result, to_js};
use crate::engine::{self, CompletionFeed, LeaseFeed, StreamFeed};
use crate::error::{EngineError, Result};
use js_sys::{Function, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

pub(super) enum Source {
    Stream(engine::Follower<StreamFeed>),
    Completions(engine::Follower<CompletionFeed>),
    Leases(engine::Follower<LeaseFeed>),
    /// The options were bad: the first `next()` rejects with this, later ones are done.
    Failed(RefCell<Option<JsValue>>),
}

struct State {
    backend: Rc<Inner>,
    source: Source,
    /// The caller's `AbortSignal`, if any.
    signal: Option<JsValue>,
}

impl State {
    fn release(&self) {
        match &self.source {
            Source::Stream(f) => f.release(),
            Source::Completions(f) => f.release(),
            Source::Leases(f) => f.release(),
            Source::Failed(error) => drop(error.take()),
        }
    }

    async fn next(&self) -> Result<JsValue> {
        let engine = &self.backend.engine;
        match &self.source {
            Source::Stream(f) => iter_result(f.next(engine).await?),
            Source::Completions(f) => iter_result(f.next(engine).await?),
            Source::Leases(f) => iter_result(f.next(engine).await?),
            Source::Failed(_) => iter_result::<()>(None),
        }
    }

    /// Up to `max` items as one array (empty once done).
    async fn next_batch(&self, max: usize) -> Result<JsValue> {
        let engine = &self.backend.engine;
        match &self.source {
            Source::Stream(f) => to_js(&f.next_batch(engine, max).await?),
            Source::Completions(f) => to_js(&f.next_batch(engine, max).await?),
            Source::Leases(f) => to_js(&f.next_batch(engine, max).await?),
            Source::Failed(_) => Ok(js_sys::Array::new().into()),
        }
    }

    /// The signal's reason once it aborted (a `DOMException` named "AbortError" unless the
    /// caller gave another), else `None`.
    fn aborted(&self) -> Option<JsValue> {
        let signal = self.signal.as_ref()?;
        if !get(signal, "aborted").is_truthy() {
            return None;
        }
        let reason = get(signal, "reason");
        Some(if reason.is_undefined() { abort_error() } else { reason })
    }
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or_default()
}

fn abort_error() -> JsValue {
    let make = || -> Option<JsValue> {
        let class = get(&js_sys::global(), "DOMException").dyn_into::<Function>().ok()?;
        let args = js_sys::Array::of2(&"The operation was aborted".into(), &"AbortError".into());
        Reflect::construct(&class, &args).ok()
    };
    make().unwrap_or_else(|| js_sys::Error::new("The operation was aborted").into())
}

/// Checks an options object's `signal`: absent, or an `AbortSignal`.
fn signal_of(options: &JsValue) -> Result<Option<JsValue>> {
    let signal = get(options, "signal");
    if signal.is_undefined() {
        return Ok(None);
    }
    let class = get(&js_sys::global(), "AbortSignal");
    let proto = get(&class, "prototype");
    // A Proxy whose getPrototypeOf trap throws is simply not a signal.
    let is_signal =
        class.is_function() && proto.is_object() && super::reflect::has_prototype(&signal, &proto);
    if is_signal {
        Ok(Some(signal))
    } else {
        Err(EngineError::invalid("options.signal must be an AbortSignal"))
    }
}

type StepFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue>>>>;

#[wasm_bindgen]
pub struct Follower {
    state: Rc<State>,
    /// Shared by the JS objects of this iterator (it and its `[Symbol.asyncIterator]()`), never
    /// by a pending `next()`: once all of them are collected, nobody can read what a waiting
    /// `next()` would bring, so the iterator is released and its waiter goes.
    _held: Rc<Held>,
}

/// Releases the iterator when the last JS object holding it is collected.
struct Held(std::rc::Weak<State>);

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(state) = self.0.upgrade() {
            state.release();
        }
    }
}

impl Follower {
    /// An iterator over what `source` opens from the options (and their `signal`). Bad options
    /// make a follower whose first `next()` rejects: the call itself never throws.
    pub(super) fn open(
        backend: Rc<Inner>,
        options: Option<JsValue>,
        source: impl FnOnce(&JsValue) -> Result<Source>,
    ) -> Self {
        let options = options.unwrap_or_default();
        let (source, signal) = match source(&options).and_then(|s| Ok((s, signal_of(&options)?))) {
            Ok(parts) => parts,
            Err(e) => (Source::Failed(RefCell::new(Some(e.into()))), None),
        };
        let state = Rc::new(State { backend, source, signal });
        Follower { _held: Rc::new(Held(Rc::downgrade(&state))), state }
    }
}

#[wasm_bindgen]
impl Follower {
    /// The next item: `{ done: false, value }`, or `{ done: true }` once it ended.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<any, undefined>>")]
    pub fn next(&self) -> js_sys::Promise {
        self.step(|state| Box::pin(async move { state.next().await }))
    }

    /// Up to `max` items at once (at least one, waiting for it as `next` does; an empty array
    /// once done): what `openInWorker` uses so a busy stream costs one message per batch.
    #[wasm_bindgen(js_name = nextBatch, unchecked_return_type = "Promise<any[]>")]
    pub fn next_batch(&self, max: u32) -> js_sys::Promise {
        let max = max.clamp(1, 10_000) as usize;
        self.step(move |state| Box::pin(async move { state.next_batch(max).await }))
    }

    /// Ends the iteration at once (a pending `next()` resolves `{ done: true }`).
    #[wasm_bindgen(js_name = "return", unchecked_return_type = "Promise<IteratorResult<any, undefined>>")]
    pub fn return_(&self) -> js_sys::Promise {
        self.state.release();
        match iter_result::<()>(None) {
            Ok(done) => js_sys::Promise::resolve(&done),
            Err(e) => js_sys::Promise::reject_typed(&e.into()),
        }
    }

    /// The iterator itself (same position and waiter), for `for await`.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn async_iterator(&self) -> Follower {
        Follower { state: self.state.clone(), _held: self._held.clone() }
    }
}

impl Follower {
    /// Runs one step (`next` or `nextBatch`) with the failed-options, abort and release rules.
    fn step(&self, run: impl FnOnce(Rc<State>) -> StepFuture + 'static) -> js_sys::Promise {
        let state = self.state.clone();
        if let Source::Failed(error) = &state.source {
            if let Some(e) = error.take() {
                return js_sys::Promise::reject_typed(&e);
            }
        }
        if let Some(reason) = state.aborted() {
            state.release();
            return js_sys::Promise::reject_typed(&reason);
        }
        // An abort while waiting releases the follower, which ends the wait.
        let on_abort = state.signal.as_ref().map(|signal| {
            let released = state.clone();
            let listener = Closure::once_into_js(move || released.release());
            let add = get(signal, "addEventListener").unchecked_into::<Function>();
            let options = js_sys::Object::new();
            let _ = Reflect::set(&options, &"once".into(), &true.into());
            let _ = add.call3(signal, &"abort".into(), &listener, &options);
            (signal.clone(), listener)
        });
        future_to_promise(async move {
            let step = run(state.clone()).await;
            if let Some((signal, listener)) = on_abort {
                let remove = get(&signal, "removeEventListener").unchecked_into::<Function>();
                let _ = remove.call2(&signal, &"abort".into(), &listener);
            }
            if let Some(reason) = state.aborted() {
                return Err(reason);
            }
            Ok(step?)
        })
    }
}
