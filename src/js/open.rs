//! `open(options)`: memory databases anywhere, OPFS databases in a dedicated Worker through
//! the `sahpool` VFS. One pool (and OPFS directory) per database name, so different names
//! open independently and the same name is held by one context at a time.

use super::convert::Opts;
use super::host::JsHost;
use crate::engine::Engine;
use crate::error::{EngineError, ErrorCode, Result};
use crate::store::Store;
use sqlite_wasm_rs::WasmOsCallback;
use sqlite_wasm_vfs::sahpool::{self, OpfsSAHError, OpfsSAHPoolCfgBuilder, OpfsSAHPoolUtil};
use std::cell::RefCell;
use std::collections::HashSet;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// OPFS names open in this context: a second open of one of them is `storage_busy`
    /// (other contexts are refused by OPFS itself, through the pool's lock file).
    static OPEN_OPFS: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// An OPFS database held by this context; released when the backend closes.
pub struct OpfsLease {
    name: String,
    pool: OpfsSAHPoolUtil,
}

impl OpfsLease {
    /// Gives the pool's access handles back. The connection must already be closed.
    pub fn release(self) {
        // SAFETY: the caller closed the only connection on this VFS (the store was dropped).
        let _ = unsafe { self.pool.uninstall() };
        OPEN_OPFS.with(|open| open.borrow_mut().remove(&self.name));
    }
}

pub struct Opened {
    pub engine: Engine,
    pub name: String,
    pub storage: &'static str,
    pub opfs: Option<OpfsLease>,
}

pub async fn open(options: &JsValue) -> Result<Opened> {
    let o = Opts::new(options, "options")?;
    let storage = o.string_or("storage", "memory")?;
    let name = o.string_or("name", "flowfabric.db")?;
    let image = o.bytes("image")?;
    let now = o.get("now")?;
    let clock = if now.is_undefined() {
        None
    } else {
        Some(now.dyn_into::<js_sys::Function>().map_err(|v| {
            EngineError::invalid(format!(
                "options.now must be a function, got {}",
                super::convert::describe(&v)
            ))
        })?)
    };
    let host = Box::new(JsHost::new(clock));
    match storage.as_str() {
        "memory" => {
            let store = Store::open_memory(image.as_deref())?;
            Ok(Opened { engine: Engine::new(store, host), name, storage: "memory", opfs: None })
        }
        "opfs" => {
            if image.is_some() {
                return Err(EngineError::invalid("options.image can only seed a memory database"));
            }
            check_opfs_name(&name)?;
            let (store, lease) = open_opfs(&name).await?;
            Ok(Opened { engine: Engine::new(store, host), name, storage: "opfs", opfs: Some(lease) })
        }
        other => {
            Err(EngineError::invalid(format!("options.storage {other:?} must be \"memory\" or \"opfs\"")))
        }
    }
}

fn check_opfs_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(format!(
            "options.name {name:?} is not a valid OPFS database name: use 1 to 128 letters, digits, '.', '_' or '-'"
        )))
    }
}

async fn open_opfs(name: &str) -> Result<(Store, OpfsLease)> {
    let fresh = OPEN_OPFS.with(|open| open.borrow_mut().insert(name.to_string()));
    if !fresh {
        return Err(EngineError::new(
            ErrorCode::StorageBusy,
            format!("the OPFS database {name:?} is already open in this context; close it first"),
        ));
    }
    let opened = async {
        let vfs = format!("ff-opfs-{name}");
        let cfg = OpfsSAHPoolCfgBuilder::new()
            .vfs_name(&vfs)
            .directory(&format!(".ff-backend-wasm/{name}"))
            .initial_capacity(4)
            .build();
        let pool = sahpool::install::<WasmOsCallback>(&cfg, false).await.map_err(|e| opfs_error(name, e))?;
        match Store::open_with_vfs(name, &vfs) {
            Ok(store) => Ok((store, OpfsLease { name: name.to_string(), pool })),
            Err(e) => {
                // SAFETY: the failed open left no connection on this VFS.
                let _ = unsafe { pool.uninstall() };
                Err(e)
            }
        }
    }
    .await;
    if opened.is_err() {
        OPEN_OPFS.with(|open| open.borrow_mut().remove(name));
    }
    opened
}

fn opfs_error(name: &str, e: OpfsSAHError) -> EngineError {
    let text = e.to_string();
    let code = match &e {
        OpfsSAHError::NotSupported => ErrorCode::StorageUnavailable,
        OpfsSAHError::Busy | OpfsSAHError::DirectoryInUse(_) | OpfsSAHError::FileInUse(_) => {
            ErrorCode::StorageBusy
        }
        OpfsSAHError::Opfs { message, .. } if message.contains("NoModificationAllowedError") => {
            ErrorCode::StorageBusy
        }
        OpfsSAHError::Opfs { message, .. } if message.contains("QuotaExceededError") => {
            ErrorCode::StorageFull
        }
        OpfsSAHError::NoCapacity => ErrorCode::StorageFull,
        _ => ErrorCode::Io,
    };
    let hint = match code {
        ErrorCode::StorageUnavailable => {
            "; OPFS storage works only in a dedicated Worker in a secure context (on a page, use openInWorker())"
        }
        ErrorCode::StorageBusy => "; another tab or worker holds it",
        _ => "",
    };
    EngineError::new(code, format!("cannot open OPFS database {name:?}: {text}{hint}"))
}
