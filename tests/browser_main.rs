//! On a page's main thread OPFS sync access handles do not exist: `open` must refuse OPFS
//! with `storage_unavailable` (never fall back to memory), while memory works.
#![cfg(target_arch = "wasm32")]

mod wasm_common;

use wasm_bindgen_test::*;
use wasm_common::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn opfs_on_the_main_thread_is_storage_unavailable() {
    let e = open_with(r#"{"storage":"opfs","name":"main-thread.db"}"#).await.err().expect("refused");
    assert_eq!(
        (get_str(&e, "name"), get_str(&e, "kind"), get_str(&e, "code")),
        ("FlowFabricError".into(), "storage".into(), "storage_unavailable".into())
    );
    assert!(get_str(&e, "message").contains("openInWorker"));
}

#[wasm_bindgen_test]
async fn memory_works_on_the_main_thread() {
    let ff = open_memory().await;
    let (id, h) = started(&ff).await;
    append(&ff, &h, "main thread").await;
    assert_eq!(frame_payloads(&read_all(&ff, &id, 0).await), vec!["main thread"]);
}
