//! `Backend`: the exported database handle. A thin handle over `Rc` state, so a pending
//! `tailStream` never holds a borrow of the object ("recursive use" cannot happen).

use super::error::{settle, to_js};
use super::open::{self, OpfsLease};
use super::tail::StreamTail;
use super::{convert, output, timer};
use crate::engine::{Engine, TailCursor};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

pub(super) struct Inner {
    pub engine: Engine,
    name: String,
    storage: &'static str,
    opfs: RefCell<Option<OpfsLease>>,
}

impl Inner {
    /// Closes the engine, then gives OPFS storage back. Idempotent.
    fn shut(&self) {
        // Dropping the store closes its connection, which must happen before the OPFS release.
        drop(self.engine.close());
        if let Some(lease) = self.opfs.borrow_mut().take() {
            lease.release();
        }
    }
}

/// A backend collected without `close()` (the package uses weak refs) still frees its OPFS
/// name, or every later `open` of that name in this context would be `storage_busy`.
impl Drop for Inner {
    fn drop(&mut self) {
        self.shut();
    }
}

/// A FlowFabric database. Create one with `open()`; every method returns a Promise except
/// `tail`, which returns an async iterator at once.
#[wasm_bindgen]
pub struct Backend {
    inner: Rc<Inner>,
}

/// Opens a database (see `open` in the package entry, which loads the module first).
#[wasm_bindgen(js_name = openBackend, unchecked_return_type = "Backend")]
pub async fn open_backend(
    #[wasm_bindgen(unchecked_param_type = "OpenOptions | undefined")] options: JsValue,
) -> Result<Backend, JsValue> {
    let opened = open::open(&options).await.map_err(|e| to_js(&e))?;
    Ok(Backend {
        inner: Rc::new(Inner {
            engine: opened.engine,
            name: opened.name,
            storage: opened.storage,
            opfs: RefCell::new(opened.opfs),
        }),
    })
}

#[wasm_bindgen]
impl Backend {
    /// The database name given to `open`.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// `"memory"` or `"opfs"`.
    #[wasm_bindgen(getter)]
    pub fn storage(&self) -> String {
        self.inner.storage.into()
    }

    #[wasm_bindgen(js_name = createExecution, unchecked_return_type = "Promise<{ executionId: string, created: boolean }>")]
    pub fn create_execution(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateExecutionSpec | undefined")] spec: JsValue,
    ) -> js_sys::Promise {
        settle(|| Ok(output::created(self.inner.engine.create_execution(&convert::create_spec(&spec)?)?)))
    }

    #[wasm_bindgen(js_name = getExecution, unchecked_return_type = "Promise<ExecutionInfo | null>")]
    pub fn get_execution(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] execution_id: JsValue,
    ) -> js_sys::Promise {
        settle(|| {
            Ok(output::execution(self.inner.engine.get_execution(&convert::execution_id(&execution_id)?)?))
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<Handle | null>")]
    pub fn claim(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClaimOptions")] options: JsValue,
    ) -> js_sys::Promise {
        settle(|| Ok(output::handle(self.inner.engine.claim(&convert::claim_spec(&options)?)?)))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<{ leaseEpoch: number, expiresAtMs: number }>")]
    pub fn renew(&self, #[wasm_bindgen(unchecked_param_type = "Handle")] handle: JsValue) -> js_sys::Promise {
        settle(|| Ok(output::renewal(self.inner.engine.renew(&convert::handle_token(&handle)?)?)))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn progress(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle")] handle: JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ percent?: number, message?: string }")] progress: JsValue,
    ) -> js_sys::Promise {
        settle(|| {
            let token = convert::handle_token(&handle)?;
            let (percent, message) = convert::progress(&progress)?;
            self.inner.engine.progress(&token, percent, message.as_deref())?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn complete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle")] handle: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | undefined")] result: JsValue,
    ) -> js_sys::Promise {
        settle(|| {
            let token = convert::handle_token(&handle)?;
            let result = if result.is_undefined() || result.is_null() {
                None
            } else {
                Some(convert::bytes(&result, "result")?)
            };
            self.inner.engine.complete(&token, result)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<FailOutcome>")]
    pub fn fail(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle")] handle: JsValue,
        #[wasm_bindgen(unchecked_param_type = "FailureInfo")] failure: JsValue,
    ) -> js_sys::Promise {
        settle(|| {
            let token = convert::handle_token(&handle)?;
            let (message, class) = convert::failure(&failure)?;
            Ok(output::fail_outcome(self.inner.engine.fail(&token, &message, class)?))
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn cancel(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle | string")] target: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] reason: JsValue,
    ) -> js_sys::Promise {
        settle(|| {
            let target = convert::cancel_target(&target)?;
            let reason = match reason.as_string() {
                Some(r) => Some(r),
                None if reason.is_undefined() || reason.is_null() => None,
                None => {
                    return Err(crate::error::EngineError::invalid(format!(
                        "reason must be a string, got {}",
                        convert::describe(&reason)
                    )))
                }
            };
            self.inner.engine.cancel(&target, reason.as_deref())?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(js_name = reclaimExpired, unchecked_return_type = "Promise<number>")]
    pub fn reclaim_expired(&self) -> js_sys::Promise {
        settle(|| Ok(JsValue::from(self.inner.engine.reclaim_expired()?)))
    }

    #[wasm_bindgen(js_name = appendFrame, unchecked_return_type = "Promise<AppendResult>")]
    pub fn append_frame(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle")] handle: JsValue,
        #[wasm_bindgen(unchecked_param_type = "FrameInput")] frame: JsValue,
    ) -> js_sys::Promise {
        settle(|| {
            let token = convert::handle_token(&handle)?;
            Ok(output::appended(self.inner.engine.append_frame(&token, &convert::frame_spec(&frame)?)?))
        })
    }

    #[wasm_bindgen(js_name = readStream, unchecked_return_type = "Promise<StreamFrames>")]
    pub fn read_stream(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] execution_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] attempt_index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ReadStreamOptions | undefined")] options: JsValue,
    ) -> js_sys::Promise {
        settle(|| {
            let id = convert::execution_id(&execution_id)?;
            let index = convert::attempt_index(&attempt_index)?;
            Ok(output::stream_frames(self.inner.engine.read_stream(
                &id,
                index,
                &convert::read_spec(&options)?,
            )?))
        })
    }

    #[wasm_bindgen(js_name = tailStream, unchecked_return_type = "Promise<StreamFrames>")]
    pub fn tail_stream(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] execution_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] attempt_index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TailStreamOptions")] options: JsValue,
    ) -> js_sys::Promise {
        let args = (|| {
            Ok((
                convert::execution_id(&execution_id)?,
                convert::attempt_index(&attempt_index)?,
                convert::tail_spec(&options, None)?,
            ))
        })();
        let (id, index, spec) = match args {
            Ok(a) => a,
            Err(e) => return settle(|| Err(e)),
        };
        let inner = self.inner.clone();
        future_to_promise(async move {
            let frames = inner.engine.tail_stream(&id, index, &spec, timer::sleep).await;
            frames.map(output::stream_frames).map_err(|e| to_js(&e))
        })
    }

    /// The raw iterator behind the package's `tail()`; prefer `tail()`, which adds
    /// `for await` support and `signal`.
    #[wasm_bindgen(js_name = openTail)]
    pub fn open_tail(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] execution_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] attempt_index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TailOptions | undefined")] options: JsValue,
    ) -> Result<StreamTail, JsValue> {
        let cursor = (|| {
            let id = convert::execution_id(&execution_id)?;
            let index = convert::attempt_index(&attempt_index)?;
            let spec = convert::tail_spec(&options, Some("0-0"))?;
            TailCursor::new(&id, index, &spec.after, spec.visibility, spec.limit)
        })()
        .map_err(|e| to_js(&e))?;
        Ok(StreamTail::new(self.inner.clone(), cursor))
    }

    #[wasm_bindgen(js_name = readSummary, unchecked_return_type = "Promise<Summary | null>")]
    pub fn read_summary(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] execution_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] attempt_index: JsValue,
    ) -> js_sys::Promise {
        settle(|| {
            let id = convert::execution_id(&execution_id)?;
            let index = convert::attempt_index(&attempt_index)?;
            Ok(output::summary(self.inner.engine.read_summary(&id, index)?))
        })
    }

    /// The database as a standard SQLite file (opens with the `sqlite3` CLI).
    #[wasm_bindgen(js_name = exportImage, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn export_image(&self) -> js_sys::Promise {
        settle(|| Ok(js_sys::Uint8Array::from(self.inner.engine.export_image()?.as_slice()).into()))
    }

    /// Tail waiters currently registered; 0 when no tail is waiting (useful to find leaks).
    #[wasm_bindgen(js_name = waiterCount)]
    pub fn waiter_count(&self) -> u32 {
        self.inner.engine.waiter_count() as u32
    }

    /// Closes the database and releases its storage. Idempotent.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> js_sys::Promise {
        self.inner.shut();
        js_sys::Promise::resolve(&JsValue::UNDEFINED)
    }
}
