//! A FlowFabric worker and a stream reader, written only against ff-core's `EngineBackend`, on
//! this crate's `WasmBackend` (in memory). Run with:
//!
//! ```sh
//! cargo run --example flowfabric_worker --features flowfabric
//! ```
//!
//! The worker claims work until none is left: it appends frames, patches the attempt's summary,
//! sends best-effort ticks, and completes (or fails once, to show a retry). Meanwhile a reader,
//! on its own task, tails the first job's stream until it closes. `demo` is what a test runs.

use ff_backend_wasm::flowfabric::WasmBackend;
use ff_core::backend::{
    CapabilitySet, ClaimPolicy, FailOutcome, FailureClass, FailureReason, Frame, FrameKind, Handle,
    StreamMode, TailVisibility,
};
use ff_core::contracts::{CreateExecutionArgs, StreamCursor};
use ff_core::engine_backend::EngineBackend;
use ff_core::engine_error::EngineError;
use ff_core::policy::{BackoffStrategy, ExecutionPolicy, RetryPolicy};
use ff_core::types::{AttemptIndex, ExecutionId, LaneId, Namespace, TimestampMs, WorkerId, WorkerInstanceId};
use std::sync::Arc;

const LANE: &str = "media";
const JOBS: [&str; 3] = ["resize photo 17", "flaky upload 4", "encode video 3"];

/// What the run did, for printing (and for the test that runs it).
#[derive(Debug, Default)]
pub struct Report {
    /// Every attempt's ending, in order: "completed <job>" or "retry <job>".
    pub outcomes: Vec<String>,
    /// What the reader saw on the first job's stream (durable and summary frames), in order.
    pub tailed: Vec<String>,
    /// The first job's summary document, as JSON text.
    pub summary: String,
}

fn job_id(n: usize) -> ExecutionId {
    ExecutionId::parse(&format!("{{fp:0}}:00000000-0000-4000-8000-{:012}", n + 1)).expect("a valid id")
}

fn job(n: usize) -> CreateExecutionArgs {
    // One retry, right away: the flaky job fails its first attempt on purpose.
    let retry = RetryPolicy {
        max_retries: 1,
        backoff: BackoffStrategy::Fixed { delay_ms: 0 },
        retryable_categories: vec![],
    };
    CreateExecutionArgs {
        execution_id: job_id(n),
        namespace: Namespace::new("demo"),
        lane_id: LaneId::new(LANE),
        execution_kind: "media-task".into(),
        input_payload: JOBS[n].as_bytes().to_vec(),
        payload_encoding: None,
        priority: 0,
        creator_identity: "flowfabric_worker example".into(),
        idempotency_key: None,
        tags: Default::default(),
        policy: Some(ExecutionPolicy { retry_policy: Some(retry), ..Default::default() }),
        delay_until: None,
        execution_deadline_at: None,
        partition_id: 0,
        now: TimestampMs::from_millis(0),
    }
}

fn frame(text: &str, mode: StreamMode) -> Frame {
    Frame::new(text.as_bytes().to_vec(), FrameKind::Stdout).with_mode(mode)
}

/// One attempt of one job: frames, summary patches, ticks, then complete or fail.
async fn work(
    backend: &dyn EngineBackend,
    handle: &Handle,
    job: &str,
    attempt: u32,
) -> Result<String, EngineError> {
    backend.append_frame(handle, frame(&format!("starting {job}"), StreamMode::durable())).await?;
    for step in 1..=3 {
        backend.append_frame(handle, frame("tick", StreamMode::best_effort_live(5_000))).await?;
        let patch = format!(r#"{{"step":{step},"of":3}}"#);
        backend.append_frame(handle, frame(&patch, StreamMode::durable_summary())).await?;
        backend.progress(handle, Some(step * 33), Some(format!("step {step}"))).await?;
    }
    if job.starts_with("flaky") && attempt == 0 {
        let reason = FailureReason::new("upstream 503");
        return match backend.fail(handle, reason, FailureClass::Transient).await? {
            FailOutcome::RetryScheduled { .. } => Ok(format!("retry {job}")),
            FailOutcome::TerminalFailed => Ok(format!("failed {job}")),
        };
    }
    backend.append_frame(handle, frame(&format!("finished {job}"), StreamMode::durable())).await?;
    backend.complete(handle, Some(format!("done: {job}").into_bytes())).await?;
    Ok(format!("completed {job}"))
}

/// Tails one attempt's stream from the beginning until it is closed and drained.
async fn tail_to_end(backend: Arc<dyn EngineBackend>, id: ExecutionId) -> Result<Vec<String>, EngineError> {
    let (mut after, mut seen) = (StreamCursor::from_beginning(), Vec::new());
    loop {
        let batch = backend
            .tail_stream(
                &id,
                AttemptIndex::new(0),
                after.clone(),
                5_000,
                100,
                TailVisibility::ExcludeBestEffort,
            )
            .await?;
        if batch.frames.is_empty() && batch.closed_at.is_some() {
            return Ok(seen);
        }
        for f in batch.frames {
            seen.push(f.fields.get("payload").cloned().unwrap_or_default());
            after = StreamCursor::At(f.id);
        }
    }
}

pub async fn demo(backend: Arc<dyn EngineBackend>) -> Result<Report, EngineError> {
    for n in 0..JOBS.len() {
        backend.create_execution(job(n)).await?;
    }
    // The trait's futures are Send: the reader runs as a task of its own.
    let reader = tokio::spawn(tail_to_end(backend.clone(), job_id(0)));

    let mut report = Report::default();
    let policy =
        ClaimPolicy::new(WorkerId::new("worker-1"), WorkerInstanceId::new("worker-1-a"), 30_000, None);
    let lane = LaneId::new(LANE);
    while let Some(handle) = backend.claim(&lane, &CapabilitySet::default(), policy.clone()).await? {
        let payload = ff_core::handle_codec::decode(&handle.opaque)?.payload;
        let context = backend.read_execution_context(&payload.execution_id).await?;
        let job = String::from_utf8_lossy(&context.input_payload).into_owned();
        report.outcomes.push(work(backend.as_ref(), &handle, &job, payload.attempt_index.0).await?);
    }

    report.tailed =
        reader.await.map_err(|e| EngineError::Transport { backend: "example", source: Box::new(e) })??;
    let summary = backend.read_summary(&job_id(0), AttemptIndex::new(0)).await?;
    report.summary =
        summary.map(|s| String::from_utf8_lossy(&s.document_json).into_owned()).unwrap_or_default();
    Ok(report)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let report = runtime.block_on(async { demo(WasmBackend::open_in_memory().await?).await })?;
    for outcome in &report.outcomes {
        println!("{outcome}");
    }
    println!("the reader saw: {:?}", report.tailed);
    println!("summary of the first job: {}", report.summary);
    Ok(())
}
