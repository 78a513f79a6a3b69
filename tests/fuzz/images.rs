//! Opening arbitrary and mutated database images (`Store::open_memory(Some(bytes))`, what
//! `open({ image })` does), then every read of the engine and a few writes. An image is refused
//! (`invalid_input` when it is not a SQLite file, `corruption` when it is damaged,
//! `storage_unavailable` when it is not ours or of an unknown version) or opens; on an opened one
//! every call answers or fails with `corruption`. Never a panic.

use super::common::{fixture, poll_once, FakeTimer, T0};
use super::{config, only};
use ff_backend_wasm::engine::{Feed, Follower};
use ff_backend_wasm::model::*;
use ff_backend_wasm::{Engine, EngineError, ErrorCode, ManualHost, Store};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::rc::Rc;
use std::task::Poll;

const AT_OPEN: &[ErrorCode] =
    &[ErrorCode::InvalidInput, ErrorCode::Corruption, ErrorCode::StorageUnavailable];
const AFTER_OPEN: &[ErrorCode] = &[ErrorCode::Corruption];

/// A database with a row in every table: executions in each state, frames of each mode, a
/// summary, expired leases, and both outboxes.
fn rich_image() -> Vec<u8> {
    let f = fixture();
    let retry = RetryPolicy { max_retries: 1, backoff: Backoff::Fixed { delay_ms: 0 } };
    for n in 0..6 {
        let spec = CreateSpec {
            priority: n,
            capabilities: if n == 5 { vec!["gpu".into()] } else { vec![] },
            tags: [("k".to_string(), format!("v{n}"))].into(),
            retry_policy: Some(retry.clone()),
            payload: Some(vec![n as u8; 100]),
            ..Default::default()
        };
        f.create(spec);
    }
    f.create(CreateSpec { delay_until_ms: Some(T0 + 60_000), ..Default::default() });
    let done = f.claim();
    f.append(&done, "a durable frame");
    f.append_mode(&done, r#"{"pct": 10, "nested": {"a": [1, 2]}}"#, AppendMode::Summary);
    f.append_mode(&done, "ephemeral", AppendMode::BestEffort { ttl_ms: 1000 });
    f.engine.complete(&done.token, Some(b"result".to_vec())).unwrap();
    let failing = f.claim();
    f.engine.fail(&failing.token, "boom", FailClass::Transient).unwrap();
    let cancelled = f.claim();
    f.engine.cancel(&CancelTarget::Handle(cancelled.token.clone()), Some("stop")).unwrap();
    let expiring = f.claim_as("w2", &[]).unwrap();
    f.append(&expiring, "before the lease ran out");
    f.clock.advance(31_000);
    f.engine.reclaim_expired().unwrap();
    let live = f.claim();
    f.append(&live, "still running");
    f.engine.export_image().unwrap()
}

/// Every item of a follower that is ready now (bounded: a damaged file may hold many rows).
fn drain<F: Feed>(engine: &Engine, follower: &Follower<F>) -> Result<usize, EngineError> {
    let mut items = 0;
    while items < 10_000 {
        let mut next = std::pin::pin!(follower.next(engine));
        match poll_once(next.as_mut()) {
            Poll::Ready(Ok(Some(_))) => items += 1,
            Poll::Ready(Ok(None)) | Poll::Pending => break,
            Poll::Ready(Err(e)) => return Err(e),
        }
    }
    Ok(items)
}

/// Every read of the engine, then a few writes; each must answer or fail with `corruption`.
fn exercise(engine: &Engine) -> Result<(), String> {
    let mut ids = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let page = engine.list_executions(&ListSpec { after: after.take(), limit: 3, ..Default::default() });
        only(&page, AFTER_OPEN, "listExecutions")?;
        let Ok(page) = page else { break };
        ids.extend(page.executions.iter().map(|e| (e.execution_id.clone(), e.attempt_index)));
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    for state in [PublicState::Waiting, PublicState::Active, PublicState::Failed] {
        let spec = ListSpec { public_state: Some(state), lane: Some("default".into()), ..Default::default() };
        only(&engine.list_executions(&spec), AFTER_OPEN, "listExecutions by state")?;
    }
    only(&engine.execution_ids(None, 100), AFTER_OPEN, "executionIds")?;
    for (id, current) in ids {
        only(&engine.get_execution(&id), AFTER_OPEN, "getExecution")?;
        only(&engine.inspect_execution(&id), AFTER_OPEN, "inspect")?;
        for attempt in 0..=current.min(3) + 1 {
            only(&engine.read_stream(&id, attempt, &ReadSpec::default()), AFTER_OPEN, "readStream")?;
            only(&engine.read_summary(&id, attempt), AFTER_OPEN, "readSummary")?;
            let (timer, spec) = (FakeTimer::default(), TailSpec::after("0-0"));
            let mut tail = std::pin::pin!(engine.tail_stream(&id, attempt, &spec, timer.sleep()));
            if let Poll::Ready(r) = poll_once(tail.as_mut()) {
                only(&r, AFTER_OPEN, "tailStream")?;
            }
            let follower =
                engine.follow_stream(&id, attempt, &TailSpec::after("0-0")).map_err(|e| e.to_string())?;
            only(&drain(engine, &follower), AFTER_OPEN, "tail")?;
        }
        let leases = LeaseHistorySpec { after: Some("0".into()), execution_id: Some(id.clone()) };
        let follower = engine.follow_lease_history(&leases);
        only(&follower, AFTER_OPEN, "leaseHistory of one")?;
        if let Ok(follower) = follower {
            only(&drain(engine, &follower), AFTER_OPEN, "leaseHistory of one")?;
        }
    }
    let all = CompletionsSpec { after: Some("0".into()), ..Default::default() };
    let completions = engine.follow_completions(&all);
    only(&completions, AFTER_OPEN, "completions")?;
    if let Ok(follower) = completions {
        only(&drain(engine, &follower), AFTER_OPEN, "completions")?;
    }
    let leases =
        engine.follow_lease_history(&LeaseHistorySpec { after: Some("0".into()), execution_id: None });
    only(&leases, AFTER_OPEN, "leaseHistory")?;
    if let Ok(follower) = leases {
        only(&drain(engine, &follower), AFTER_OPEN, "leaseHistory")?;
    }
    only(&engine.reclaim_expired(), AFTER_OPEN, "reclaimExpired")?;
    let claim = ClaimSpec {
        lane: "default".into(),
        capabilities: vec!["gpu".into()],
        worker_id: "w".into(),
        worker_instance_id: "w".into(),
        lease_ttl_ms: 1000,
    };
    only(&engine.claim(&claim), AFTER_OPEN, "claim")?;
    only(&engine.create_execution(&CreateSpec::default()), AFTER_OPEN, "createExecution")?;
    only(&engine.export_image(), AFTER_OPEN, "exportImage")
}

fn open_and_exercise(bytes: &[u8]) -> Result<(), TestCaseError> {
    let store = Store::open_memory(Some(bytes));
    only(&store, AT_OPEN, "open").map_err(TestCaseError::fail)?;
    if let Ok(store) = store {
        let engine = Engine::new(store, Box::new(Rc::new(ManualHost::new(T0 + 40_000))));
        exercise(&engine).map_err(TestCaseError::fail)?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Damage {
    /// Overwrites `bytes` at `at` (header offsets are the likelier: they decide everything).
    Write {
        at: usize,
        bytes: Vec<u8>,
    },
    Truncate {
        at: usize,
    },
    /// Copies page `from` over page `to` (a misdirected write).
    CopyPage {
        from: usize,
        to: usize,
    },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        3 => (0..100usize, prop::collection::vec(any::<u8>(), 1..4)).prop_map(|(at, bytes)| Damage::Write { at, bytes }),
        6 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Damage::Write { at, bytes }),
        1 => any::<usize>().prop_map(|at| Damage::Truncate { at }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(from, to)| Damage::CopyPage { from, to }),
    ]
}

fn apply(image: &[u8], damages: &[Damage]) -> Vec<u8> {
    const PAGE: usize = 4096;
    let mut out = image.to_vec();
    for d in damages {
        let len = out.len().max(1);
        match d {
            Damage::Write { at, bytes } => {
                for (i, b) in bytes.iter().enumerate() {
                    if let Some(slot) = out.get_mut((at % len) + i) {
                        *slot = *b;
                    }
                }
            }
            Damage::Truncate { at } => out.truncate(at % len),
            Damage::CopyPage { from, to } => {
                let pages = out.len() / PAGE;
                if pages > 1 {
                    let (from, to) = (from % pages, to % pages);
                    let page = out[from * PAGE..(from + 1) * PAGE].to_vec();
                    out[to * PAGE..(to + 1) * PAGE].copy_from_slice(&page);
                }
            }
        }
    }
    out
}

#[test]
fn mutated_images_open_and_read_or_are_refused_as_documented() {
    let image = rich_image();
    open_and_exercise(&image).expect("the undamaged image works");
    let mut runner = TestRunner::new(config(0.5));
    runner
        .run(&prop::collection::vec(damage(), 1..6), |damages| open_and_exercise(&apply(&image, &damages)))
        .unwrap();
}

#[test]
fn arbitrary_bytes_are_refused_as_images() {
    let mut runner = TestRunner::new(config(0.5));
    let bytes =
        (any::<bool>(), prop::collection::vec(any::<u8>(), 0..2048)).prop_map(|(magic, mut bytes)| {
            if magic {
                bytes.splice(0..bytes.len().min(16), b"SQLite format 3\0".iter().copied());
            }
            bytes
        });
    runner.run(&bytes, |bytes| open_and_exercise(&bytes)).unwrap();
}
