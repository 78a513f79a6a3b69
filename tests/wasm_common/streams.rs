//! The reference stream-reader suite (§6.2) and hot-path appends (§6.1 16-18), once, over the
//! JS facade. Each function takes a freshly opened, empty database.

use super::*;
use ff_backend_wasm::js::backend::Backend;

pub async fn append_frame_durable_writes_frame_row(ff: &Backend) {
    let (id, h) = started(ff).await;
    let a = append(ff, &h, "hello").await;
    assert_eq!(get_num(&a, "frameCount"), 1.0);
    assert!(get_str(&a, "id").contains('-'));
    assert!(get(&a, "summaryVersion").is_null());
    assert_eq!(get_num(&append(ff, &h, "again").await, "frameCount"), 2.0);
    assert_eq!(frame_payloads(&read_all(ff, &id, 0).await), vec!["hello", "again"]);
}

pub async fn append_frame_summary_merges_document_and_bumps_version(ff: &Backend) {
    let (id, h) = started(ff).await;
    let a = append_with(ff, &h, r#"{"payload":"{\"a\":1}","mode":"summary"}"#).await;
    assert_eq!(get_num(&a, "summaryVersion"), 1.0);
    let b = append_with(ff, &h, r#"{"payload":"{\"b\":2}","mode":"summary"}"#).await;
    assert_eq!(get_num(&b, "summaryVersion"), 2.0);
    let s = ok(ff.read_summary(id.clone().into(), 0.into())).await;
    assert_eq!(get_num(&s, "version"), 2.0);
    assert_eq!((get_num(&s, "document.a"), get_num(&s, "document.b")), (1.0, 2.0));
}

pub async fn append_frame_fence_mismatch_returns_contention(ff: &Backend) {
    let (id, h) = started(ff).await;
    let mut data = ff_backend_wasm::engine::token::decode(&get_str(&h, "token")).unwrap();
    data.lease_epoch = 999;
    let forged = js_sys::Object::new();
    Reflect::set(&forged, &"token".into(), &ff_backend_wasm::engine::token::encode(&data).into()).unwrap();
    rejects(ff.append_frame(forged.into(), js(r#"{"payload":"x"}"#)), "contention", "lease_conflict").await;
    assert!(frame_payloads(&read_all(ff, &id, 0).await).is_empty(), "nothing written");
    append(ff, &h, "genuine").await;
    ok(ff.complete(h.clone(), None)).await;
    rejects(ff.append_frame(h, js(r#"{"payload":"late"}"#)), "state", "stream_closed").await;
    assert_eq!(frame_payloads(&read_all(ff, &id, 0).await), vec!["genuine"]);
}

pub async fn read_stream_happy_path_returns_frames_in_order(ff: &Backend) {
    let (id, h) = started(ff).await;
    for p in ["one", "two", "three"] {
        append(ff, &h, p).await;
    }
    let r = read_all(ff, &id, 0).await;
    assert_eq!(frame_payloads(&r), vec!["one", "two", "three"]);
    assert!(get(&r, "closedAtMs").is_null() && get(&r, "closedReason").is_null());
}

pub async fn read_stream_cursor_pagination_resumes(ff: &Backend) {
    let (id, h) = started(ff).await;
    for i in 0..5 {
        append(ff, &h, &format!("p{i}")).await;
    }
    let page = ok(ff.read_stream(id.clone().into(), 0.into(), Some(js(r#"{"limit":2}"#)))).await;
    let frames: js_sys::Array = get(&page, "frames").into();
    assert_eq!(frames.length(), 2);
    let last = get_str(&frames.get(1), "id");
    let opts = js_sys::Object::new();
    Reflect::set(&opts, &"from".into(), &last.clone().into()).unwrap();
    let next = ok(ff.read_stream(id.into(), 0.into(), Some(opts.into()))).await;
    assert_eq!(frame_payloads(&next), vec!["p1", "p2", "p3", "p4"], "the lower bound is inclusive");
    let rest: js_sys::Array = get(&next, "frames").into();
    assert_eq!(get_str(&rest.get(0), "id"), last);
}

pub async fn read_stream_isolates_per_attempt_index(ff: &Backend) {
    let spec = r#"{"retryPolicy":{"maxRetries":1,"backoff":{"type":"fixed","delayMs":0}}}"#;
    let id = get_str(&ok(ff.create_execution(Some(js(spec)))).await, "executionId");
    let h0 = ok(ff.claim(js(r#"{"workerId":"w1"}"#))).await;
    append(ff, &h0, "a0-1").await;
    append(ff, &h0, "a0-2").await;
    ok(ff.fail(h0, js(r#"{"message":"again"}"#))).await;
    let h1 = ok(ff.claim(js(r#"{"workerId":"w1"}"#))).await;
    assert_eq!(get_num(&h1, "attemptIndex"), 1.0);
    append(ff, &h1, "a1-only").await;
    assert_eq!(frame_payloads(&read_all(ff, &id, 0).await), vec!["a0-1", "a0-2"]);
    assert_eq!(frame_payloads(&read_all(ff, &id, 1).await), vec!["a1-only"]);
}

pub async fn read_summary_returns_merged_document(ff: &Backend) {
    let (id, h) = started(ff).await;
    append_with(ff, &h, r#"{"payload":"{\"a\":1}","mode":"summary"}"#).await;
    append_with(ff, &h, r#"{"payload":"{\"b\":2}","mode":"summary"}"#).await;
    let s = ok(ff.read_summary(id.into(), 0.into())).await;
    assert_eq!(get_num(&s, "version"), 2.0);
    assert!(get_num(&s, "lastUpdatedMs") > 0.0 && get_num(&s, "firstAppliedMs") > 0.0);
    assert_eq!(JSON::stringify(&get(&s, "document")).unwrap().as_string().unwrap(), r#"{"a":1,"b":2}"#);
}

pub async fn read_summary_missing_returns_null(ff: &Backend) {
    let (id, h) = started(ff).await;
    append(ff, &h, "durable only").await;
    assert!(ok(ff.read_summary(id.into(), 0.into())).await.is_null());
}

pub async fn tail_stream_fast_path_returns_existing_frames(ff: &Backend) {
    let (id, h) = started(ff).await;
    append(ff, &h, "x").await;
    let r = ok(ff.tail_stream(id.into(), 0.into(), js(r#"{"after":"0-0","blockMs":0}"#))).await;
    assert_eq!(frame_payloads(&r), vec!["x"]);
}

pub async fn tail_stream_blocks_and_wakes_on_append(ff: &Backend) {
    let (id, h) = started(ff).await;
    let started_at = js_sys::Date::now();
    let waiting = ff.tail_stream(id.into(), 0.into(), js(r#"{"after":"0-0","blockMs":2000}"#));
    sleep(80).await;
    assert_eq!(waiters(ff).await, 1, "the tail is parked on its stream");
    append(ff, &h, "late").await;
    let r = ok(waiting).await;
    assert_eq!(frame_payloads(&r), vec!["late"]);
    assert!(js_sys::Date::now() - started_at >= 50.0, "it waited for the append");
    assert_eq!(waiters(ff).await, 0);
}

pub async fn tail_stream_timeout_returns_empty_open(ff: &Backend) {
    let (id, _) = started(ff).await;
    let started_at = js_sys::Date::now();
    let r = ok(ff.tail_stream(id.into(), 0.into(), js(r#"{"after":"0-0","blockMs":150}"#))).await;
    assert!(frame_payloads(&r).is_empty());
    assert!(get(&r, "closedAtMs").is_null());
    assert!(js_sys::Date::now() - started_at >= 100.0, "it waited out blockMs");
    assert_eq!(waiters(ff).await, 0);
}

pub async fn tail_stream_rejects_open_cursors(ff: &Backend) {
    let (id, _) = started(ff).await;
    for opts in [
        r#"{"after":"start"}"#,
        r#"{"after":"end"}"#,
        r#"{"after":"0-0","blockMs":30001}"#,
        r#"{"after":"0-0","limit":0}"#,
        r#"{}"#,
    ] {
        rejects(ff.tail_stream(id.clone().into(), 0.into(), js(opts)), "validation", "invalid_input").await;
    }
}

pub async fn tail_stream_exclude_best_effort_filters_frames(ff: &Backend) {
    let (id, h) = started(ff).await;
    append(ff, &h, "dur").await;
    append_with(ff, &h, r#"{"payload":"be","mode":{"bestEffort":{"ttlMs":60000}}}"#).await;
    let all = ok(ff.tail_stream(id.clone().into(), 0.into(), js(r#"{"after":"0-0"}"#))).await;
    assert_eq!(frame_payloads(&all), vec!["dur", "be"]);
    let some =
        ok(ff.tail_stream(id.into(), 0.into(), js(r#"{"after":"0-0","visibility":"exclude_best_effort"}"#)))
            .await;
    assert_eq!(frame_payloads(&some), vec!["dur"]);
}

pub async fn close_reasons_reach_readers(ff: &Backend) {
    let (id, h) = started(ff).await;
    let waiting = ff.tail_stream(id.clone().into(), 0.into(), js(r#"{"after":"0-0","blockMs":5000}"#));
    ok(ff.complete(h, None)).await;
    let r = ok(waiting).await;
    assert_eq!(get_str(&r, "closedReason"), "attempt_success");
    assert!(get_num(&r, "closedAtMs") > 0.0);
}

pub async fn binary_payloads_round_trip_as_base64(ff: &Backend) {
    let (id, h) = started(ff).await;
    let bytes: Vec<u8> = (0..=255u8).collect();
    let frame = js_sys::Object::new();
    Reflect::set(&frame, &"payload".into(), &js_sys::Uint8Array::from(bytes.as_slice())).unwrap();
    ok(ff.append_frame(h, frame.into())).await;
    let frames: js_sys::Array = get(&read_all(ff, &id, 0).await, "frames").into();
    let f = frames.get(0);
    assert_eq!(get_str(&f, "fields.encoding"), "base64");
    assert_eq!(ff_backend_wasm::base64::decode(&get_str(&f, "fields.payload")).unwrap(), bytes);
}

/// Runs every scenario above, each on a database from `open`.
#[macro_export]
macro_rules! stream_suite {
    ($open:expr) => {
        mod stream_suite {
            use super::*;
            use wasm_common::streams as s;
            $crate::stream_suite!(@each $open;
                append_frame_durable_writes_frame_row,
                append_frame_summary_merges_document_and_bumps_version,
                append_frame_fence_mismatch_returns_contention,
                read_stream_happy_path_returns_frames_in_order,
                read_stream_cursor_pagination_resumes,
                read_stream_isolates_per_attempt_index,
                read_summary_returns_merged_document,
                read_summary_missing_returns_null,
                tail_stream_fast_path_returns_existing_frames,
                tail_stream_blocks_and_wakes_on_append,
                tail_stream_timeout_returns_empty_open,
                tail_stream_rejects_open_cursors,
                tail_stream_exclude_best_effort_filters_frames,
                close_reasons_reach_readers,
                binary_payloads_round_trip_as_base64);
        }
    };
    (@each $open:expr; $($name:ident),+) => {
        $(
            #[wasm_bindgen_test]
            async fn $name() {
                let ff = $open(stringify!($name)).await;
                s::$name(&ff).await;
                ok(ff.close()).await;
            }
        )+
    };
}
