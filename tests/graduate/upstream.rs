//! The happy path. A sandbox built through the JS package is graduated; then everything it
//! holds is read back through upstream's `PostgresBackend` (the `EngineBackend` trait only) and
//! compared with what `WasmBackend` reads from the same file, and work goes on there.

use crate::*;
use ff_backend_postgres::PostgresBackend;
use ff_backend_wasm::flowfabric::WasmBackend;
use ff_core::backend::{BackendConfig, CapabilitySet, ClaimPolicy, Frame, FrameKind, Handle, ScannerFilter};
use ff_core::contracts::StreamCursor as Position;
use ff_core::engine_backend::EngineBackend;
use ff_core::engine_error::EngineError;
use ff_core::handle_codec;
use ff_core::partition::{Partition, PartitionFamily, PartitionKey};
use ff_core::stream_events::{CompletionOutcome, LeaseHistoryEvent};
use ff_core::stream_subscribe::{encode_postgres_event_cursor, StreamCursor};
use ff_core::types::{AttemptIndex, ExecutionId, LaneId, TimestampMs, WorkerId, WorkerInstanceId};
use futures_core::Stream;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

type Backend = Arc<dyn EngineBackend>;
type Subscription<T> = Pin<Box<dyn Stream<Item = Result<T, EngineError>> + Send>>;

const WAIT: Duration = Duration::from_secs(10);

fn id(manifest: &Value, name: &str) -> ExecutionId {
    ExecutionId::parse(manifest["ids"][name].as_str().unwrap()).unwrap()
}

async fn next<T>(stream: &mut Subscription<T>) -> T {
    let item = tokio::time::timeout(WAIT, poll_fn(|cx| stream.as_mut().poll_next(cx))).await;
    item.expect("an event within 10 s").expect("the stream goes on").expect("an event, not an error")
}

async fn claim(b: &Backend, lane: &str, caps: &[&str]) -> Option<(Handle, ExecutionId, u32)> {
    let policy =
        ClaimPolicy::new(WorkerId::new("pg-worker"), WorkerInstanceId::new("pg-worker-1"), 30_000, None);
    let handle =
        b.claim(&LaneId::new(lane), &CapabilitySet::new(caps.iter().copied()), policy).await.unwrap()?;
    let payload = handle_codec::decode(&handle.opaque).unwrap().payload;
    Some((handle, payload.execution_id, payload.attempt_index.0))
}

/// A lease event as both backends can agree on it (lease and worker ids are not stored).
fn lease_event(e: &LeaseHistoryEvent) -> (Vec<u8>, String, &'static str, i64) {
    let kind = match e {
        LeaseHistoryEvent::Acquired { .. } => "acquired",
        LeaseHistoryEvent::Renewed { .. } => "renewed",
        LeaseHistoryEvent::Expired { .. } => "expired",
        LeaseHistoryEvent::Reclaimed { .. } => "reclaimed",
        LeaseHistoryEvent::Revoked { .. } => "revoked",
        _ => "other",
    };
    let at = match e {
        LeaseHistoryEvent::Acquired { at, .. }
        | LeaseHistoryEvent::Renewed { at, .. }
        | LeaseHistoryEvent::Expired { at, .. }
        | LeaseHistoryEvent::Reclaimed { at, .. }
        | LeaseHistoryEvent::Revoked { at, .. } => at.0,
        _ => 0,
    };
    (e.cursor().as_bytes().to_vec(), e.execution_id().to_string(), kind, at)
}

/// Compares every frame and summary of every attempt; returns how many frames there were.
async fn same_streams(wasm: &Backend, pg: &Backend, id: &ExecutionId, attempts: u32, nul_frame: &str) -> u64 {
    let mut frames = 0;
    for index in 0..attempts {
        let at = AttemptIndex::new(index);
        let want = wasm.read_stream(id, at, Position::Start, Position::End, 10_000).await.unwrap();
        let got = pg.read_stream(id, at, Position::Start, Position::End, 10_000).await.unwrap();
        assert_eq!(got.frames.len(), want.frames.len(), "{id} attempt {index}");
        for (g, w) in got.frames.iter().zip(&want.frames) {
            let mut expected = w.fields.clone();
            // WasmBackend adds the frame's mode (docs/API.md); Postgres keeps it in a column.
            expected.remove("mode");
            if w.fields.get("payload").map(String::as_str) == Some(nul_frame) {
                // jsonb cannot hold U+0000: such a payload graduates base64-encoded.
                expected.insert("payload".into(), "bnVsAGluc2lkZQ==".into());
                expected.insert("encoding".into(), "base64".into());
            }
            assert_eq!((&g.id, &g.fields), (&w.id, &expected), "{id} attempt {index}");
        }
        frames += got.frames.len() as u64;
        let (want, got) = (wasm.read_summary(id, at).await.unwrap(), pg.read_summary(id, at).await.unwrap());
        assert_eq!(got.is_some(), want.is_some(), "{id} attempt {index}: summary");
        if let (Some(g), Some(w)) = (got, want) {
            let document = |d: &[u8]| serde_json::from_slice::<Value>(d).unwrap();
            assert_eq!(document(&g.document_json), document(&w.document_json), "same document");
            assert_eq!(
                (g.version, g.first_applied_ms, g.last_updated_ms),
                (w.version, w.first_applied_ms, w.last_updated_ms)
            );
            assert_eq!(g.patch_kind, w.patch_kind);
        }
    }
    frames
}

#[test]
#[ignore = "needs Postgres: run scripts/test-graduate.sh"]
fn a_graduated_sandbox_reads_the_same_through_upstreams_backend_and_keeps_working() {
    run(async {
        let dir = TempDir::create();
        let file = dir.join("sandbox.sqlite");
        let manifest = sandbox(&file, &[]);
        let url = migrated_database().await;
        let pg = PostgresBackend::connect(BackendConfig::postgres(url.clone())).await.unwrap();
        // Postgres' subscribe_completion starts at the newest event (it ignores cursors), so the
        // copied outbox is read by a subscription opened before the copy commits.
        let mut completions =
            pg.subscribe_completion(StreamCursor::empty(), &ScannerFilter::NOOP).await.unwrap();
        let out = graduate(&["--from", file.to_str().unwrap(), "--to", &url]).await;
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

        std::fs::copy(&file, dir.join("read.sqlite")).unwrap();
        let wasm: Backend = WasmBackend::open_file(dir.join("read.sqlite")).await.unwrap();
        let partition = PartitionKey::from(Partition { family: PartitionFamily::Execution, index: 0 });
        let ids = wasm.list_executions(partition.clone(), None, 1000).await.unwrap().executions;
        assert_eq!(ids.len(), 10);
        assert_eq!(pg.list_executions(partition, None, 1000).await.unwrap().executions, ids);
        assert_eq!(reported(&out, "ff_exec_core"), 10);

        let interrupted = id(&manifest, "interrupted");
        let mut frames = 0;
        for e in &ids {
            assert_eq!(
                pg.read_execution_state(e).await.unwrap(),
                wasm.read_execution_state(e).await.unwrap(),
                "{e}"
            );
            let mut want = serde_json::to_value(wasm.read_execution_info(e).await.unwrap().unwrap()).unwrap();
            if *e == interrupted {
                // Its reclaim runs at the next attempt index, on Postgres as here.
                want["current_attempt_index"] = 1.into();
            }
            let got = serde_json::to_value(pg.read_execution_info(e).await.unwrap().unwrap()).unwrap();
            assert_eq!(got, want, "{e}");
            assert_eq!(
                pg.describe_execution(e).await.unwrap(),
                wasm.describe_execution(e).await.unwrap(),
                "{e}"
            );
            assert_eq!(
                pg.get_execution_result(e).await.unwrap(),
                wasm.get_execution_result(e).await.unwrap()
            );
            assert_eq!(
                pg.read_execution_context(e).await.unwrap(),
                wasm.read_execution_context(e).await.unwrap()
            );
            let attempts = want["current_attempt_index"].as_u64().unwrap() as u32 + 1;
            frames += same_streams(&wasm, &pg, e, attempts, "nul\u{0}inside").await;
        }
        assert_eq!(frames, reported(&out, "ff_stream_frame"));
        assert!(frames >= 50, "{frames}");

        // The outboxes: the same completions in the same order (Postgres reports `failed` as it
        // writes it, `Other("failed")`), the same lease events with the same cursors.
        let from_start = || encode_postgres_event_cursor(0);
        let mut want = wasm.subscribe_completion(from_start(), &ScannerFilter::NOOP).await.unwrap();
        for _ in 0..reported(&out, "ff_completion_event") {
            let (g, w) = (next(&mut completions).await, next(&mut want).await);
            let outcome = match w.outcome {
                CompletionOutcome::Failure => CompletionOutcome::Other("failed".into()),
                other => other,
            };
            assert_eq!((g.execution_id, g.outcome, g.at), (w.execution_id, outcome, w.at));
        }
        let mut want = wasm.subscribe_lease_history(from_start(), &ScannerFilter::NOOP).await.unwrap();
        let mut got = pg.subscribe_lease_history(from_start(), &ScannerFilter::NOOP).await.unwrap();
        let mut last = None;
        for _ in 0..reported(&out, "ff_lease_event") {
            let (g, w) = (next(&mut got).await, next(&mut want).await);
            assert_eq!(lease_event(&g), lease_event(&w));
            last = Some(g.cursor().clone());
        }
        drop(wasm);

        // Work goes on on Postgres: the waiting execution with the highest priority is claimed,
        // streams a frame and completes; its events follow the copied ones.
        let waiting = id(&manifest, "waiting");
        let (h, claimed, index) = claim(&pg, "default", &[]).await.expect("a claimable execution");
        assert_eq!((&claimed, index), (&waiting, 0));
        pg.append_frame(&h, Frame::new(b"on postgres".to_vec(), FrameKind::Stdout)).await.unwrap();
        pg.complete(&h, Some(b"done".to_vec())).await.unwrap();
        let read =
            pg.read_stream(&waiting, AttemptIndex::new(0), Position::Start, Position::End, 10).await.unwrap();
        assert_eq!(
            read.frames.iter().map(|f| f.fields["payload"].as_str()).collect::<Vec<_>>(),
            ["on postgres"]
        );
        assert_eq!(pg.get_execution_result(&waiting).await.unwrap(), Some(b"done".to_vec()));
        let done = next(&mut completions).await;
        assert_eq!((done.execution_id, done.outcome), (waiting.clone(), CompletionOutcome::Success));
        let mut after = pg.subscribe_lease_history(last.unwrap(), &ScannerFilter::NOOP).await.unwrap();
        let acquired = lease_event(&next(&mut after).await);
        let copied_last = u64::from_be_bytes(acquired.0[1..].try_into().unwrap()) - 1;
        assert_eq!((acquired.1.as_str(), acquired.2), (waiting.as_str(), "acquired"));
        assert_eq!(
            copied_last,
            reported(&out, "ff_lease_event"),
            "the sequence continues after the copied ids"
        );

        // The next candidate needs a GPU: Postgres skips it for a worker without one.
        assert!(claim(&pg, "default", &[]).await.is_none());
        let (_, gpu, _) = claim(&pg, "default", &["gpu"]).await.unwrap();
        assert_eq!(gpu, id(&manifest, "waitingGpu"));
        let (_, reclaimed, index) = claim(&pg, "default", &[]).await.unwrap();
        assert_eq!((reclaimed, index), (interrupted, 1), "the interrupted one, at its next attempt index");
        let (_, due, _) = claim(&pg, "default", &[]).await.unwrap();
        assert_eq!(due, id(&manifest, "due"), "a delay that had passed is eligible");

        // Delayed ones wait until upstream's promoter is called at their time.
        assert!(claim(&pg, "default", &[]).await.is_none());
        assert!(claim(&pg, "batch", &[]).await.is_none(), "a retry still backing off");
        let delayed = id(&manifest, "delayed");
        let at = TimestampMs::from_millis(manifest["delayUntilMs"].as_i64().unwrap());
        let p0 = Partition { family: PartitionFamily::Execution, index: 0 };
        pg.promote_delayed(p0, &LaneId::new("default"), &delayed, TimestampMs::from_millis(at.0 - 1))
            .await
            .unwrap();
        assert!(claim(&pg, "default", &[]).await.is_none(), "not before its time");
        pg.promote_delayed(p0, &LaneId::new("default"), &delayed, at).await.unwrap();
        assert_eq!(claim(&pg, "default", &[]).await.unwrap().1, delayed);

        // The same file again: refused, and the target is left exactly as it is.
        let before = fingerprint(&url).await;
        let again = graduate(&["--from", file.to_str().unwrap(), "--to", &url]).await;
        assert_eq!(again.status.code(), Some(1));
        let said = stderr(&again);
        assert!(said.contains("already holds 10 of the sandbox's executions"), "{said}");
        assert!(said.contains(waiting.as_str()), "names the executions: {said}");
        assert_eq!(fingerprint(&url).await, before);
    })
}
