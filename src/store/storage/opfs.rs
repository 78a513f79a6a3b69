//! OPFS databases through the `sahpool` VFS (synchronous access handles, so a dedicated Worker
//! only). One pool, and OPFS directory, per database name: different names open independently,
//! and one name is held by one context at a time.

use crate::error::{quote, EngineError, ErrorCode, Result};
use crate::store::errors::from_sqlite;
use rusqlite::{Connection, OpenFlags};
use sqlite_wasm_rs::WasmOsCallback;
use sqlite_wasm_vfs::sahpool::{self, OpfsSAHError, OpfsSAHPoolCfgBuilder, OpfsSAHPoolUtil};
use std::cell::RefCell;
use std::collections::HashSet;

thread_local! {
    /// OPFS names open in this context: a second open of one of them is `storage_busy`
    /// (other contexts are refused by OPFS itself, through the pool's lock file).
    static OPEN_NAMES: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// An OPFS database held by this context. Dropping it (after the connection closed, which
/// [`crate::store::Store`]'s field order ensures) gives the access handles back.
pub struct OpfsLease {
    name: String,
    pool: Option<OpfsSAHPoolUtil>,
}

impl Drop for OpfsLease {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            // SAFETY: the only connection on this VFS was closed before the lease drops.
            let _ = unsafe { pool.uninstall() };
        }
        OPEN_NAMES.with(|open| open.borrow_mut().remove(&self.name));
    }
}

// How OPFS databases keep commits, chosen by tests/js/crash.test.mjs and a measurement of
// each setting's cost (docs/API.md, "Durability on OPFS"). WAL: a commit appends its pages to
// the log, a third of the rollback journal's cost here. NORMAL: a commit survives a crash of
// the tab, worker or browser; an OS crash or power loss may lose the last commits (as Chrome's
// own IndexedDB does by default), never the file's integrity. `FF_OPFS_JOURNAL` and
// `FF_OPFS_SYNCHRONOUS` at build time choose others, to measure them.
const JOURNAL_MODE: &str = match option_env!("FF_OPFS_JOURNAL") {
    Some(mode) => mode,
    None => "WAL",
};
const SYNCHRONOUS: &str = match option_env!("FF_OPFS_SYNCHRONOUS") {
    Some(level) => level,
    None => "NORMAL",
};

fn vfs_name(name: &str) -> String {
    format!("ff-opfs-{name}")
}

/// The pool configuration of a database name: its own VFS and OPFS directory.
fn pool_config(name: &str, clear: bool) -> sqlite_wasm_vfs::sahpool::OpfsSAHPoolCfg {
    OpfsSAHPoolCfgBuilder::new()
        .vfs_name(&vfs_name(name))
        .directory(&format!(".ff-backend-wasm/{name}"))
        .initial_capacity(4)
        .clear_on_init(clear)
        .build()
}

pub async fn open(name: &str) -> Result<(Connection, OpfsLease)> {
    check_name(name)?;
    let fresh = OPEN_NAMES.with(|open| open.borrow_mut().insert(name.to_string()));
    if !fresh {
        return Err(EngineError::new(
            ErrorCode::StorageBusy,
            format!("the OPFS database {} is already open in this context; close it first", quote(name)),
        ));
    }
    // From here on the lease owns the name: any early return gives it back.
    let mut lease = OpfsLease { name: name.to_string(), pool: None };
    let pool = sahpool::install::<WasmOsCallback>(&pool_config(name, false), false).await;
    lease.pool = Some(pool.map_err(|e| opfs_error(name, e))?);
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags_and_vfs(name, flags, vfs_name(name).as_str()).map_err(from_sqlite)?;
    // The pool holds one exclusive handle per file, so WAL runs in exclusive locking mode
    // (the WAL index on the heap, no shared memory).
    conn.execute_batch(&format!(
        "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = {JOURNAL_MODE}; PRAGMA synchronous = {SYNCHRONOUS};"
    ))
    .map_err(from_sqlite)?;
    Ok((conn, lease))
}

/// Deletes the files of a database this context just closed (its lease was dropped): the pool
/// is installed once more with `clear_on_init`, which empties it, and given back.
pub async fn erase(name: &str) -> Result<()> {
    let fresh = OPEN_NAMES.with(|open| open.borrow_mut().insert(name.to_string()));
    if !fresh {
        return Err(EngineError::new(
            ErrorCode::StorageBusy,
            format!("the OPFS database {} is open in this context; close it first", quote(name)),
        ));
    }
    // The lease owns the name from here on and gives it (and the pool) back when it drops.
    let mut lease = OpfsLease { name: name.to_string(), pool: None };
    let cleared = sahpool::install::<WasmOsCallback>(&pool_config(name, true), false).await;
    lease.pool = Some(cleared.map_err(|e| opfs_error(name, e))?);
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(format!(
            "options.name {} is not a valid OPFS database name: use 1 to 128 letters, digits, '.', '_' or '-'",
            quote(name)
        )))
    }
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
    EngineError::new(code, format!("cannot open OPFS database {}: {text}{hint}", quote(name)))
}
