//! Streams on host SQLite: the reference stream-reader suite, its edge cases, merge-patch rules,
//! best-effort retention, close reasons and the tail wait (driven by a hand-polled executor).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use ff_backend_wasm::engine::{Follower, Purpose, StreamFeed, Topic};
use ff_backend_wasm::model::*;
use ff_backend_wasm::ErrorCode;
use serde_json::json;
use std::pin::pin;
use std::task::Poll;

fn started() -> (Fixture, String, Handle) {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    (f, id, h)
}

fn read(f: &Fixture, id: &str, from: &str, to: &str, limit: i64) -> StreamFrames {
    f.engine.read_stream(id, 0, &ReadSpec { from: from.into(), to: to.into(), limit }).unwrap()
}

// ---- append (reference hot path 16-18) ----

#[test]
fn append_frame_durable_writes_frame_row() {
    let (f, _, h) = started();
    let a = f.append(&h, "hello");
    assert_eq!((a.frame_count, a.summary_version), (1, None));
    assert!(a.id.contains('-'));
    assert_eq!(f.append(&h, "again").frame_count, 2);
    assert_eq!(f.sql_rows("SELECT mode, attempt_index FROM ff_stream_frame").len(), 2);
}

#[test]
fn append_frame_summary_merges_document_and_bumps_version() {
    let (f, id, h) = started();
    assert_eq!(f.append_mode(&h, r#"{"a":1}"#, AppendMode::Summary).summary_version, Some(1));
    assert_eq!(f.append_mode(&h, r#"{"b":2}"#, AppendMode::Summary).summary_version, Some(2));
    let s = f.engine.read_summary(&id, 0).unwrap().unwrap();
    assert_eq!((s.document, s.version), (json!({"a": 1, "b": 2}), 2));
}

#[test]
fn append_frame_fence_mismatch_returns_contention_and_writes_nothing() {
    let (f, id, h) = started();
    let mut data = ff_backend_wasm::engine::token::decode(&h.token).unwrap();
    data.lease_epoch = 99;
    let forged = ff_backend_wasm::engine::token::encode(&data);
    assert_eq!(code(f.engine.append_frame(&forged, &FrameSpec::durable("x"))), "lease_conflict");
    assert!(f.read_all(&id, 0).frames.is_empty());
}

// ---- stream reader suite (reference 6.2) ----

#[test]
fn read_stream_happy_path_returns_frames_in_order() {
    let (f, id, h) = started();
    for p in ["one", "two", "three"] {
        f.append(&h, p);
    }
    let r = read(&f, &id, "start", "end", 100);
    assert_eq!(payloads(&r), vec!["one", "two", "three"]);
    assert_eq!((r.closed_at_ms, r.closed_reason), (None, None));
}

#[test]
fn read_stream_cursor_pagination_resumes() {
    let (f, id, h) = started();
    for i in 0..5 {
        f.append(&h, &format!("p{i}"));
        f.clock.advance(1);
    }
    let page = read(&f, &id, "start", "end", 2);
    assert_eq!(page.frames.len(), 2);
    let last = page.frames[1].id.clone();
    let next = read(&f, &id, &last, "end", 100);
    assert_eq!(payloads(&next), vec!["p1", "p2", "p3", "p4"]);
    assert_eq!(next.frames[0].id, last, "the lower bound is inclusive");
}

#[test]
fn read_stream_isolates_per_attempt_index() {
    let f = fixture();
    let id = f.create(CreateSpec {
        retry_policy: Some(RetryPolicy { max_retries: 1, backoff: Backoff::Fixed { delay_ms: 0 } }),
        ..Default::default()
    });
    let h0 = f.claim();
    f.append(&h0, "a0-1");
    f.append(&h0, "a0-2");
    f.engine.fail(&h0.token, "retry", FailClass::Transient).unwrap();
    let h1 = f.claim();
    f.append(&h1, "a1-only");
    assert_eq!(payloads(&f.read_all(&id, 0)), vec!["a0-1", "a0-2"]);
    assert_eq!(payloads(&f.read_all(&id, 1)), vec!["a1-only"]);
}

#[test]
fn read_summary_returns_merged_document_and_missing_is_none() {
    let (f, id, h) = started();
    assert!(f.engine.read_summary(&id, 0).unwrap().is_none());
    f.append(&h, "durable only");
    assert!(f.engine.read_summary(&id, 0).unwrap().is_none());
    f.append_mode(&h, r#"{"a":1}"#, AppendMode::Summary);
    f.clock.advance(3);
    f.append_mode(&h, r#"{"b":2}"#, AppendMode::Summary);
    let s = f.engine.read_summary(&id, 0).unwrap().unwrap();
    assert_eq!((s.version, s.first_applied_ms, s.last_updated_ms), (2, T0, T0 + 3));
    assert_eq!(s.document, json!({"a": 1, "b": 2}));
    assert!(f.engine.read_summary("{fp:0}:00000000-0000-4000-8000-000000000000", 0).unwrap().is_none());
}

#[test]
fn unknown_streams_read_as_empty() {
    let f = fixture();
    let r =
        f.engine.read_stream("{fp:0}:00000000-0000-4000-8000-000000000000", 3, &ReadSpec::default()).unwrap();
    assert_eq!(r, StreamFrames::default());
    assert_eq!(code(f.engine.read_stream("bad id", 0, &ReadSpec::default())), "invalid_input");
}

#[test]
fn read_limits_and_cursors_are_validated() {
    let (f, id, _) = started();
    for (from, to, limit) in
        [("start", "end", 0), ("start", "end", 10_001), ("x", "end", 10), ("start", "-", 10)]
    {
        let err =
            f.engine.read_stream(&id, 0, &ReadSpec { from: from.into(), to: to.into(), limit }).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{from} {to} {limit}");
    }
}

#[test]
fn bare_ms_upper_bound_covers_the_whole_millisecond_and_lower_means_seq_zero() {
    let (f, id, h) = started();
    f.append(&h, "t0-0");
    f.append(&h, "t0-1");
    f.clock.advance(1);
    f.append(&h, "t1-0");
    assert_eq!(payloads(&read(&f, &id, "start", &T0.to_string(), 100)), vec!["t0-0", "t0-1"]);
    assert_eq!(payloads(&read(&f, &id, &T0.to_string(), &format!("{T0}-0"), 100)), vec!["t0-0"]);
    assert_eq!(payloads(&read(&f, &id, &(T0 + 1).to_string(), "end", 100)), vec!["t1-0"]);
}

#[test]
fn two_frames_in_the_same_millisecond_get_seq_0_and_1() {
    let (f, _, h) = started();
    assert_eq!(f.append(&h, "a").id, format!("{T0}-0"));
    assert_eq!(f.append(&h, "b").id, format!("{T0}-1"));
}

#[test]
fn frame_ids_stay_increasing_when_the_clock_steps_back() {
    let (f, id, h) = started();
    f.clock.set(T0 + 100);
    let a = f.append(&h, "late clock");
    f.clock.set(T0 + 10);
    let b = f.append(&h, "clock stepped back");
    assert_eq!((a.id.as_str(), b.id.as_str()), (&*format!("{}-0", T0 + 100), &*format!("{}-1", T0 + 100)));
    let tailed = tail_now(&f, &id, &a.id);
    assert_eq!(
        payloads(&tailed),
        vec!["clock stepped back"],
        "a cursor past the first frame still sees the second"
    );
}

#[test]
fn binary_payloads_round_trip_as_base64_and_text_stays_utf8() {
    let (f, id, h) = started();
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    f.engine.append_frame(&h.token, &FrameSpec::durable(bytes.clone())).unwrap();
    f.append(&h, "plain ✓");
    let r = f.read_all(&id, 0);
    assert_eq!(r.frames[0].fields.encoding, Encoding::Base64);
    assert_eq!(ff_backend_wasm::base64::decode(&r.frames[0].fields.payload).unwrap(), bytes);
    assert_eq!(
        (r.frames[1].fields.encoding, r.frames[1].fields.payload.as_str()),
        (Encoding::Utf8, "plain ✓")
    );
}

#[test]
fn payloads_over_64_kib_are_rejected_and_nothing_is_written() {
    let (f, id, h) = started();
    f.engine.append_frame(&h.token, &FrameSpec::durable(vec![b'x'; 65_536])).unwrap();
    let err = f.engine.append_frame(&h.token, &FrameSpec::durable(vec![b'x'; 65_537])).unwrap_err();
    assert_eq!(err.code, ErrorCode::RetentionLimitExceeded);
    assert!(err.message.contains("65537"));
    assert_eq!(f.read_all(&id, 0).frames.len(), 1);
}

#[test]
fn frame_type_kind_and_correlation_id_are_stored() {
    let (f, id, h) = started();
    let spec = FrameSpec { kind: FrameKind::Stderr, ..FrameSpec::durable("e") };
    f.engine.append_frame(&h.token, &spec).unwrap();
    let spec = FrameSpec {
        kind: FrameKind::Event,
        frame_type: Some("agent_step".into()),
        correlation_id: Some("c-1".into()),
        ..FrameSpec::durable("s")
    };
    f.engine.append_frame(&h.token, &spec).unwrap();
    let r = f.read_all(&id, 0);
    assert_eq!(
        (r.frames[0].fields.frame_type.as_str(), r.frames[0].fields.correlation_id.clone()),
        ("stderr", None)
    );
    assert_eq!(
        (r.frames[1].fields.frame_type.as_str(), r.frames[1].fields.correlation_id.as_deref()),
        ("agent_step", Some("c-1"))
    );
}

// ---- summary patches: decision 6 one rule at a time ----

#[test]
fn summary_rules_null_deletes_sentinel_stores_null_arrays_replace_objects_merge() {
    let (f, id, h) = started();
    for patch in [
        r#"{"a":{"x":1,"y":2},"list":[1,2,3],"gone":true}"#,
        r#"{"a":{"y":null,"z":3},"list":[9],"gone":null,"nil":"__ff_null__"}"#,
    ] {
        f.append_mode(&h, patch, AppendMode::Summary);
    }
    let doc = f.engine.read_summary(&id, 0).unwrap().unwrap().document;
    assert_eq!(doc, json!({"a": {"x": 1, "z": 3}, "list": [9], "nil": null}));
}

#[test]
fn bad_summary_patches_are_rejected_and_nothing_is_written() {
    let (f, id, h) = started();
    f.append_mode(&h, r#"{"keep":1}"#, AppendMode::Summary);
    let deep = format!("{}1{}", r#"{"a":"#.repeat(18), "}".repeat(18));
    for bad in ["[1,2]", "42", "not json", "null", deep.as_str()] {
        let err = f
            .engine
            .append_frame(&h.token, &FrameSpec::durable(bad).with_mode(AppendMode::Summary))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{bad}");
    }
    let s = f.engine.read_summary(&id, 0).unwrap().unwrap();
    assert_eq!((s.version, s.document), (1, json!({"keep": 1})));
    assert_eq!(f.read_all(&id, 0).frames.len(), 1);
}

#[test]
fn a_summary_document_cannot_grow_past_one_mebibyte() {
    let (f, id, h) = started();
    let chunk = "x".repeat(60_000);
    let mut accepted = 0;
    let err = loop {
        let patch = format!(r#"{{"k{accepted}":"{chunk}"}}"#);
        match f.engine.append_frame(&h.token, &FrameSpec::durable(patch).with_mode(AppendMode::Summary)) {
            Ok(_) => accepted += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(err.code, ErrorCode::RetentionLimitExceeded);
    assert_eq!(accepted, 17, "17 x 60 kB fit in 1 MiB, the 18th does not");
    let s = f.engine.read_summary(&id, 0).unwrap().unwrap();
    assert_eq!(s.version, 17, "the refused patch changed nothing");
    assert_eq!(f.read_all(&id, 0).frames.len(), 17);
}

#[test]
fn a_retry_starts_a_new_summary() {
    let f = fixture();
    let id = f.create(CreateSpec {
        retry_policy: Some(RetryPolicy { max_retries: 1, backoff: Backoff::Fixed { delay_ms: 0 } }),
        ..Default::default()
    });
    let h = f.claim();
    f.append_mode(&h, r#"{"a":1}"#, AppendMode::Summary);
    f.engine.fail(&h.token, "x", FailClass::Transient).unwrap();
    let h1 = f.claim();
    assert_eq!(f.append_mode(&h1, r#"{"b":1}"#, AppendMode::Summary).summary_version, Some(1));
    assert_eq!(f.engine.read_summary(&id, 1).unwrap().unwrap().document, json!({"b": 1}));
}

// ---- best effort ----

#[test]
fn best_effort_trims_only_best_effort_frames_to_the_floor() {
    // Decision 7: trimming counts and removes best-effort frames alone.
    let (f, id, h) = started();
    for i in 0..300 {
        f.append(&h, &format!("durable {i}"));
    }
    let mut last = None;
    for i in 0..70 {
        last = Some(f.append_mode(&h, &format!("be {i}"), AppendMode::BestEffort { ttl_ms: 60_000 }));
    }
    assert_eq!(last.unwrap().frame_count, 300 + 64);
    let r = f.engine.read_stream(&id, 0, &ReadSpec { limit: 1000, ..Default::default() }).unwrap();
    let durable: Vec<_> = r.frames.iter().filter(|fr| fr.mode == FrameMode::Durable).collect();
    let best_effort: Vec<_> = r.frames.iter().filter(|fr| fr.mode == FrameMode::BestEffort).collect();
    assert_eq!(durable.len(), 300, "every durable frame survives best-effort appends");
    assert_eq!(best_effort.len(), 64);
    assert_eq!(best_effort[0].fields.payload, "be 6", "the oldest best-effort frames went first");
    assert_eq!(r.frames.last().unwrap().fields.payload, "be 69");
}

#[test]
fn summary_frames_are_never_trimmed_either() {
    let (f, id, h) = started();
    for i in 0..5 {
        f.append_mode(&h, &format!(r#"{{"step":{i}}}"#), AppendMode::Summary);
    }
    for i in 0..100 {
        f.append_mode(&h, &format!("be {i}"), AppendMode::BestEffort { ttl_ms: 60_000 });
    }
    f.clock.advance(10 * 60_000);
    let r = f.engine.read_stream(&id, 0, &ReadSpec { limit: 1000, ..Default::default() }).unwrap();
    assert_eq!(r.frames.iter().filter(|fr| fr.mode == FrameMode::Summary).count(), 5);
    assert_eq!(r.frames.len(), 5, "the best-effort frames expired; nothing else did");
}

#[test]
fn best_effort_only_streams_expire_after_twice_the_ttl() {
    let (f, id, h) = started();
    f.append_mode(&h, "live 1", AppendMode::BestEffort { ttl_ms: 1_000 });
    f.clock.advance(1_999);
    assert_eq!(f.read_all(&id, 0).frames.len(), 1);
    f.clock.advance(1);
    assert!(f.read_all(&id, 0).frames.is_empty(), "expired 2 x ttl after it was written");
    let a = f.append_mode(&h, "live 2", AppendMode::BestEffort { ttl_ms: 1_000 });
    assert_eq!(a.frame_count, 1, "the expired frame was dropped");
}

#[test]
fn best_effort_frames_expire_even_in_a_stream_with_durable_frames() {
    let (f, id, h) = started();
    f.append_mode(&h, "be", AppendMode::BestEffort { ttl_ms: 1_000 });
    f.append(&h, "durable");
    f.clock.advance(1_000);
    f.append_mode(&h, "be after", AppendMode::BestEffort { ttl_ms: 1_000 });
    f.clock.advance(1_000);
    assert_eq!(payloads(&f.read_all(&id, 0)), vec!["durable", "be after"], "the first expired at 2 x ttl");
    assert_eq!(payloads(&tail_now(&f, &id, "0-0")), vec!["durable", "be after"], "tails skip it too");
    f.clock.advance(20_000);
    assert_eq!(payloads(&f.read_all(&id, 0)), vec!["durable"]);
    let a = f.append(&h, "durable 2");
    assert_eq!(a.frame_count, 2, "expired frames are dropped from storage at the next append");
}

// ---- closing ----

#[test]
fn each_way_an_attempt_ends_closes_its_stream_with_its_reason() {
    type Ending = Box<dyn Fn(&Fixture, &str, &Handle)>;
    let cases: Vec<(&str, Ending)> = vec![
        ("attempt_success", Box::new(|f, _, h| f.engine.complete(&h.token, None).unwrap())),
        (
            "attempt_failure",
            Box::new(|f, _, h| {
                f.engine.fail(&h.token, "x", FailClass::Transient).unwrap();
            }),
        ),
        (
            "attempt_failure",
            Box::new(|f, _, h| {
                f.engine.fail(&h.token, "x", FailClass::Permanent).unwrap();
            }),
        ),
        (
            "attempt_cancelled",
            Box::new(|f, id, _| f.engine.cancel(&CancelTarget::Execution(id.into()), None).unwrap()),
        ),
        (
            "attempt_cancelled",
            Box::new(|f, _, h| f.engine.cancel(&CancelTarget::Handle(h.token.clone()), None).unwrap()),
        ),
        (
            "lease_expired",
            Box::new(|f, _, _| {
                f.clock.advance(30_000);
                f.engine.reclaim_expired().unwrap();
            }),
        ),
    ];
    for (reason, end) in cases {
        let (f, id, h) = started();
        f.append(&h, "before");
        f.clock.advance(1);
        end(&f, &id, &h);
        let r = f.read_all(&id, 0);
        assert_eq!(r.closed_reason.as_deref(), Some(reason));
        assert!(r.closed_at_ms.is_some());
        let err = f.engine.append_frame(&h.token, &FrameSpec::durable("after")).unwrap_err();
        assert!(matches!(err.code, ErrorCode::StreamClosed | ErrorCode::LeaseConflict), "{reason}: {err}");
        assert_eq!(payloads(&f.read_all(&id, 0)), vec!["before"], "{reason}: nothing written after close");
    }
}

#[test]
fn appends_after_complete_are_stream_closed() {
    let (f, _, h) = started();
    f.engine.complete(&h.token, None).unwrap();
    let err = f.engine.append_frame(&h.token, &FrameSpec::durable("late")).unwrap_err();
    assert_eq!(err.code, ErrorCode::StreamClosed);
    assert_eq!(err.kind().as_str(), "state");
}

// ---- tailStream ----

fn tail_spec(after: &str, block_ms: i64) -> TailSpec {
    TailSpec { block_ms, ..TailSpec::after(after) }
}

#[test]
fn tail_stream_fast_path_returns_existing_frames() {
    let (f, id, h) = started();
    f.append(&h, "x");
    let timer = FakeTimer::default();
    let spec = tail_spec("0-0", 0);
    let mut fut = pin!(f.engine.tail_stream(&id, 0, &spec, timer.sleep()));
    match poll_once(fut.as_mut()) {
        Poll::Ready(r) => assert_eq!(payloads(&r.unwrap()), vec!["x"]),
        Poll::Pending => panic!("block 0 never waits"),
    }
    assert_eq!(timer.requested_ms.get(), None);
}

#[test]
fn tail_stream_blocks_and_wakes_on_append() {
    let (f, id, h) = started();
    let timer = FakeTimer::default();
    let spec = tail_spec("0-0", 2_000);
    let mut fut = pin!(f.engine.tail_stream(&id, 0, &spec, timer.sleep()));
    assert!(poll_once(fut.as_mut()).is_pending());
    assert_eq!((timer.requested_ms.get(), f.engine.waiter_count()), (Some(2_000), 1));
    f.append(&h, "late");
    match poll_once(fut.as_mut()) {
        Poll::Ready(r) => assert_eq!(payloads(&r.unwrap()), vec!["late"]),
        Poll::Pending => panic!("the append should have woken the tail"),
    }
    assert_eq!(f.engine.waiter_count(), 0);
}

#[test]
fn tail_stream_timeout_returns_empty_open() {
    let (f, id, _) = started();
    let timer = FakeTimer::default();
    let spec = tail_spec("0-0", 150);
    let mut fut = pin!(f.engine.tail_stream(&id, 0, &spec, timer.sleep()));
    assert!(poll_once(fut.as_mut()).is_pending());
    timer.signal.fire();
    match poll_once(fut.as_mut()) {
        Poll::Ready(r) => assert_eq!(r.unwrap(), StreamFrames::default()),
        Poll::Pending => panic!("the deadline passed"),
    }
}

#[test]
fn tail_stream_rejects_open_cursors_and_bad_ranges() {
    let (f, id, _) = started();
    let timer = FakeTimer::default();
    for (after, block, limit) in
        [("start", 0, 10), ("end", 0, 10), ("0-0", 30_001, 10), ("0-0", -1, 10), ("0-0", 0, 0)]
    {
        let spec = TailSpec { limit, ..tail_spec(after, block) };
        let mut fut = pin!(f.engine.tail_stream(&id, 0, &spec, timer.sleep()));
        match poll_once(fut.as_mut()) {
            Poll::Ready(Err(e)) => assert_eq!(e.code, ErrorCode::InvalidInput, "{after} {block} {limit}"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}

#[test]
fn tail_stream_exclude_best_effort_filters_frames_and_keeps_waiting() {
    let (f, id, h) = started();
    f.append(&h, "dur");
    f.append_mode(&h, "be", AppendMode::BestEffort { ttl_ms: 60_000 });
    let timer = FakeTimer::default();
    let all = TailSpec { visibility: Visibility::All, ..tail_spec("0-0", 0) };
    let durable_only = TailSpec { visibility: Visibility::ExcludeBestEffort, ..tail_spec("0-0", 0) };
    let got = |spec: &TailSpec| {
        let mut fut = pin!(f.engine.tail_stream(&id, 0, spec, timer.sleep()));
        let polled = poll_once(fut.as_mut());
        match polled {
            Poll::Ready(r) => r.unwrap(),
            Poll::Pending => panic!(),
        }
    };
    assert_eq!(got(&all).frames.len(), 2);
    assert_eq!(payloads(&got(&durable_only)), vec!["dur"]);

    // Woken by a best-effort frame it filters out, the tail keeps waiting.
    let last = got(&all).frames[1].id.clone();
    let spec = TailSpec { visibility: Visibility::ExcludeBestEffort, ..tail_spec(&last, 1_000) };
    let mut fut = pin!(f.engine.tail_stream(&id, 0, &spec, timer.sleep()));
    assert!(poll_once(fut.as_mut()).is_pending());
    f.append_mode(&h, "be 2", AppendMode::BestEffort { ttl_ms: 60_000 });
    assert!(poll_once(fut.as_mut()).is_pending());
    f.append(&h, "dur 2");
    match poll_once(fut.as_mut()) {
        Poll::Ready(r) => assert_eq!(payloads(&r.unwrap()), vec!["dur 2"]),
        Poll::Pending => panic!(),
    }
}

#[test]
fn tail_after_the_last_id_is_empty_and_bare_ms_means_seq_zero() {
    let (f, id, h) = started();
    let a = f.append(&h, "a");
    f.append(&h, "b");
    assert!(tail_now(&f, &id, &format!("{T0}-1")).frames.is_empty());
    assert_eq!(payloads(&tail_now(&f, &id, &T0.to_string())), vec!["b"]);
    assert_eq!(payloads(&tail_now(&f, &id, &a.id)), vec!["b"]);
}

#[test]
fn tail_on_a_closed_stream_returns_at_once_with_the_markers() {
    let (f, id, h) = started();
    f.append(&h, "only");
    f.engine.complete(&h.token, None).unwrap();
    let timer = FakeTimer::default();
    let spec = tail_spec(&format!("{T0}-0"), 30_000);
    let mut fut = pin!(f.engine.tail_stream(&id, 0, &spec, timer.sleep()));
    let polled = poll_once(fut.as_mut());
    match polled {
        Poll::Ready(r) => {
            let r = r.unwrap();
            assert!(r.frames.is_empty());
            assert_eq!(r.closed_reason.as_deref(), Some("attempt_success"));
        }
        Poll::Pending => panic!("a closed stream never blocks"),
    }
}

#[test]
fn a_rolled_back_append_wakes_nobody() {
    let (f, id, h) = started();
    let timer = FakeTimer::default();
    let spec = tail_spec("0-0", 1_000);
    let mut fut = pin!(f.engine.tail_stream(&id, 0, &spec, timer.sleep()));
    assert!(poll_once(fut.as_mut()).is_pending());
    let sub = f.engine.notifier().subscribe(Topic::Stream((ExecutionId::parse(&id).unwrap(), 0)));
    let signal = sub.signal();
    f.engine.append_frame(&h.token, &FrameSpec::durable("[1]").with_mode(AppendMode::Summary)).unwrap_err();
    assert!(!signal.is_fired(), "a failed append must not wake");
    f.append(&h, "ok");
    assert!(signal.is_fired());
}

// ---- the tail iterator's cursor ----

fn tail_of(f: &Fixture, id: &str, limit: i64) -> Follower<StreamFeed> {
    f.engine.follow_stream(id, 0, &TailSpec { limit, ..TailSpec::after("0-0") }).unwrap()
}

#[test]
fn tail_cursor_yields_everything_in_order_then_finishes_at_close() {
    let (f, id, h) = started();
    f.append(&h, "1");
    let cursor = tail_of(&f, &id, 2);
    let next = |c: &Follower<StreamFeed>| {
        let mut fut = pin!(c.next(&f.engine));
        let polled = poll_once(fut.as_mut());
        polled
    };
    assert!(matches!(next(&cursor), Poll::Ready(Ok(Some(ref fr))) if fr.fields.payload == "1"));
    {
        let mut pending = pin!(cursor.next(&f.engine));
        assert!(poll_once(pending.as_mut()).is_pending());
        f.append(&h, "2");
        f.append(&h, "3");
        f.append(&h, "4");
        assert!(
            matches!(poll_once(pending.as_mut()), Poll::Ready(Ok(Some(ref fr))) if fr.fields.payload == "2")
        );
    }
    f.engine.complete(&h.token, None).unwrap();
    let rest: Vec<String> = std::iter::from_fn(|| match next(&cursor) {
        Poll::Ready(Ok(Some(fr))) => Some(fr.fields.payload),
        _ => None,
    })
    .collect();
    assert_eq!(rest, vec!["3", "4"]);
    assert!(matches!(next(&cursor), Poll::Ready(Ok(None))));
    assert_eq!(f.engine.waiter_count(), 0);
}

#[test]
fn releasing_a_waiting_tail_cursor_ends_it_and_unregisters_the_waiter() {
    let (f, id, _) = started();
    let cursor = tail_of(&f, &id, 100);
    let mut pending = pin!(cursor.next(&f.engine));
    assert!(poll_once(pending.as_mut()).is_pending());
    assert_eq!(f.engine.waiter_count(), 1);
    cursor.release();
    assert!(matches!(poll_once(pending.as_mut()), Poll::Ready(Ok(None))));
    assert_eq!(f.engine.waiter_count(), 0);
}

#[test]
fn closing_the_engine_ends_waiting_tails_with_closed() {
    let (f, id, _) = started();
    let cursor = tail_of(&f, &id, 100);
    let mut pending = pin!(cursor.next(&f.engine));
    assert!(poll_once(pending.as_mut()).is_pending());
    f.engine.close();
    match poll_once(pending.as_mut()) {
        Poll::Ready(Err(e)) => assert_eq!(e.code, ErrorCode::Closed),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_thousand_waiters_on_one_stream_all_wake_and_leave_nothing_behind() {
    let (f, id, h) = started();
    let cursors: Vec<Follower<StreamFeed>> = (0..1000).map(|_| tail_of(&f, &id, 100)).collect();
    let mut futures: Vec<_> = cursors.iter().map(|c| Box::pin(c.next(&f.engine))).collect();
    for fut in &mut futures {
        assert!(poll_once(fut.as_mut()).is_pending());
    }
    let other = f.create_default();
    let _ = other;
    assert_eq!(f.engine.waiter_count(), 1000);
    f.append(&h, "fan-out");
    for fut in &mut futures {
        assert!(
            matches!(poll_once(fut.as_mut()), Poll::Ready(Ok(Some(ref fr))) if fr.fields.payload == "fan-out")
        );
    }
    drop(futures);
    assert_eq!(f.engine.waiter_count(), 0);
}

// ---- review follow-ups ----

#[test]
fn cancelling_before_any_claim_closes_the_first_stream_and_ends_its_tail() {
    let f = fixture();
    let id = f.create_default();
    let cursor = tail_of(&f, &id, 100);
    let mut pending = pin!(cursor.next(&f.engine));
    assert!(poll_once(pending.as_mut()).is_pending());
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    assert!(matches!(poll_once(pending.as_mut()), Poll::Ready(Ok(None))));
    assert_eq!(f.read_all(&id, 0).closed_reason.as_deref(), Some("attempt_cancelled"));
    assert_eq!(f.engine.waiter_count(), 0);
}

#[test]
fn cancelling_during_retry_backoff_closes_the_next_attempts_stream() {
    let (f, id, h) = started();
    let FailOutcome::RetryScheduled { next_attempt_index, .. } =
        f.engine.fail(&h.token, "x", FailClass::Transient).unwrap()
    else {
        panic!("expected a retry")
    };
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    assert_eq!(f.read_all(&id, 0).closed_reason.as_deref(), Some("attempt_failure"));
    assert_eq!(f.read_all(&id, next_attempt_index).closed_reason.as_deref(), Some("attempt_cancelled"));
}

#[test]
fn a_dead_handle_is_reported_before_bad_frame_input() {
    let (f, _, h) = started();
    f.engine.complete(&h.token, None).unwrap();
    let too_big = FrameSpec::durable(vec![b'x'; 70_000]);
    assert_eq!(code(f.engine.append_frame(&h.token, &too_big)), "stream_closed");
    let not_json = FrameSpec::durable("{").with_mode(AppendMode::Summary);
    assert_eq!(code(f.engine.append_frame(&h.token, &not_json)), "stream_closed");
    assert_eq!(code(f.engine.progress(&h.token, Some(500.0), None)), "execution_not_active");
}

#[test]
fn an_empty_frame_type_falls_back_to_the_kind() {
    let (f, id, h) = started();
    let spec =
        FrameSpec { kind: FrameKind::Event, frame_type: Some(String::new()), ..FrameSpec::durable("e") };
    f.engine.append_frame(&h.token, &spec).unwrap();
    assert_eq!(f.read_all(&id, 0).frames[0].fields.frame_type, "event");
}

#[test]
fn a_clock_at_zero_never_mints_the_0_0_cursor() {
    let (f, id, h) = started();
    f.clock.set(0);
    assert_eq!(f.append(&h, "first").id, "0-1");
    assert_eq!(payloads(&tail_now(&f, &id, "0-0")), vec!["first"]);
}

#[test]
fn a_hostile_image_with_negative_frame_ids_reads_as_corruption_not_a_crash() {
    let (f, id, h) = started();
    f.append(&h, "x");
    let image = f.engine.export_image().unwrap();
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.deserialize_read_exact(rusqlite::MAIN_DB, image.as_slice(), image.len(), false).unwrap();
    conn.execute("UPDATE ff_stream_frame SET ts_ms = -5", []).unwrap();
    let hostile = conn.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
    let engine = ff_backend_wasm::Engine::new(
        ff_backend_wasm::Store::open_memory(Some(&hostile)).unwrap(),
        Box::new(ff_backend_wasm::ManualHost::new(T0)),
    );
    let err = engine.read_stream(&id, 0, &ReadSpec::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::Corruption);
}

// ---- hardening: tails on the attempt a reclaim would run ----

/// Claims, lets the lease expire and finds it expired, then parks a tail on attempt 1 (the
/// attempt the reclaim would run).
fn expired_with_a_tail_on_the_next_attempt(f: &Fixture) -> (String, Follower<StreamFeed>) {
    let id = f.create_default();
    f.claim();
    f.clock.advance(30_000);
    assert_eq!(f.engine.reclaim_expired().unwrap(), 1);
    let tail = f.engine.follow_stream(&id, 1, &TailSpec::after("0-0")).unwrap();
    (id, tail)
}

#[test]
fn cancelling_after_a_lease_expired_ends_a_tail_on_the_next_attempt() {
    let f = fixture();
    let (id, tail) = expired_with_a_tail_on_the_next_attempt(&f);
    let mut pending = pin!(tail.next(&f.engine));
    assert!(poll_once(pending.as_mut()).is_pending());
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    assert!(matches!(poll_once(pending.as_mut()), Poll::Ready(Ok(None))));
    assert_eq!(f.read_all(&id, 1).closed_reason.as_deref(), Some("attempt_cancelled"));
    assert_eq!(f.read_all(&id, 0).closed_reason.as_deref(), Some("lease_expired"), "first close wins");
    assert_eq!(f.engine.waiter_count(), 0);
}

#[test]
fn failing_at_the_reclaim_cap_ends_a_tail_on_the_next_attempt() {
    let f = fixture();
    let id = f.create_default();
    f.claim();
    for _ in 1..=ff_backend_wasm::engine::RECLAIM_CAP {
        f.clock.advance(30_000);
        f.claim();
    }
    let last = f.info(&id).attempt_index;
    let tail = f.engine.follow_stream(&id, last + 1, &TailSpec::after("0-0")).unwrap();
    let mut pending = pin!(tail.next(&f.engine));
    assert!(poll_once(pending.as_mut()).is_pending());
    f.clock.advance(30_000);
    f.engine.reclaim_expired().unwrap();
    assert_eq!(f.info(&id).public_state, PublicState::Failed);
    assert!(matches!(poll_once(pending.as_mut()), Poll::Ready(Ok(None))));
    assert_eq!(f.read_all(&id, last + 1).closed_reason.as_deref(), Some("attempt_failure"));
    assert_eq!(f.read_all(&id, last).closed_reason.as_deref(), Some("lease_expired"));
}

#[test]
fn check_handle_reports_the_fence_error_of_a_dead_handle() {
    let (f, _, h) = started();
    f.engine.check_handle(&h.token, Purpose::Append).unwrap();
    f.engine.complete(&h.token, None).unwrap();
    assert_eq!(code(f.engine.check_handle(&h.token, Purpose::Append)), "stream_closed");
    assert_eq!(code(f.engine.check_handle(&h.token, Purpose::Lease)), "execution_not_active");
    assert_eq!(code(f.engine.check_handle("garbage", Purpose::Lease)), "corruption");
}
