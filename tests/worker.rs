//! In a browser's dedicated Worker (headless Chromium) on OPFS: persistence across close and
//! reopen, one holder per database name, and the shared stream suite on OPFS storage.
#![cfg(target_arch = "wasm32")]

mod wasm_common;

use ff_backend_wasm::js::backend::Backend;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use wasm_common::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// A database name no earlier run has used (OPFS outlives the page).
fn fresh_name(test: &str) -> String {
    format!("{}-{}.db", test.replace('_', "-"), js_sys::Date::now() as u64)
}

async fn open_opfs(name: &str) -> Result<Backend, JsValue> {
    open_with(&format!(r#"{{"storage":"opfs","name":"{name}"}}"#)).await
}

async fn open_for(test: &str) -> Backend {
    open_opfs(&fresh_name(test)).await.unwrap_or_else(|e| panic!("open OPFS: {}", describe_error(&e)))
}

stream_suite!(open_for);

#[wasm_bindgen_test]
async fn opfs_data_survives_close_and_reopen() {
    let name = fresh_name("persist");
    let ff = open_opfs(&name).await.unwrap();
    assert_eq!(ff.storage(), "opfs");
    let (id, h) = started(&ff).await;
    append(&ff, &h, "written before close").await;
    append_with(&ff, &h, r#"{"payload":"{\"step\":1}","mode":"summary"}"#).await;
    ok(ff.close()).await;
    rejects(ff.get_execution(id.clone().into()), "state", "closed").await;

    let again = open_opfs(&name).await.unwrap();
    let info = ok(again.get_execution(id.clone().into())).await;
    assert_eq!(get_str(&info, "publicState"), "active");
    assert_eq!(frame_payloads(&read_all(&again, &id, 0).await), vec!["written before close", "{\"step\":1}"]);
    // The lease survived too: the same handle keeps working after the reopen.
    append(&again, &h, "written after reopen").await;
    let tailed = ok(again.tail_stream(id.clone().into(), 0.into(), js(r#"{"after":"0-0"}"#))).await;
    assert_eq!(frame_payloads(&tailed).len(), 3);
    ok(again.complete(h, None)).await;
    let image = js_sys::Uint8Array::from(ok(again.export_image()).await);
    assert_eq!(&image.to_vec()[..16], b"SQLite format 3\0");
    ok(again.close()).await;
}

#[wasm_bindgen_test]
async fn a_second_open_of_a_held_name_is_storage_busy_and_never_hangs() {
    let name = fresh_name("busy");
    let first = open_opfs(&name).await.unwrap();
    let started_at = js_sys::Date::now();
    let e = open_opfs(&name).await.err().expect("the name is held");
    assert!(js_sys::Date::now() - started_at < 1000.0);
    assert_eq!((get_str(&e, "kind"), get_str(&e, "code")), ("storage".into(), "storage_busy".into()));
    assert!(get(&e, "retryable").as_bool().unwrap());
    ok(first.close()).await;
    let reopened = open_opfs(&name).await.expect("free again after close");
    ok(reopened.close()).await;
}

#[wasm_bindgen_test]
async fn different_names_open_side_by_side_and_bad_names_are_refused() {
    let a = open_opfs(&fresh_name("side-a")).await.unwrap();
    let b = open_opfs(&fresh_name("side-b")).await.unwrap();
    let (id, _) = started(&a).await;
    assert!(ok(b.get_execution(id.into())).await.is_null());
    for bad in ["../escape", "", "a/b"] {
        let e = open_opfs(bad).await.err().unwrap();
        assert_eq!(get_str(&e, "code"), "invalid_input", "{bad}");
    }
    ok(a.close()).await;
    ok(b.close()).await;
}
