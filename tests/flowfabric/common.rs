//! Shared fixtures: a backend behind `Arc<dyn EngineBackend>` on a hand-moved clock, ids,
//! creation and claim shortcuts, and a small runtime. Every test talks to the trait only;
//! `WasmBackend` appears here, where backends are opened.

use ff_backend_wasm::flowfabric::{ManualClock, WasmBackend};
use ff_backend_wasm::store::StorageSpec;
use ff_core::backend::{CapabilitySet, ClaimPolicy, Handle};
use ff_core::contracts::{CreateExecutionArgs, CreateExecutionResult, StreamFrames};
use ff_core::engine_backend::EngineBackend;
use ff_core::engine_error::EngineError;
use ff_core::policy::{BackoffStrategy, ExecutionPolicy, RetryPolicy, RoutingRequirements};
use ff_core::types::{ExecutionId, LaneId, Namespace, TimestampMs, WorkerId, WorkerInstanceId};
use futures_core::Stream;
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const T0: i64 = 1_700_000_000_000;

pub type Backend = Arc<dyn EngineBackend>;

/// Runs a test body on a current-thread runtime (the engine has its own thread).
pub fn run<F: Future>(body: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
    runtime.block_on(body)
}

/// A fresh in-memory backend on a manual clock at `T0`.
pub async fn backend() -> (Backend, ManualClock) {
    let clock = ManualClock::new(T0);
    let backend =
        WasmBackend::open_with(StorageSpec::Memory { image: None }, clock.clone()).await.expect("open");
    (backend, clock)
}

/// Distinct, ascending `{fp:0}` ids, unique across the whole test run.
pub fn new_id() -> ExecutionId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    ExecutionId::parse(&format!("{{fp:0}}:00000000-0000-4000-8000-{n:012x}")).unwrap()
}

pub fn create_args(id: &ExecutionId, lane: &str) -> CreateExecutionArgs {
    CreateExecutionArgs {
        execution_id: id.clone(),
        namespace: Namespace::new("default"),
        lane_id: LaneId::new(lane),
        execution_kind: "op".into(),
        input_payload: b"hello".to_vec(),
        payload_encoding: None,
        priority: 0,
        creator_identity: "test".into(),
        idempotency_key: None,
        tags: HashMap::new(),
        policy: None,
        delay_until: None,
        execution_deadline_at: None,
        partition_id: 0,
        now: TimestampMs::from_millis(T0),
    }
}

pub fn with_caps(mut args: CreateExecutionArgs, caps: &[&str]) -> CreateExecutionArgs {
    let mut policy = args.policy.take().unwrap_or_default();
    let required_capabilities = caps.iter().map(|c| c.to_string()).collect();
    let routing = RoutingRequirements { required_capabilities, ..Default::default() };
    policy.routing_requirements = Some(routing);
    args.policy = Some(policy);
    args
}

pub fn with_retries(mut args: CreateExecutionArgs, max_retries: u32, delay_ms: u64) -> CreateExecutionArgs {
    let retry = RetryPolicy {
        max_retries,
        backoff: BackoffStrategy::Fixed { delay_ms },
        retryable_categories: Vec::new(),
    };
    args.policy = Some(ExecutionPolicy { retry_policy: Some(retry), ..args.policy.unwrap_or_default() });
    args
}

pub async fn create_with(b: &Backend, args: CreateExecutionArgs) -> ExecutionId {
    match b.create_execution(args).await.expect("create") {
        CreateExecutionResult::Created { execution_id, .. } => execution_id,
        other => panic!("expected Created, got {other:?}"),
    }
}

pub async fn create(b: &Backend, lane: &str) -> ExecutionId {
    create_with(b, create_args(&new_id(), lane)).await
}

pub fn policy(worker: &str, ttl_ms: u32) -> ClaimPolicy {
    ClaimPolicy::new(WorkerId::new(worker), WorkerInstanceId::new(format!("{worker}-i1")), ttl_ms, None)
}

pub async fn claim_caps(b: &Backend, lane: &str, caps: &[&str]) -> Option<Handle> {
    let caps = CapabilitySet::new(caps.iter().copied());
    b.claim(&LaneId::new(lane), &caps, policy("w1", 30_000)).await.expect("claim")
}

pub async fn claim(b: &Backend, lane: &str) -> Handle {
    claim_caps(b, lane, &[]).await.expect("an execution to claim")
}

/// Creates an execution in a lane of its own and claims it.
pub async fn started(b: &Backend) -> (ExecutionId, Handle) {
    let lane = format!("lane-{}", new_id().as_str().rsplit('-').next().unwrap());
    let id = create(b, &lane).await;
    (id, claim(b, &lane).await)
}

pub fn payloads(frames: &StreamFrames) -> Vec<&str> {
    frames.frames.iter().map(|f| f.fields.get("payload").map(String::as_str).unwrap_or_default()).collect()
}

/// The next item of a subscription, or `None` if none comes within `wait`.
pub async fn next_within<T>(
    stream: &mut Pin<Box<dyn Stream<Item = Result<T, EngineError>> + Send>>,
    wait: Duration,
) -> Option<Result<T, EngineError>> {
    tokio::time::timeout(wait, poll_fn(|cx| stream.as_mut().poll_next(cx))).await.ok().flatten()
}

/// Up to `n` events, failing the test on a stream error.
pub async fn drain<T>(
    stream: &mut Pin<Box<dyn Stream<Item = Result<T, EngineError>> + Send>>,
    n: usize,
    wait: Duration,
) -> Vec<T> {
    let mut out = Vec::new();
    while out.len() < n {
        match next_within(stream, wait).await {
            Some(Ok(event)) => out.push(event),
            Some(Err(e)) => panic!("the subscription failed: {e:?}"),
            None => break,
        }
    }
    out
}

/// Waits (a little) until the backend has no waiting tails or subscriptions.
pub async fn no_waiters(b: &Backend) -> bool {
    let wasm = b.as_any().downcast_ref::<WasmBackend>().expect("a WasmBackend");
    for _ in 0..100 {
        if wasm.waiter_count().await.unwrap() == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}
