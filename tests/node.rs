//! The JS facade end to end under Node, on the in-memory database: every method, every error
//! kind crossing as a FlowFabricError, wrong JS types, the injected clock, image round trips,
//! and the shared stream suite.
#![cfg(target_arch = "wasm32")]

mod wasm_common;

use ff_backend_wasm::js::backend::Backend;
use js_sys::{Object, Reflect};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use wasm_common::*;

async fn open_for(_test: &str) -> Backend {
    open_memory().await
}

stream_suite!(open_for);

/// Opens a memory database whose clock the test moves.
async fn open_with_clock(start: f64) -> (Backend, Rc<Cell<f64>>) {
    let clock = Rc::new(Cell::new(start));
    let read = clock.clone();
    let now = Closure::wrap(Box::new(move || read.get()) as Box<dyn FnMut() -> f64>);
    let opts = Object::new();
    Reflect::set(&opts, &"now".into(), now.as_ref()).unwrap();
    now.forget();
    let ff = ff_backend_wasm::js::backend::open_backend(opts.into()).await.unwrap();
    (ff, clock)
}

#[wasm_bindgen_test]
async fn every_lifecycle_method_round_trips_plain_values() {
    let (ff, clock) = open_with_clock(1_000_000.0).await;
    let created = ok(ff.create_execution(Some(js(
        r#"{"lane":"l","priority":2,"payload":"in","tags":{"t":"v"},"kind":"k","namespace":"n"}"#,
    ))))
    .await;
    assert!(get(&created, "created").as_bool().unwrap());
    let id = get_str(&created, "executionId");
    assert!(id.starts_with("{fp:0}:"));
    let again = ok(ff.create_execution(Some(js(&format!(r#"{{"executionId":"{id}"}}"#))))).await;
    assert!(!get(&again, "created").as_bool().unwrap());

    let info = ok(ff.get_execution(id.clone().into())).await;
    assert_eq!(
        (get_str(&info, "publicState"), get_str(&info, "lifecyclePhase")),
        ("waiting".into(), "runnable".into())
    );
    assert_eq!(
        (get_str(&info, "namespace"), get_str(&info, "kind"), get_str(&info, "tags.t")),
        ("n".into(), "k".into(), "v".into())
    );
    assert_eq!(get_num(&info, "createdAtMs"), 1_000_000.0);
    assert!(get(&info, "startedAtMs").is_null() && get(&info, "result").is_null());

    assert!(ok(ff.claim(js(r#"{"workerId":"w"}"#))).await.is_null(), "other lane");
    let h = ok(ff.claim(js(r#"{"workerId":"w","lane":"l","leaseTtlMs":1000}"#))).await;
    assert_eq!(
        (get_str(&h, "kind"), get_num(&h, "leaseEpoch"), get_num(&h, "attemptIndex")),
        ("fresh".into(), 1.0, 0.0)
    );

    clock.set(1_000_500.0);
    let renewed = ok(ff.renew(h.clone())).await;
    assert_eq!((get_num(&renewed, "leaseEpoch"), get_num(&renewed, "expiresAtMs")), (1.0, 1_001_500.0));
    assert!(ok(ff.progress(h.clone(), js(r#"{"percent":50,"message":"half"}"#))).await.is_undefined());
    let info = ok(ff.get_execution(id.clone().into())).await;
    assert_eq!(
        (get_num(&info, "progress.percent"), get_str(&info, "progress.message")),
        (50.0, "half".into())
    );

    let out = ok(ff.fail(h.clone(), js(r#"{"message":"flaky","classification":"transient"}"#))).await;
    assert_eq!(get_str(&out, "outcome"), "retry_scheduled");
    assert_eq!((get_num(&out, "delayUntilMs"), get_num(&out, "nextAttemptIndex")), (1_001_500.0, 1.0));
    clock.set(1_001_500.0);
    let h1 = ok(ff.claim(js(r#"{"workerId":"w","lane":"l"}"#))).await;
    ok(ff.complete(h1.clone(), Some(js_sys::Uint8Array::from(&[1u8, 2, 3][..]).into()))).await;
    let info = ok(ff.get_execution(id.clone().into())).await;
    assert_eq!(
        (get_str(&info, "publicState"), get_str(&info, "terminalOutcome")),
        ("completed".into(), "success".into())
    );
    assert_eq!(js_sys::Uint8Array::from(get(&info, "result")).to_vec(), vec![1, 2, 3]);
    assert_eq!(js_sys::Uint8Array::from(get(&info, "payload")).to_vec(), b"in".to_vec());
    assert_eq!(get_str(&info, "lastFailure"), "flaky");

    let other = get_str(&ok(ff.create_execution(None)).await, "executionId");
    ok(ff.cancel(other.clone().into(), Some("no longer needed".into()))).await;
    assert_eq!(get_str(&ok(ff.get_execution(other.into())).await, "publicState"), "cancelled");
    assert_eq!(ok(ff.reclaim_expired()).await.as_f64(), Some(0.0));
    ok(ff.close()).await;
    ok(ff.close()).await;
}

#[wasm_bindgen_test]
async fn terminal_failure_and_lease_expiry_cross_as_values_and_errors() {
    let (ff, clock) = open_with_clock(5_000.0).await;
    ok(ff.create_execution(Some(js(r#"{"retryPolicy":{"maxRetries":0}}"#)))).await;
    let h = ok(ff.claim(js(r#"{"workerId":"w","leaseTtlMs":100}"#))).await;
    let out = ok(ff.fail(h, js(r#"{"message":"x"}"#))).await;
    assert_eq!(get_str(&out, "outcome"), "terminal_failed");

    let id = get_str(&ok(ff.create_execution(None)).await, "executionId");
    let h = ok(ff.claim(js(r#"{"workerId":"w","leaseTtlMs":100}"#))).await;
    clock.set(5_100.0);
    rejects(ff.renew(h.clone()), "state", "lease_expired").await;
    assert_eq!(ok(ff.reclaim_expired()).await.as_f64(), Some(1.0));
    rejects(ff.complete(h.clone(), None), "contention", "execution_not_active").await;
    let r = read_all(&ff, &id, 0).await;
    assert_eq!(get_str(&r, "closedReason"), "lease_expired");
    let h2 = ok(ff.claim(js(r#"{"workerId":"w2"}"#))).await;
    assert_eq!(
        (get_str(&h2, "kind"), get_num(&h2, "attemptIndex"), get_num(&h2, "leaseEpoch")),
        ("reclaimed".into(), 1.0, 2.0)
    );
    assert_eq!(get_num(&ok(ff.get_execution(id.into())).await, "leaseReclaimCount"), 1.0);
}

#[wasm_bindgen_test]
async fn every_error_kind_crosses_as_a_flowfabric_error() {
    let ff = open_memory().await;
    let (id, h) = started(&ff).await;
    let token = get_str(&h, "token");
    let mut data = ff_backend_wasm::engine::token::decode(&token).unwrap();
    let with_token = |t: String| {
        let o = Object::new();
        Reflect::set(&o, &"token".into(), &t.into()).unwrap();
        JsValue::from(o)
    };

    rejects(ff.claim(js("{}")), "validation", "invalid_input").await;
    rejects(ff.renew(with_token("AAAA".into())), "validation", "corruption").await;
    let mut bytes = ff_backend_wasm::base64::decode(&token).unwrap();
    bytes[3] = 0x02;
    let msg = rejects(
        ff.renew(with_token(ff_backend_wasm::base64::encode(&bytes))),
        "validation",
        "handle_from_other_backend",
    )
    .await;
    assert!(msg.contains("Postgres"), "{msg}");
    let big = js_sys::Uint8Array::new_with_length(65_537);
    let frame = Object::new();
    Reflect::set(&frame, &"payload".into(), &big).unwrap();
    rejects(ff.append_frame(h.clone(), frame.into()), "validation", "retention_limit_exceeded").await;
    rejects(ff.cancel("{fp:0}:00000000-0000-4000-8000-000000000000".into(), None), "not_found", "execution")
        .await;
    let mut foreign = data.clone();
    foreign.execution_id = ff_backend_wasm::model::ExecutionId::from_random([5; 16]);
    rejects(ff.renew(with_token(ff_backend_wasm::engine::token::encode(&foreign))), "not_found", "attempt")
        .await;
    data.lease_epoch = 41;
    rejects(
        ff.progress(with_token(ff_backend_wasm::engine::token::encode(&data)), js("{}")),
        "contention",
        "lease_conflict",
    )
    .await;
    ok(ff.complete(h.clone(), None)).await;
    rejects(ff.complete(h.clone(), None), "contention", "execution_not_active").await;
    rejects(ff.append_frame(h.clone(), js(r#"{"payload":"x"}"#)), "state", "stream_closed").await;
    let msg = rejects(ff.cancel(id.clone().into(), None), "validation", "invalid_input").await;
    assert!(msg.contains("completed"), "{msg}");
    ok(ff.close()).await;
    rejects(ff.get_execution(id.into()), "state", "closed").await;
    rejects(ff.export_image(), "state", "closed").await;
    let e = open_with(r#"{"storage":"opfs","name":"x.db"}"#).await.err().expect("no OPFS in Node");
    assert_eq!((get_str(&e, "kind"), get_str(&e, "code")), ("storage".into(), "storage_unavailable".into()));
    assert!(get_str(&e, "message").contains("dedicated Worker"));
}

async fn expect_invalid(promise: js_sys::Promise, expected: &str) {
    let msg = rejects(promise, "validation", "invalid_input").await;
    assert!(msg.contains(expected), "{msg:?} should mention {expected:?}");
}

#[wasm_bindgen_test]
async fn wrong_js_types_are_validation_errors_naming_the_value() {
    let ff = open_memory().await;
    let (id, h) = started(&ff).await;
    // Each call is awaited at once: a rejected promise left unobserved is an unhandled rejection.
    expect_invalid(
        ff.create_execution(Some(js(r#"{"lane":5}"#))),
        "spec.lane must be a string, got number 5",
    )
    .await;
    expect_invalid(
        ff.create_execution(Some(js(r#"{"priority":1.5}"#))),
        "spec.priority must be a whole number",
    )
    .await;
    expect_invalid(
        ff.create_execution(Some(js(r#"{"capabilities":"gpu"}"#))),
        "spec.capabilities must be an array of strings",
    )
    .await;
    expect_invalid(
        ff.create_execution(Some(js(r#"{"capabilities":["a",7]}"#))),
        "spec.capabilities[1] must be a string",
    )
    .await;
    expect_invalid(ff.create_execution(Some(js(r#"{"tags":{"a":1}}"#))), "spec.tags.a").await;
    expect_invalid(ff.create_execution(Some(js(r#"{"retryPolicy":{"maxRetries":-1}}"#))), "maxRetries").await;
    expect_invalid(
        ff.create_execution(Some(js(r#"{"retryPolicy":{"maxRetries":1,"backoff":{"type":"linear"}}}"#))),
        "\"linear\"",
    )
    .await;
    expect_invalid(ff.create_execution(Some(js("[1,2]"))), "spec must be an object, got array").await;
    expect_invalid(ff.create_execution(Some(JsValue::from_f64(3.0))), "spec must be an object").await;
    expect_invalid(ff.claim(js("{}")), "options.workerId is required").await;
    expect_invalid(ff.claim(js(r#"{"workerId":42}"#)), "options.workerId must be a string, got number 42")
        .await;
    expect_invalid(ff.claim(js(r#"{"workerId":"w","leaseTtlMs":-5}"#)), "leaseTtlMs -5").await;
    expect_invalid(
        ff.claim(js(r#"{"workerId":"w","leaseTtlMs":"30s"}"#)),
        "options.leaseTtlMs must be a whole number, got string",
    )
    .await;
    expect_invalid(ff.claim(JsValue::UNDEFINED), "options.workerId is required").await;
    expect_invalid(
        ff.progress(h.clone(), js(r#"{"percent":"half"}"#)),
        "progress.percent must be a finite number",
    )
    .await;
    expect_invalid(ff.fail(h.clone(), js(r#"{"message":"x","classification":"weird"}"#)), "\"weird\"").await;
    expect_invalid(ff.fail(h.clone(), js("{}")), "failure.message is required").await;
    expect_invalid(ff.append_frame(h.clone(), js("{}")), "frame.payload is required").await;
    expect_invalid(
        ff.append_frame(h.clone(), js(r#"{"payload":1}"#)),
        "frame.payload must be a string, a Uint8Array or an ArrayBuffer",
    )
    .await;
    expect_invalid(ff.append_frame(h.clone(), js(r#"{"payload":"x","mode":"loud"}"#)), "\"loud\"").await;
    expect_invalid(
        ff.append_frame(h.clone(), js(r#"{"payload":"x","mode":{"bestEffort":{"ttlMs":0}}}"#)),
        "ttlMs 0",
    )
    .await;
    expect_invalid(ff.append_frame(h.clone(), js(r#"{"payload":"x","kind":"video"}"#)), "\"video\"").await;
    expect_invalid(
        ff.append_frame(JsValue::from_f64(1.0), js(r#"{"payload":"x"}"#)),
        "handle must be a Handle",
    )
    .await;
    expect_invalid(ff.append_frame(js("{}"), js(r#"{"payload":"x"}"#)), "handle.token is missing").await;
    expect_invalid(ff.renew(JsValue::NULL), "handle must be a Handle").await;
    expect_invalid(ff.read_stream(id.clone().into(), JsValue::from_f64(-1.0), None), "attemptIndex -1").await;
    expect_invalid(
        ff.read_stream(id.clone().into(), JsValue::from_f64(f64::NAN), None),
        "attemptIndex must be a whole number, got number NaN",
    )
    .await;
    expect_invalid(ff.read_stream(JsValue::from_f64(1.0), 0.into(), None), "executionId must be a string")
        .await;
    expect_invalid(
        ff.read_stream(id.clone().into(), 0.into(), Some(js(r#"{"from":"yesterday"}"#))),
        "from \"yesterday\"",
    )
    .await;
    expect_invalid(
        ff.read_stream(id.clone().into(), 0.into(), Some(js(r#"{"limit":100000}"#))),
        "limit 100000",
    )
    .await;
    expect_invalid(
        ff.tail_stream(id.clone().into(), 0.into(), js(r#"{"after":"0-0","visibility":"some"}"#)),
        "\"some\"",
    )
    .await;
    expect_invalid(ff.get_execution(JsValue::UNDEFINED), "executionId must be a string, got undefined").await;
    expect_invalid(ff.get_execution("{fp:3}:00000000-0000-4000-8000-000000000000".into()), "partition 0")
        .await;
    expect_invalid(
        ff.cancel(JsValue::from_f64(2.0), None),
        "cancel target must be a Handle or an executionId",
    )
    .await;
    expect_invalid(ff.cancel(id.clone().into(), Some(JsValue::from_f64(2.0))), "reason must be a string")
        .await;
    // Nothing above changed the claimed execution.
    assert_eq!(get_str(&ok(ff.get_execution(id.clone().into())).await, "publicState"), "active");
    assert!(frame_payloads(&read_all(&ff, &id, 0).await).is_empty());
}

#[wasm_bindgen_test]
async fn a_broken_clock_is_a_validation_error_not_a_trap() {
    for body in ["throw new Error('clock broke')", "return NaN", "return 'soon'"] {
        let opts = Object::new();
        let f = js_sys::Function::new_no_args(body);
        Reflect::set(&opts, &"now".into(), &f).unwrap();
        let ff = ff_backend_wasm::js::backend::open_backend(opts.into()).await.unwrap();
        let msg = rejects(ff.create_execution(None), "validation", "invalid_input").await;
        assert!(msg.contains("now()"), "{msg}");
        // The instance is still alive: a read that needs no clock works.
        assert!(ok(ff.read_summary("{fp:0}:00000000-0000-4000-8000-000000000000".into(), 0.into()))
            .await
            .is_null());
    }
    let e = open_with(r#"{"now":5}"#).await.err().unwrap();
    assert_eq!(get_str(&e, "code"), "invalid_input");
}

#[wasm_bindgen_test]
async fn export_image_reopens_as_a_memory_database() {
    let ff = open_memory().await;
    let (id, h) = started(&ff).await;
    append(&ff, &h, "kept").await;
    let image = js_sys::Uint8Array::from(ok(ff.export_image()).await);
    assert_eq!(&image.to_vec()[..16], b"SQLite format 3\0");
    let opts = Object::new();
    Reflect::set(&opts, &"image".into(), &image).unwrap();
    let copy = ff_backend_wasm::js::backend::open_backend(opts.into()).await.unwrap();
    assert_eq!(frame_payloads(&read_all(&copy, &id, 0).await), vec!["kept"]);
    assert_eq!(get_str(&ok(copy.get_execution(id.into())).await, "publicState"), "active");
    let e = open_with(r#"{"image":"not bytes at all"}"#).await.err().unwrap();
    assert_eq!(get_str(&e, "code"), "invalid_input");
    let garbage = Object::new();
    Reflect::set(&garbage, &"image".into(), &js_sys::Uint8Array::new_with_length(4096)).unwrap();
    let e = ff_backend_wasm::js::backend::open_backend(garbage.into()).await.err().unwrap();
    assert!(get_str(&e, "message").contains("not a SQLite database"));
}

#[wasm_bindgen_test]
async fn many_tails_on_many_streams_run_alongside_other_calls() {
    let ff = open_memory().await;
    let mut handles = Vec::new();
    for _ in 0..5 {
        handles.push(started(&ff).await);
    }
    let mut waiting = Vec::new();
    for (id, _) in &handles {
        for _ in 0..40 {
            waiting.push(ff.tail_stream(
                id.clone().into(),
                0.into(),
                js(r#"{"after":"0-0","blockMs":5000}"#),
            ));
        }
    }
    sleep(10).await; // tailStream starts on the microtask queue
    assert_eq!(waiters(&ff).await, 200);
    ok(ff.create_execution(None)).await;
    for (i, (_, h)) in handles.iter().enumerate() {
        append(&ff, h, &format!("stream {i}")).await;
    }
    for (n, p) in waiting.into_iter().enumerate() {
        assert_eq!(frame_payloads(&ok(p).await), vec![format!("stream {}", n / 40)]);
    }
    assert_eq!(waiters(&ff).await, 0);
}

#[wasm_bindgen_test]
async fn a_dead_handle_is_reported_before_the_facade_reads_its_other_arguments() {
    let ff = open_memory().await;
    let (_, h) = started(&ff).await;
    ok(ff.complete(h.clone(), None)).await;
    rejects(ff.append_frame(h.clone(), js(r#"{"payload":5}"#)), "state", "stream_closed").await;
    rejects(ff.append_frame(h.clone(), js(r#"{"payload":"x","mode":"loud"}"#)), "state", "stream_closed")
        .await;
    rejects(ff.fail(h.clone(), js("{}")), "contention", "execution_not_active").await;
    rejects(ff.progress(h.clone(), js(r#"{"percent":"50"}"#)), "contention", "execution_not_active").await;
    rejects(ff.complete(h.clone(), Some(JsValue::from_f64(42.0))), "contention", "execution_not_active")
        .await;
    // A bare token string is a handle wherever a handle is accepted, cancel included.
    let token = get_str(&h, "token");
    rejects(ff.cancel(token.into(), None), "contention", "execution_not_active").await;
}
