//! The reference's stream-reader suite (behaviour spec §6.2), then what the engine adds: close
//! markers, limits, binary payloads, summary rules and waits that end when their caller does.

use crate::common::*;
use ff_core::backend::{Frame, FrameKind, StreamMode, TailVisibility};
use ff_core::contracts::StreamCursor;
use ff_core::engine_error::{EngineError, StateKind, ValidationKind};
use ff_core::types::AttemptIndex;
use serde_json::json;
use std::time::{Duration, Instant};

const A0: AttemptIndex = AttemptIndex(0);

fn text(payload: &str) -> Frame {
    Frame::new(payload.as_bytes().to_vec(), FrameKind::Stdout)
}

fn at(id: &str) -> StreamCursor {
    StreamCursor::At(id.into())
}

fn is_invalid(e: &EngineError) -> bool {
    matches!(e, EngineError::Validation { kind: ValidationKind::InvalidInput, .. })
}

#[test]
fn read_stream_happy_path_returns_frames_in_order() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        for i in 0..3 {
            b.append_frame(&h, text(&format!("payload-{i}"))).await.unwrap();
        }
        let read = b.read_stream(&id, A0, StreamCursor::Start, StreamCursor::End, 100).await.unwrap();
        assert_eq!(payloads(&read), ["payload-0", "payload-1", "payload-2"]);
        assert!(read.closed_at.is_none() && read.closed_reason.is_none());
    })
}

#[test]
fn read_stream_cursor_pagination_resumes() {
    run(async {
        let (b, clock) = backend().await;
        let (id, h) = started(&b).await;
        for i in 0..5 {
            clock.advance(1);
            b.append_frame(&h, text(&format!("p{i}"))).await.unwrap();
        }
        let first = b.read_stream(&id, A0, StreamCursor::Start, StreamCursor::End, 2).await.unwrap();
        assert_eq!(payloads(&first), ["p0", "p1"]);
        // The lower bound is inclusive: re-reading from the last id returns it again.
        let last = first.frames[1].id.clone();
        let again = b.read_stream(&id, A0, at(&last), StreamCursor::End, 100).await.unwrap();
        assert_eq!(again.frames[0].id, last);
        assert_eq!(payloads(&again), ["p1", "p2", "p3", "p4"]);
        // A bare "<ms>" upper bound covers the whole millisecond.
        let ms = last.split('-').next().unwrap();
        let upto = b.read_stream(&id, A0, StreamCursor::Start, at(ms), 100).await.unwrap();
        assert_eq!(payloads(&upto), ["p0", "p1"]);
    })
}

#[test]
fn read_stream_isolates_per_attempt_index() {
    run(async {
        let (b, _) = backend().await;
        let lane = "isolation";
        let id = create_with(&b, with_retries(create_args(&new_id(), lane), 1, 0)).await;
        let h0 = claim(&b, lane).await;
        b.append_frame(&h0, text("a0-first")).await.unwrap();
        b.append_frame(&h0, text("a0-second")).await.unwrap();
        let reason = ff_core::backend::FailureReason::new("flaky");
        b.fail(&h0, reason, ff_core::backend::FailureClass::Transient).await.unwrap();
        let h1 = claim(&b, lane).await;
        b.append_frame(&h1, text("a1-only")).await.unwrap();
        let zero = b.read_stream(&id, A0, StreamCursor::Start, StreamCursor::End, 100).await.unwrap();
        let one =
            b.read_stream(&id, AttemptIndex(1), StreamCursor::Start, StreamCursor::End, 100).await.unwrap();
        assert_eq!(payloads(&zero), ["a0-first", "a0-second"]);
        assert_eq!(zero.closed_reason.as_deref(), Some("attempt_failure"));
        assert_eq!(payloads(&one), ["a1-only"]);
        assert!(one.closed_at.is_none());
    })
}

#[test]
fn read_summary_returns_merged_document() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let patch = |p: &str| text(p).with_mode(StreamMode::durable_summary());
        let first = b.append_frame(&h, patch(r#"{"a":1,"gone":true}"#)).await.unwrap();
        let second = b.append_frame(&h, patch(r#"{"b":2,"gone":null,"nil":"__ff_null__"}"#)).await.unwrap();
        assert_eq!((first.summary_version, second.summary_version), (Some(1), Some(2)));
        let s = b.read_summary(&id, A0).await.unwrap().expect("a summary");
        let doc: serde_json::Value = serde_json::from_slice(&s.document_json).unwrap();
        assert_eq!(doc, json!({"a": 1, "b": 2, "nil": null}));
        assert_eq!(s.version, 2);
        assert_eq!((s.first_applied_ms, s.last_updated_ms), (T0 as u64, T0 as u64));
    })
}

#[test]
fn read_summary_missing_returns_none() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        b.append_frame(&h, text("not a summary")).await.unwrap();
        assert!(b.read_summary(&id, A0).await.unwrap().is_none());
        assert!(b.read_summary(&new_id(), A0).await.unwrap().is_none(), "unknown execution");
    })
}

#[test]
fn a_rejected_summary_patch_writes_nothing() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let bad = text("[1, 2]").with_mode(StreamMode::durable_summary());
        assert!(is_invalid(&b.append_frame(&h, bad).await.unwrap_err()));
        let read = b.read_stream(&id, A0, StreamCursor::Start, StreamCursor::End, 100).await.unwrap();
        assert!(read.frames.is_empty());
        assert!(b.read_summary(&id, A0).await.unwrap().is_none());
    })
}

#[test]
fn tail_stream_fast_path_returns_existing_frames() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        b.append_frame(&h, text("first")).await.unwrap();
        let all = TailVisibility::All;
        let got = b.tail_stream(&id, A0, StreamCursor::from_beginning(), 0, 100, all).await.unwrap();
        assert_eq!(payloads(&got), ["first"]);
        // Strictly after the cursor: nothing newer yet.
        let after = at(&got.frames[0].id);
        assert!(b.tail_stream(&id, A0, after, 0, 100, all).await.unwrap().frames.is_empty());
    })
}

#[test]
fn tail_stream_blocks_and_wakes_on_append() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let writer = b.clone();
        let append = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(80)).await;
            writer.append_frame(&h, text("late")).await.unwrap();
        });
        let start = Instant::now();
        let got = b
            .tail_stream(&id, A0, StreamCursor::from_beginning(), 2000, 100, TailVisibility::All)
            .await
            .unwrap();
        let waited = start.elapsed();
        append.await.unwrap();
        assert_eq!(payloads(&got), ["late"]);
        assert!(waited >= Duration::from_millis(50), "returned before the append: {waited:?}");
        assert!(waited < Duration::from_millis(1500), "not woken by the append: {waited:?}");
    })
}

#[test]
fn tail_stream_timeout_returns_empty_open() {
    run(async {
        let (b, _) = backend().await;
        let (id, _h) = started(&b).await;
        let start = Instant::now();
        let got = b
            .tail_stream(&id, A0, StreamCursor::from_beginning(), 150, 100, TailVisibility::All)
            .await
            .unwrap();
        assert!(start.elapsed() >= Duration::from_millis(100));
        assert!(got.frames.is_empty() && got.closed_at.is_none() && got.closed_reason.is_none());
        assert!(no_waiters(&b).await);
    })
}

#[test]
fn tail_stream_rejects_open_cursors() {
    run(async {
        let (b, _) = backend().await;
        let (id, _h) = started(&b).await;
        for open in [StreamCursor::Start, StreamCursor::End, at("start")] {
            let err = b.tail_stream(&id, A0, open, 0, 100, TailVisibility::All).await.unwrap_err();
            assert!(is_invalid(&err), "{err:?}");
        }
    })
}

#[test]
fn tail_stream_exclude_best_effort_filters_frames() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        b.append_frame(&h, text("dur")).await.unwrap();
        b.append_frame(&h, text("live").with_mode(StreamMode::best_effort_live(60_000))).await.unwrap();
        let from = StreamCursor::from_beginning;
        let all = b.tail_stream(&id, A0, from(), 0, 100, TailVisibility::All).await.unwrap();
        let durable =
            b.tail_stream(&id, A0, from(), 0, 100, TailVisibility::ExcludeBestEffort).await.unwrap();
        assert_eq!(payloads(&all), ["dur", "live"]);
        assert_eq!(payloads(&durable), ["dur"]);
        assert_eq!(all.frames[1].fields["mode"], "best_effort");
    })
}

#[test]
fn a_closed_stream_answers_a_tail_at_once_with_its_markers() {
    run(async {
        let (b, clock) = backend().await;
        let (id, h) = started(&b).await;
        b.append_frame(&h, text("last words")).await.unwrap();
        clock.advance(5);
        b.complete(&h, None).await.unwrap();
        let start = Instant::now();
        let seen = b
            .tail_stream(&id, A0, StreamCursor::from_beginning(), 0, 100, TailVisibility::All)
            .await
            .unwrap();
        let after = at(&seen.frames[0].id);
        let end = b.tail_stream(&id, A0, after, 5_000, 100, TailVisibility::All).await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(1000), "a closed stream must not block");
        assert!(end.frames.is_empty());
        assert_eq!(
            (end.closed_at.map(|t| t.0), end.closed_reason.as_deref()),
            (Some(T0 + 5), Some("attempt_success"))
        );
        let err = b.append_frame(&h, text("too late")).await.unwrap_err();
        assert!(matches!(err, EngineError::State(StateKind::StreamClosed)), "{err:?}");
    })
}

#[test]
fn a_completed_stream_wakes_a_waiting_tail() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let worker = b.clone();
        let done = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            worker.complete(&h, None).await.unwrap();
        });
        let got = b
            .tail_stream(&id, A0, StreamCursor::from_beginning(), 5_000, 10, TailVisibility::All)
            .await
            .unwrap();
        done.await.unwrap();
        assert_eq!(got.closed_reason.as_deref(), Some("attempt_success"));
    })
}

#[test]
fn frames_carry_the_reference_fields_and_binary_round_trips() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let tagged = text("x").with_frame_type("delta").with_correlation_id("c-1");
        let outcome = b.append_frame(&h, tagged).await.unwrap();
        assert_eq!((outcome.frame_count, outcome.summary_version), (1, None));
        assert_eq!(outcome.stream_id, format!("{T0}-0"));
        b.append_frame(&h, Frame::new(vec![0xff, 0x00, 0x80], FrameKind::Blob)).await.unwrap();
        let read = b.read_stream(&id, A0, StreamCursor::Start, StreamCursor::End, 10).await.unwrap();
        let f = &read.frames[0].fields;
        let keys: Vec<&str> = f.keys().map(String::as_str).collect();
        assert_eq!(keys, ["correlation_id", "encoding", "frame_type", "mode", "payload", "source"]);
        assert_eq!((f["frame_type"].as_str(), f["correlation_id"].as_str()), ("delta", "c-1"));
        assert_eq!(
            (f["encoding"].as_str(), f["source"].as_str(), f["mode"].as_str()),
            ("utf8", "worker", "durable")
        );
        let blob = &read.frames[1].fields;
        assert_eq!((blob["frame_type"].as_str(), blob["encoding"].as_str()), ("blob", "base64"));
        assert_eq!(blob["payload"], "/wCA");
    })
}

#[test]
fn limits_and_malformed_cursors_are_invalid_input() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let (s, e) = (StreamCursor::Start, StreamCursor::End);
        assert!(is_invalid(&b.read_stream(&id, A0, s.clone(), e.clone(), 0).await.unwrap_err()));
        assert!(is_invalid(&b.read_stream(&id, A0, s.clone(), e.clone(), 10_001).await.unwrap_err()));
        assert!(is_invalid(&b.read_stream(&id, A0, at("12-x"), e, 10).await.unwrap_err()));
        let from = StreamCursor::from_beginning();
        assert!(is_invalid(
            &b.tail_stream(&id, A0, from, 30_001, 10, TailVisibility::All).await.unwrap_err()
        ));
        let huge = Frame::new(vec![b'x'; 65_537], FrameKind::Stdout);
        let err = b.append_frame(&h, huge).await.unwrap_err();
        assert!(matches!(err, EngineError::Validation { kind: ValidationKind::RetentionLimitExceeded, .. }));
        // Unknown executions and attempts read as empty, as in the reference.
        let none = b.read_stream(&new_id(), A0, s, StreamCursor::End, 10).await.unwrap();
        assert!(none.frames.is_empty() && none.closed_at.is_none());
    })
}

#[test]
fn an_abandoned_tail_releases_its_waiter() {
    run(async {
        let (b, _) = backend().await;
        let (id, _h) = started(&b).await;
        let tail = b.tail_stream(&id, A0, StreamCursor::from_beginning(), 30_000, 10, TailVisibility::All);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), tail).await.is_err(),
            "nothing to return yet"
        );
        assert!(no_waiters(&b).await, "the dropped tail still waits on the engine thread");
    })
}

#[test]
fn a_tail_on_another_thread_is_woken_by_an_append_on_this_one() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let reader = b.clone();
        let tail = std::thread::spawn(move || {
            run(async move {
                let from = StreamCursor::from_beginning();
                reader.tail_stream(&id, A0, from, 5_000, 10, TailVisibility::All).await.unwrap()
            })
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        b.append_frame(&h, text("across threads")).await.unwrap();
        let got = tokio::task::spawn_blocking(move || tail.join().unwrap()).await.unwrap();
        assert_eq!(payloads(&got), ["across threads"]);
    })
}
