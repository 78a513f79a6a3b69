//! `Backend`: the exported database handle, and the one list of its operations (the package's
//! wrapper, the `openInWorker` proxy and the worker all derive theirs from this class). A thin
//! handle over `Rc` state, so a pending wait never holds a borrow of the object ("recursive
//! use" cannot happen). Each method converts its arguments, calls the engine and converts the
//! result; errors cross through `From<EngineError> for JsValue`.

use super::convert;
use super::convert::describe;
use super::follower::{Follower, Source};
use super::group::Group;
use super::open;
use super::output::to_js;
use super::requests;
use super::timer;
use crate::engine::{Engine, Purpose, Request};
use crate::error::{EngineError, ErrorCode, Result};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

pub(super) struct Inner {
    pub engine: Engine,
    name: String,
    storage: &'static str,
    pub(super) group: Group,
    /// The tab call being run now, while `__asRequest` runs one (src/js/requests.rs).
    pub(super) request: RefCell<Option<Request>>,
}

/// A backend collected without `close()` (the package builds with weak refs) still closes its
/// database, which frees an OPFS name for later `open`s in this context.
impl Drop for Inner {
    fn drop(&mut self) {
        drop(self.engine.close());
    }
}

impl Inner {
    /// The Promise of a synchronous operation: settled now, or when the group it ran in ends.
    /// Every operation's outcome passes here, so this is where a tab's call (`__asRequest`)
    /// gets its outcome recorded, in the transaction of its effects.
    fn settle(&self, op: impl FnOnce() -> Result<JsValue>) -> js_sys::Promise {
        let outcome = match self.request.take() {
            None => op(),
            Some(request) => self.engine.remember(&request, op, requests::encode),
        };
        self.group.settle(outcome)
    }

    /// A handle operation's other arguments, converted. When they are unusable and the handle
    /// is dead too, the dead handle is what gets reported (decision 2: fence first).
    fn fenced<T>(&self, token: &str, purpose: Purpose, converted: Result<T>) -> Result<T> {
        converted.map_err(|bad_input| self.engine.check_handle(token, purpose).err().unwrap_or(bad_input))
    }
}

/// A FlowFabric database. Create one with `open()`; every method returns a Promise except
/// `tail`, `completions` and `leaseHistory`, which return async iterators at once.
#[wasm_bindgen]
pub struct Backend {
    pub(super) inner: Rc<Inner>,
}

/// Opens a database (see `open` in the package entry, which loads the module first).
#[wasm_bindgen(js_name = openBackend, unchecked_return_type = "Backend")]
pub async fn open_backend(
    #[wasm_bindgen(unchecked_param_type = "OpenOptions | undefined")] options: JsValue,
) -> Result<Backend, JsValue> {
    let opened = open::open(&options).await?;
    Ok(Backend {
        inner: Rc::new(Inner {
            engine: opened.engine,
            name: opened.name,
            storage: opened.storage,
            group: Group::default(),
            request: RefCell::default(),
        }),
    })
}

impl Backend {
    /// Refuses calls that need the whole database while a group commit runs.
    fn not_in_group(&self, what: &str) -> Result<()> {
        if self.inner.group.is_open() {
            return Err(EngineError::invalid(format!(
                "{what}() cannot run inside groupCommit; call it after"
            )));
        }
        Ok(())
    }
}

fn describe_thrown(thrown: &JsValue) -> String {
    js_sys::Reflect::get(thrown, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .map(|m| crate::error::quote(&m))
        .unwrap_or_else(|| describe(thrown))
}

#[wasm_bindgen]
impl Backend {
    /// The database name given to `open`.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// Where the database lives: `"memory"` or `"opfs"`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"memory\" | \"opfs\" | \"durable-object\"")]
    pub fn storage(&self) -> String {
        self.inner.storage.into()
    }

    #[wasm_bindgen(js_name = createExecution, unchecked_return_type = "Promise<Created>")]
    pub fn create_execution(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CreateExecutionSpec")] spec: Option<JsValue>,
    ) -> js_sys::Promise {
        let spec = spec.unwrap_or_default();
        self.inner.settle(|| to_js(&self.inner.engine.create_execution(&convert::create_spec(&spec)?)?))
    }

    #[wasm_bindgen(js_name = getExecution, unchecked_return_type = "Promise<ExecutionInfo | null>")]
    pub fn get_execution(
        &self,
        #[wasm_bindgen(js_name = executionId, unchecked_param_type = "string")] execution_id: JsValue,
    ) -> js_sys::Promise {
        self.inner.settle(|| to_js(&self.inner.engine.get_execution(&convert::execution_id(&execution_id)?)?))
    }

    /// One page of executions, oldest first; pass `nextCursor` as `after` for the next one.
    #[wasm_bindgen(js_name = listExecutions, unchecked_return_type = "Promise<ExecutionPage>")]
    pub fn list_executions(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListExecutionsOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let options = options.unwrap_or_default();
        self.inner.settle(|| to_js(&self.inner.engine.list_executions(&convert::list_spec(&options)?)?))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<Handle | null>")]
    pub fn claim(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClaimOptions")] options: JsValue,
    ) -> js_sys::Promise {
        self.inner.settle(|| to_js(&self.inner.engine.claim(&convert::claim_spec(&options)?)?))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<Renewal>")]
    pub fn renew(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle | string")] handle: JsValue,
    ) -> js_sys::Promise {
        self.inner.settle(|| to_js(&self.inner.engine.renew(&convert::handle_token(&handle)?)?))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn progress(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle | string")] handle: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ProgressInput")] progress: JsValue,
    ) -> js_sys::Promise {
        self.inner.settle(|| {
            let token = convert::handle_token(&handle)?;
            let (percent, message) =
                self.inner.fenced(&token, Purpose::Lease, convert::progress(&progress))?;
            self.inner.engine.progress(&token, percent, message.as_deref())?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn complete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle | string")] handle: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Payload")] result: Option<JsValue>,
    ) -> js_sys::Promise {
        self.inner.settle(|| {
            let token = convert::handle_token(&handle)?;
            let converted = result.map(|r| convert::bytes(&r, "result")).transpose();
            let result = self.inner.fenced(&token, Purpose::Lease, converted)?;
            self.inner.engine.complete(&token, result)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<FailOutcome>")]
    pub fn fail(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle | string")] handle: JsValue,
        #[wasm_bindgen(unchecked_param_type = "FailureInfo")] failure: JsValue,
    ) -> js_sys::Promise {
        self.inner.settle(|| {
            let token = convert::handle_token(&handle)?;
            let (message, class) = self.inner.fenced(&token, Purpose::Lease, convert::failure(&failure))?;
            to_js(&self.inner.engine.fail(&token, &message, class)?)
        })
    }

    /// Cancels by handle (or bare token) as the lease holder, or by execution id as an operator.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn cancel(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle | string")] target: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] reason: Option<JsValue>,
    ) -> js_sys::Promise {
        self.inner.settle(|| {
            let target = convert::cancel_target(&target)?;
            let reason = reason.map(|r| convert::string(&r, "reason")).transpose();
            let reason = match &target {
                crate::model::CancelTarget::Handle(token) => {
                    self.inner.fenced(token, Purpose::Lease, reason)?
                }
                crate::model::CancelTarget::Execution(_) => reason?,
            };
            self.inner.engine.cancel(&target, reason.as_deref())?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Ends every expired lease now; resolves how many executions became reclaimable.
    #[wasm_bindgen(js_name = reclaimExpired, unchecked_return_type = "Promise<number>")]
    pub fn reclaim_expired(&self) -> js_sys::Promise {
        self.inner.settle(|| Ok(JsValue::from(self.inner.engine.reclaim_expired()?)))
    }

    /// When the next live lease expires (Unix ms), or `null` while no lease is live: when to
    /// call `reclaimExpired()` if no claim will come (a Durable Object alarm, a timer).
    #[wasm_bindgen(js_name = nextLeaseExpiryMs, unchecked_return_type = "Promise<number | null>")]
    pub fn next_lease_expiry_ms(&self) -> js_sys::Promise {
        self.inner.settle(|| to_js(&self.inner.engine.next_lease_expiry()?))
    }

    #[wasm_bindgen(js_name = appendFrame, unchecked_return_type = "Promise<AppendResult>")]
    pub fn append_frame(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Handle | string")] handle: JsValue,
        #[wasm_bindgen(unchecked_param_type = "FrameInput")] frame: JsValue,
    ) -> js_sys::Promise {
        self.inner.settle(|| {
            let token = convert::handle_token(&handle)?;
            let spec = self.inner.fenced(&token, Purpose::Append, convert::frame_spec(&frame))?;
            to_js(&self.inner.engine.append_frame(&token, &spec)?)
        })
    }

    #[wasm_bindgen(js_name = readStream, unchecked_return_type = "Promise<StreamFrames>")]
    pub fn read_stream(
        &self,
        #[wasm_bindgen(js_name = executionId, unchecked_param_type = "string")] execution_id: JsValue,
        #[wasm_bindgen(js_name = attemptIndex, unchecked_param_type = "number")] attempt_index: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ReadStreamOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let options = options.unwrap_or_default();
        self.inner.settle(|| {
            let id = convert::execution_id(&execution_id)?;
            let index = convert::attempt_index(&attempt_index)?;
            to_js(&self.inner.engine.read_stream(&id, index, &convert::read_spec(&options)?)?)
        })
    }

    /// Frames after `after`; waits up to `blockMs` for the first one.
    #[wasm_bindgen(js_name = tailStream, unchecked_return_type = "Promise<StreamFrames>")]
    pub fn tail_stream(
        &self,
        #[wasm_bindgen(js_name = executionId, unchecked_param_type = "string")] execution_id: JsValue,
        #[wasm_bindgen(js_name = attemptIndex, unchecked_param_type = "number")] attempt_index: JsValue,
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
            Err(e) => return self.inner.settle(|| Err(e)),
        };
        let inner = self.inner.clone();
        future_to_promise(async move {
            let frames = inner.engine.tail_stream(&id, index, &spec, timer::sleep).await?;
            Ok(to_js(&frames)?)
        })
    }

    #[wasm_bindgen(js_name = readSummary, unchecked_return_type = "Promise<Summary | null>")]
    pub fn read_summary(
        &self,
        #[wasm_bindgen(js_name = executionId, unchecked_param_type = "string")] execution_id: JsValue,
        #[wasm_bindgen(js_name = attemptIndex, unchecked_param_type = "number")] attempt_index: JsValue,
    ) -> js_sys::Promise {
        self.inner.settle(|| {
            let id = convert::execution_id(&execution_id)?;
            let index = convert::attempt_index(&attempt_index)?;
            to_js(&self.inner.engine.read_summary(&id, index)?)
        })
    }

    /// Every frame after `after` (default `"0-0"`), in order, waiting for new ones; done once
    /// the stream is closed and drained. A sync call.
    #[wasm_bindgen(unchecked_return_type = "FollowerOf<Frame>")]
    pub fn tail(
        &self,
        #[wasm_bindgen(js_name = executionId, unchecked_param_type = "string")] execution_id: JsValue,
        #[wasm_bindgen(js_name = attemptIndex, unchecked_param_type = "number")] attempt_index: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "TailOptions")] options: Option<JsValue>,
    ) -> Follower {
        Follower::open(self.inner.clone(), options, |options| {
            let id = convert::execution_id(&execution_id)?;
            let index = convert::attempt_index(&attempt_index)?;
            let spec = convert::tail_spec(options, Some("0-0"))?;
            Ok(Source::Stream(self.inner.engine.follow_stream(&id, index, &spec)?))
        })
    }

    /// Completion events (one per terminal outcome) after `after`, then live. A sync call.
    #[wasm_bindgen(unchecked_return_type = "FollowerOf<CompletionEvent>")]
    pub fn completions(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CompletionsOptions")] options: Option<JsValue>,
    ) -> Follower {
        Follower::open(self.inner.clone(), options, |options| {
            Ok(Source::Completions(
                self.inner.engine.follow_completions(&convert::completions_spec(options)?)?,
            ))
        })
    }

    /// Lease events after `after`, then live. A sync call.
    #[wasm_bindgen(js_name = leaseHistory, unchecked_return_type = "FollowerOf<LeaseEvent>")]
    pub fn lease_history(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "LeaseHistoryOptions")] options: Option<JsValue>,
    ) -> Follower {
        Follower::open(self.inner.clone(), options, |options| {
            Ok(Source::Leases(
                self.inner.engine.follow_lease_history(&convert::lease_history_spec(options)?)?,
            ))
        })
    }

    /// The methods above that return iterators rather than Promises: the one table the
    /// `openInWorker` proxy reads to know which calls are sync (a test checks it).
    #[wasm_bindgen(js_name = iteratorMethods, getter, unchecked_return_type = "string[]")]
    pub fn iterator_methods() -> js_sys::Array {
        ["tail", "completions", "leaseHistory"].iter().map(|m| JsValue::from_str(m)).collect()
    }

    /// The database as a standard SQLite file (opens with the `sqlite3` CLI).
    #[wasm_bindgen(js_name = exportImage, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn export_image(&self) -> js_sys::Promise {
        self.inner
            .settle(|| Ok(js_sys::Uint8Array::from(self.inner.engine.export_image()?.as_slice()).into()))
    }

    /// Benchmarks only: `count` one-row `INSERT` transactions into a scratch table through
    /// this database's own SQLite connection and storage, the limit engine rates are compared
    /// with (docs/API.md, `benchRawInserts`). The caller times it.
    #[wasm_bindgen(js_name = benchRawInserts, unchecked_return_type = "Promise<void>")]
    pub fn bench_raw_inserts(&self, count: JsValue) -> js_sys::Promise {
        self.inner.settle(|| {
            let count = count.as_f64().ok_or_else(|| {
                EngineError::invalid(format!("benchRawInserts needs a row count, got {}", describe(&count)))
            })?;
            self.inner.engine.raw_insert_baseline(count)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Waiters registered by tails and event iterators; 0 when none is waiting (finds leaks).
    /// A Promise, like every call that may cross to a worker.
    #[wasm_bindgen(js_name = waiterCount, unchecked_return_type = "Promise<number>")]
    pub fn waiter_count(&self) -> js_sys::Promise {
        self.inner.settle(|| Ok(JsValue::from(self.inner.engine.waiter_count() as u32)))
    }

    /// Closes the database and releases its storage. Idempotent.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> js_sys::Promise {
        self.inner.settle(|| {
            self.not_in_group("close")?;
            drop(self.inner.engine.close());
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Closes the database and deletes it: an OPFS database's files are removed, so the next
    /// `open` of its name starts empty. Later calls (and `destroy` after `close`) reject with
    /// `state/closed`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn destroy(&self) -> js_sys::Promise {
        if let Err(e) = self.not_in_group("destroy") {
            return self.inner.settle(|| Err(e));
        }
        let Some(store) = self.inner.engine.close() else {
            return self.inner.settle(|| Err(EngineError::new(ErrorCode::Closed, "the database is closed")));
        };
        future_to_promise(async move {
            store.destroy().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Runs `run()` and joins every call it makes on this backend into one transaction:
    /// one commit for all of them (an OPFS commit costs milliseconds; many calls share it).
    /// Each call still fails or succeeds on its own, and its Promise settles only after the
    /// commit, with its own result. Resolves what `run` returns; if `run` throws, nothing it did
    /// is kept and every call rejects. Groups do not nest; `close`, `destroy` and
    /// `exportImage` are refused inside one.
    #[wasm_bindgen(js_name = groupCommit, unchecked_return_type = "Promise<unknown>")]
    pub fn group_commit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "() => unknown")] run: JsValue,
    ) -> js_sys::Promise {
        let outcome = self.inner.group.run(|| {
            let run: &js_sys::Function = run.dyn_ref().ok_or_else(|| {
                EngineError::invalid(format!("groupCommit needs a function, got {}", describe(&run)))
            })?;
            self.inner.engine.group(|| {
                run.call0(&JsValue::UNDEFINED).map_err(|thrown| {
                    EngineError::invalid(format!(
                        "the groupCommit callback threw ({}); nothing it did was kept",
                        describe_thrown(&thrown)
                    ))
                })
            })
        });
        self.inner.settle(|| outcome)
    }

    /// `close()`, for `await using`.
    #[wasm_bindgen(js_name = "[Symbol.asyncDispose]", unchecked_return_type = "Promise<void>")]
    pub fn async_dispose(&self) -> js_sys::Promise {
        self.close()
    }
}
