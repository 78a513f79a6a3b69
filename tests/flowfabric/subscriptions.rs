//! The reference's subscription suite for completions and lease history: live tails, cursor
//! resume, filters, a subscriber far behind (the reference's "lagged" recovery), plus replay
//! from the start, foreign cursors, disconnects and released waiters.

use crate::common::*;
use ff_backend_wasm::flowfabric::WasmBackend;
use ff_core::backend::{FailureClass, FailureReason, ScannerFilter};
use ff_core::engine_error::{EngineError, ValidationKind};
use ff_core::stream_events::{CompletionEvent, CompletionOutcome, LeaseHistoryEvent};
use ff_core::stream_subscribe::{encode_postgres_event_cursor, encode_valkey_cursor, StreamCursor};
use std::time::Duration;

const WAIT: Duration = Duration::from_millis(2_000);
const QUIET: Duration = Duration::from_millis(100);

async fn completed(b: &Backend, tag: Option<&str>) -> ff_core::types::ExecutionId {
    let lane = format!("lane-{}", new_id().as_str().rsplit('-').next().unwrap());
    let mut args = create_args(&new_id(), &lane);
    if let Some(value) = tag {
        args.tags.insert("cairn.instance_id".into(), value.into());
    }
    let id = create_with(b, args).await;
    b.complete(&claim(b, &lane).await, None).await.unwrap();
    id
}

#[test]
fn subscribe_completion_tail_happy_path() {
    run(async {
        let (b, _) = backend().await;
        let before = completed(&b, None).await;
        let mut stream = b.subscribe_completion(StreamCursor::empty(), &ScannerFilter::NOOP).await.unwrap();
        let after = completed(&b, None).await;
        let events: Vec<CompletionEvent> = drain(&mut stream, 1, WAIT).await;
        assert_eq!(events.len(), 1);
        assert_eq!((&events[0].execution_id, &events[0].outcome), (&after, &CompletionOutcome::Success));
        assert_ne!(events[0].execution_id, before, "an empty cursor means from now");
        assert!(next_within(&mut stream, QUIET).await.is_none());
    })
}

#[test]
fn subscribe_completion_cursor_resume() {
    run(async {
        let (b, _) = backend().await;
        let mut stream = b.subscribe_completion(StreamCursor::empty(), &ScannerFilter::NOOP).await.unwrap();
        completed(&b, None).await;
        let seen = drain(&mut stream, 1, WAIT).await;
        drop(stream);
        let missed = completed(&b, None).await;
        let mut resumed = b.subscribe_completion(seen[0].cursor.clone(), &ScannerFilter::NOOP).await.unwrap();
        let events = drain(&mut resumed, 1, WAIT).await;
        assert_eq!(events[0].execution_id, missed, "resumes strictly after the cursor");
        assert!(next_within(&mut resumed, QUIET).await.is_none());
    })
}

#[test]
fn subscribe_completion_filters_by_instance_tag_and_namespace() {
    run(async {
        let (b, _) = backend().await;
        let tagged = ScannerFilter::new().with_instance_tag("cairn.instance_id", "i-42");
        let mut by_tag = b.subscribe_completion(StreamCursor::empty(), &tagged).await.unwrap();
        let mut by_namespace = b
            .subscribe_completion(StreamCursor::empty(), &ScannerFilter::new().with_namespace("tenant-b"))
            .await
            .unwrap();
        completed(&b, None).await;
        completed(&b, Some("i-7")).await;
        let wanted = completed(&b, Some("i-42")).await;
        let mut args = create_args(&new_id(), "tenant-b-lane");
        args.namespace = ff_core::types::Namespace::new("tenant-b");
        let in_b = create_with(&b, args).await;
        b.complete(&claim(&b, "tenant-b-lane").await, None).await.unwrap();
        assert_eq!(drain(&mut by_tag, 1, WAIT).await[0].execution_id, wanted);
        assert!(next_within(&mut by_tag, QUIET).await.is_none());
        assert_eq!(drain(&mut by_namespace, 1, WAIT).await[0].execution_id, in_b);
        assert!(next_within(&mut by_namespace, QUIET).await.is_none());
    })
}

#[test]
fn subscribe_lease_history_tail_happy_path() {
    run(async {
        let (b, _) = backend().await;
        let mut stream =
            b.subscribe_lease_history(StreamCursor::empty(), &ScannerFilter::NOOP).await.unwrap();
        let (id, h) = started(&b).await;
        b.renew(&h).await.unwrap();
        b.complete(&h, None).await.unwrap();
        let events: Vec<LeaseHistoryEvent> = drain(&mut stream, 3, WAIT).await;
        assert!(matches!(events[0], LeaseHistoryEvent::Acquired { .. }), "{events:?}");
        assert!(matches!(events[1], LeaseHistoryEvent::Renewed { .. }), "{events:?}");
        assert!(
            matches!(&events[2], LeaseHistoryEvent::Revoked { revoked_by, .. } if revoked_by == "backend")
        );
        assert!(events.iter().all(|e| e.execution_id() == &id));
    })
}

#[test]
fn subscribe_lease_history_cursor_resume() {
    run(async {
        let (b, _) = backend().await;
        let mut stream =
            b.subscribe_lease_history(StreamCursor::empty(), &ScannerFilter::NOOP).await.unwrap();
        let (_, h) = started(&b).await;
        let acquired = drain(&mut stream, 1, WAIT).await;
        drop(stream);
        b.renew(&h).await.unwrap();
        let mut resumed =
            b.subscribe_lease_history(acquired[0].cursor().clone(), &ScannerFilter::NOOP).await.unwrap();
        let events = drain(&mut resumed, 1, WAIT).await;
        assert!(matches!(events[0], LeaseHistoryEvent::Renewed { .. }), "{events:?}");
        assert!(next_within(&mut resumed, QUIET).await.is_none());
    })
}

#[test]
fn subscribe_lease_history_filter_by_instance_tag() {
    run(async {
        let (b, _) = backend().await;
        let filter = ScannerFilter::new().with_instance_tag("cairn.instance_id", "i-42");
        let mut stream = b.subscribe_lease_history(StreamCursor::empty(), &filter).await.unwrap();
        completed(&b, None).await;
        let tagged = completed(&b, Some("i-42")).await;
        let events = drain(&mut stream, 2, WAIT).await;
        assert!(matches!(events[0], LeaseHistoryEvent::Acquired { .. }), "{events:?}");
        assert!(matches!(events[1], LeaseHistoryEvent::Revoked { .. }), "{events:?}");
        assert!(events.iter().all(|e| e.execution_id() == &tagged));
        assert!(next_within(&mut stream, QUIET).await.is_none());
    })
}

#[test]
fn a_subscriber_far_behind_gets_every_event_in_order() {
    run(async {
        let (b, _) = backend().await;
        let mut stream = b.subscribe_completion(StreamCursor::empty(), &ScannerFilter::NOOP).await.unwrap();
        const N: usize = 300; // more than the reference's broadcast ring and this backend's buffer
        for _ in 0..N {
            completed(&b, None).await;
        }
        let events = drain(&mut stream, N, WAIT).await;
        assert_eq!(events.len(), N);
        assert!(events.windows(2).all(|w| w[1].cursor.as_bytes() > w[0].cursor.as_bytes()), "cursors ascend");
    })
}

#[test]
fn the_start_cursor_replays_every_outcome_cancel_included() {
    run(async {
        let (b, _) = backend().await;
        let done = completed(&b, None).await;
        let (failed, h) = started(&b).await;
        b.fail(&h, FailureReason::new("no"), FailureClass::Permanent).await.unwrap();
        let (cancelled, h) = started(&b).await;
        b.cancel(&h, "stop").await.unwrap();
        let mut stream =
            b.subscribe_completion(encode_postgres_event_cursor(0), &ScannerFilter::NOOP).await.unwrap();
        let got: Vec<_> =
            drain(&mut stream, 3, WAIT).await.into_iter().map(|e| (e.execution_id, e.outcome)).collect();
        let want = [
            (done, CompletionOutcome::Success),
            (failed, CompletionOutcome::Failure),
            (cancelled, CompletionOutcome::Cancelled),
        ];
        assert_eq!(got, want);
    })
}

#[test]
fn cursors_of_other_backends_are_refused() {
    run(async {
        let (b, _) = backend().await;
        for foreign in [encode_valkey_cursor(1, 2), StreamCursor::new(vec![0x02, 1, 2])] {
            let err = b.subscribe_lease_history(foreign.clone(), &ScannerFilter::NOOP).await.err().unwrap();
            assert!(
                matches!(err, EngineError::Validation { kind: ValidationKind::InvalidInput, .. }),
                "{err:?}"
            );
            let err = b.subscribe_completion(foreign, &ScannerFilter::NOOP).await.err().unwrap();
            assert!(
                matches!(err, EngineError::Validation { kind: ValidationKind::InvalidInput, .. }),
                "{err:?}"
            );
        }
    })
}

#[test]
fn dropping_a_subscription_releases_its_waiter() {
    run(async {
        let (b, _) = backend().await;
        let stream = b.subscribe_lease_history(StreamCursor::empty(), &ScannerFilter::NOOP).await.unwrap();
        tokio::time::sleep(QUIET).await;
        drop(stream);
        assert!(no_waiters(&b).await);
    })
}

#[test]
fn a_backend_going_away_disconnects_its_subscribers_with_their_cursor() {
    run(async {
        let wasm = WasmBackend::open_in_memory().await.unwrap();
        let b: Backend = wasm;
        let mut stream = b.subscribe_completion(StreamCursor::empty(), &ScannerFilter::NOOP).await.unwrap();
        completed(&b, None).await;
        let seen = drain(&mut stream, 1, WAIT).await;
        drop(b);
        match next_within(&mut stream, WAIT).await {
            Some(Err(EngineError::StreamDisconnected { cursor })) => assert_eq!(cursor, seen[0].cursor),
            other => panic!("expected StreamDisconnected, got {other:?}"),
        }
        assert!(next_within(&mut stream, QUIET).await.is_none(), "the stream ends after the disconnect");
    })
}
