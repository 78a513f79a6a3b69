//! File storage: a database written through `WasmBackend::open_file` survives a reopen, and the
//! file's bytes are an image the JS package's `open({ image })` accepts (the same schema).

use crate::common::*;
use ff_backend_wasm::flowfabric::WasmBackend;
use ff_backend_wasm::{Engine, ManualHost, Store};
use ff_core::backend::{Frame, FrameKind};
use ff_core::contracts::StreamCursor;
use ff_core::engine_error::{EngineError, ValidationKind};
use ff_core::state::PublicState;
use ff_core::types::AttemptIndex;
use std::path::PathBuf;

/// A path in the temp directory, removed (with its journal) when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        TempDb(std::env::temp_dir().join(format!("ff-backend-wasm-{}-{name}.db", std::process::id())))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("db-journal"));
    }
}

#[test]
fn a_file_database_survives_a_reopen_and_is_a_js_image() {
    run(async {
        let db = TempDb::new("reopen");
        let wasm = WasmBackend::open_file(&db.0).await.unwrap();
        assert_eq!(wasm.storage(), "file");
        let b: Backend = wasm;
        let (id, h) = started(&b).await;
        b.append_frame(&h, Frame::new(b"kept".to_vec(), FrameKind::Stdout)).await.unwrap();
        b.complete(&h, Some(b"result".to_vec())).await.unwrap();
        drop(b); // stops the engine thread and closes the file

        let b: Backend = WasmBackend::open_file(&db.0).await.unwrap();
        assert_eq!(b.read_execution_state(&id).await.unwrap(), Some(PublicState::Completed));
        let read =
            b.read_stream(&id, AttemptIndex(0), StreamCursor::Start, StreamCursor::End, 10).await.unwrap();
        assert_eq!(payloads(&read), ["kept"]);
        drop(b);

        // The JS package opens images through this same memory path.
        let image = std::fs::read(&db.0).unwrap();
        let engine = Engine::new(Store::open_memory(Some(&image)).unwrap(), Box::new(ManualHost::new(T0)));
        let info = engine.get_execution(id.as_str()).unwrap().expect("the execution is in the image");
        assert_eq!(info.result.as_deref(), Some(&b"result"[..]));
    })
}

#[test]
fn an_exported_image_written_to_a_file_opens_there() {
    run(async {
        let (b, _) = backend().await;
        let id = create(&b, "image").await;
        let wasm = b.as_any().downcast_ref::<WasmBackend>().unwrap();
        let db = TempDb::new("image");
        std::fs::write(&db.0, wasm.export_image().await.unwrap()).unwrap();
        let reopened: Backend = WasmBackend::open_file(&db.0).await.unwrap();
        assert_eq!(reopened.read_execution_state(&id).await.unwrap(), Some(PublicState::Waiting));
    })
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    run(async {
        let db = TempDb::new("garbage");
        std::fs::write(&db.0, vec![b'x'; 4096]).unwrap();
        match WasmBackend::open_file(&db.0).await {
            Err(EngineError::Validation { kind: ValidationKind::Corruption, .. }) => {}
            other => panic!("expected Corruption, got {other:?}"),
        }
        assert_eq!(std::fs::read(&db.0).unwrap(), vec![b'x'; 4096], "left untouched");
    })
}

#[test]
fn destroying_a_file_store_deletes_the_file() {
    run(async {
        let db = TempDb::new("destroy");
        let store = Store::open_file(&db.0).unwrap();
        assert_eq!(store.kind(), "file");
        assert!(db.0.exists());
        store.destroy().await.unwrap();
        assert!(!db.0.exists());
    })
}
