//! Helpers shared by the native test files: a fresh engine on an in-memory store with a
//! hand-moved clock, shortcuts for the common calls, and a tiny executor for the async parts.
#![allow(dead_code)]

use ff_backend_wasm::engine::Signal;
use ff_backend_wasm::model::*;
use ff_backend_wasm::{Engine, ManualHost, Store};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

pub const T0: i64 = 1_700_000_000_000;

pub struct Fixture {
    pub engine: Engine,
    pub clock: Rc<ManualHost>,
}

pub fn fixture() -> Fixture {
    let clock = Rc::new(ManualHost::new(T0));
    let engine = Engine::new(Store::open_memory(None).unwrap(), Box::new(clock.clone()));
    Fixture { engine, clock }
}

impl Fixture {
    pub fn create(&self, spec: CreateSpec) -> String {
        self.engine.create_execution(&spec).unwrap().execution_id
    }

    pub fn create_default(&self) -> String {
        self.create(CreateSpec::default())
    }

    pub fn claim_as(&self, worker: &str, capabilities: &[&str]) -> Option<Handle> {
        self.engine
            .claim(&ClaimSpec {
                lane: "default".into(),
                capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
                worker_id: worker.into(),
                worker_instance_id: format!("{worker}-1"),
                lease_ttl_ms: 30_000,
            })
            .unwrap()
    }

    pub fn claim(&self) -> Handle {
        self.claim_as("w1", &[]).expect("an execution to claim")
    }

    pub fn append(&self, h: &Handle, payload: &str) -> AppendResult {
        self.engine.append_frame(&h.token, &FrameSpec::durable(payload)).unwrap()
    }

    pub fn append_mode(&self, h: &Handle, payload: &str, mode: AppendMode) -> AppendResult {
        self.engine.append_frame(&h.token, &FrameSpec::durable(payload).with_mode(mode)).unwrap()
    }

    pub fn read_all(&self, id: &str, attempt: u32) -> StreamFrames {
        self.engine.read_stream(id, attempt, &ReadSpec::default()).unwrap()
    }

    pub fn info(&self, id: &str) -> ExecutionInfo {
        self.engine.get_execution(id).unwrap().expect("execution exists")
    }

    /// Raw SQL against an exported copy of the database: for checking outbox rows.
    pub fn sql_rows(&self, sql: &str) -> Vec<Vec<String>> {
        let image = self.engine.export_image().unwrap();
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.deserialize_read_exact(rusqlite::MAIN_DB, image.as_slice(), image.len(), true).unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        let cols = stmt.column_count();
        stmt.query_map([], |r| {
            (0..cols)
                .map(|i| {
                    let v: rusqlite::types::Value = r.get(i)?;
                    Ok(match v {
                        rusqlite::types::Value::Null => "NULL".into(),
                        rusqlite::types::Value::Integer(n) => n.to_string(),
                        rusqlite::types::Value::Real(f) => f.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(b) => format!("{b:?}"),
                    })
                })
                .collect()
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
    }

    pub fn lease_events(&self, id: &str) -> Vec<String> {
        let uuid = &id["{fp:0}:".len()..];
        self.sql_rows(&format!(
            "SELECT event_type FROM ff_lease_event WHERE execution_id = '{uuid}' ORDER BY event_id"
        ))
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
    }

    pub fn completion_events(&self) -> Vec<String> {
        self.sql_rows("SELECT outcome FROM ff_completion_event ORDER BY event_id")
            .into_iter()
            .map(|r| r[0].clone())
            .collect()
    }
}

/// `tailStream` with `blockMs: 0`: the frames strictly after `after`, now.
pub fn tail_now(f: &Fixture, id: &str, after: &str) -> StreamFrames {
    let timer = FakeTimer::default();
    let spec = TailSpec::after(after);
    let mut fut = std::pin::pin!(f.engine.tail_stream(id, 0, &spec, timer.sleep()));
    let polled = poll_once(fut.as_mut());
    match polled {
        Poll::Ready(r) => r.unwrap(),
        Poll::Pending => panic!("blockMs 0 never waits"),
    }
}

pub fn payloads(frames: &StreamFrames) -> Vec<String> {
    frames.frames.iter().map(|f| f.fields.payload.clone()).collect()
}

pub fn code<T: std::fmt::Debug>(r: Result<T, ff_backend_wasm::EngineError>) -> &'static str {
    r.expect_err("expected an error").code.as_str()
}

// ---- a minimal single-threaded executor ----

fn noop_waker() -> Waker {
    fn clone(_: *const ()) -> RawWaker {
        RawWaker::new(std::ptr::null(), &VTABLE)
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// Polls a future once; tests step the world between polls.
pub fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    let waker = noop_waker();
    f.poll(&mut Context::from_waker(&waker))
}

/// A timer the test fires by hand.
#[derive(Clone, Default)]
pub struct FakeTimer {
    pub signal: Rc<Signal>,
    pub requested_ms: Rc<std::cell::Cell<Option<u32>>>,
}

impl FakeTimer {
    pub fn sleep(&self) -> impl FnOnce(u32) -> Pin<Box<dyn Future<Output = ()>>> + '_ {
        move |ms| {
            self.requested_ms.set(Some(ms));
            let signal = self.signal.clone();
            Box::pin(std::future::poll_fn(move |cx| signal.poll_fired(cx)))
        }
    }
}
