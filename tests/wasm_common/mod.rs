//! Helpers and scenario bodies shared by the wasm suites (Node on memory, a browser's
//! dedicated Worker on OPFS). Scenarios drive the real JS facade (`Backend`) and are written
//! once, parametrized by how the database is opened.
#![allow(dead_code)]

pub mod streams;

use ff_backend_wasm::js::backend::{open_backend, Backend};
use js_sys::{Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    // A namespace distinct from the library's own setTimeout import (same signature).
    #[wasm_bindgen(js_namespace = globalThis, js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    JsFuture::from(p).await.unwrap();
}

pub fn js(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or_else(|_| panic!("bad test JSON: {json}"))
}

pub async fn call(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

pub async fn ok(p: Promise) -> JsValue {
    match JsFuture::from(p).await {
        Ok(v) => v,
        Err(e) => panic!("unexpected rejection: {}", describe_error(&e)),
    }
}

pub fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |cur, key| Reflect::get(&cur, &key.into()).unwrap_or(JsValue::UNDEFINED))
}

pub fn get_str(v: &JsValue, path: &str) -> String {
    get(v, path).as_string().unwrap_or_else(|| panic!("{path} is not a string"))
}

pub fn get_num(v: &JsValue, path: &str) -> f64 {
    get(v, path).as_f64().unwrap_or_else(|| panic!("{path} is not a number"))
}

pub fn describe_error(e: &JsValue) -> String {
    format!(
        "{}: {}/{} {}",
        get(e, "name").as_string().unwrap_or_default(),
        get(e, "kind").as_string().unwrap_or_default(),
        get(e, "code").as_string().unwrap_or_default(),
        get(e, "message").as_string().unwrap_or_default()
    )
}

/// Expects a FlowFabricError with this kind and code; returns its message.
pub async fn rejects(p: Promise, kind: &str, code: &str) -> String {
    let e = JsFuture::from(p).await.expect_err(&format!("expected {kind}/{code}, got success"));
    assert!(e.is_instance_of::<js_sys::Error>(), "rejections are Errors");
    assert_eq!(get_str(&e, "name"), "FlowFabricError");
    assert_eq!(
        (get_str(&e, "kind"), get_str(&e, "code")),
        (kind.to_string(), code.to_string()),
        "{}",
        describe_error(&e)
    );
    let retryable = get(&e, "retryable").as_bool().expect("retryable is a boolean");
    assert_eq!(retryable, kind == "contention" || code == "storage_busy");
    get_str(&e, "message")
}

pub async fn open_memory() -> Backend {
    open_backend(JsValue::UNDEFINED).await.unwrap_or_else(|e| panic!("open: {}", describe_error(&e)))
}

pub async fn open_with(options: &str) -> Result<Backend, JsValue> {
    open_backend(js(options)).await
}

/// Creates an execution and claims it: (executionId, handle).
pub async fn started(ff: &Backend) -> (String, JsValue) {
    let created = ok(ff.create_execution(None)).await;
    let handle = ok(ff.claim(js(r#"{"workerId":"w1"}"#))).await;
    assert_eq!(get_str(&created, "executionId"), get_str(&handle, "executionId"));
    (get_str(&handle, "executionId"), handle)
}

pub async fn append(ff: &Backend, handle: &JsValue, payload: &str) -> JsValue {
    let frame = js_sys::Object::new();
    Reflect::set(&frame, &"payload".into(), &payload.into()).unwrap();
    ok(ff.append_frame(handle.clone(), frame.into())).await
}

pub async fn append_with(ff: &Backend, handle: &JsValue, frame_json: &str) -> JsValue {
    ok(ff.append_frame(handle.clone(), js(frame_json))).await
}

pub fn frame_payloads(stream: &JsValue) -> Vec<String> {
    let frames: js_sys::Array = get(stream, "frames").into();
    frames.iter().map(|f| get_str(&f, "fields.payload")).collect()
}

pub async fn read_all(ff: &Backend, id: &str, attempt: u32) -> JsValue {
    ok(ff.read_stream(id.into(), attempt.into(), None)).await
}

/// Waiters registered by tails and iterators (`waiterCount()` resolves a Promise).
pub async fn waiters(ff: &Backend) -> u32 {
    ok(ff.waiter_count()).await.as_f64().unwrap() as u32
}
