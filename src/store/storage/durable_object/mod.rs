//! Databases inside a Cloudflare Durable Object's own SQLite storage (`ctx.storage.sql`), through
//! a SQLite VFS whose main database file is a set of fixed-size blocks in one table of the
//! object's storage. The engine and its SQL are the same as anywhere; only file I/O differs.
//!
//! - Blocks are 8 KiB, and databases are created with 8 KiB pages, so SQLite's page writes are
//!   whole-block upserts (no read-modify-write). A block row stays far below the object storage's
//!   2 MB row limit, and statements bind their data (the 100 KB limit is on statement text).
//! - Atomicity comes from the object, not from a journal: every outermost write of the store
//!   runs inside `ctx.storage.transactionSync` ([`DoAtomic`]), so an eviction or crash keeps all
//!   of a write or none of it. SQLite's journal is therefore kept in memory (`journal_mode =
//!   MEMORY`): it only has to undo a failed statement in-process.
//! - `locking_mode` stays NORMAL: at each transaction SQLite rereads the file-change counter,
//!   so if the object ever rolled a write back under it, SQLite's page cache is refreshed.
//! - Only the main database file persists; journals and temporary files live in memory.
//! - One object holds one connection and runs one request at a time: locks are no-ops.

mod blocks;
mod vfs;

use super::Atomic;
use crate::error::{EngineError, ErrorCode, Result};
use blocks::{Blocks, SCHEMA};
use sqlite_wasm_rs::vfs::{register_vfs, VfsRegistration};
use sqlite_wasm_rs::WasmOsCallback;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use vfs::{DoAppData, DoIoMethods, DoVfs};
use wasm_bindgen::closure::ScopedClosure;
use wasm_bindgen::prelude::*;

/// Block size of the stored file, and the page size new databases are created with.
pub const BLOCK: usize = 8192;

#[wasm_bindgen]
extern "C" {
    /// `ctx.storage` of a SQLite-backed Durable Object.
    #[derive(Clone)]
    pub type DurableObjectStorage;
    #[wasm_bindgen(method, catch, js_name = transactionSync)]
    fn transaction_sync(
        this: &DurableObjectStorage,
        f: &ScopedClosure<dyn FnMut()>,
    ) -> std::result::Result<JsValue, JsValue>;

    #[derive(Clone)]
    type SqlStorage;
    #[wasm_bindgen(method, catch, variadic)]
    fn exec(
        this: &SqlStorage,
        query: &str,
        bindings: &js_sys::Array,
    ) -> std::result::Result<SqlCursor, JsValue>;

    type SqlCursor;
    #[wasm_bindgen(method, js_name = toArray)]
    fn to_array(this: &SqlCursor) -> js_sys::Array;
}

thread_local! {
    /// Each object gets its own VFS name (one isolate can host several objects).
    static NEXT_VFS: Cell<u64> = const { Cell::new(1) };
}

/// The VFS registered for one object; unregistered when the store lets go (after its
/// connection closed: the store's field order).
pub struct DoLease(Option<VfsRegistration<DoAppData>>);

impl Drop for DoLease {
    fn drop(&mut self) {
        if let Some(registration) = self.0.take() {
            // SAFETY: the only connection on this VFS was closed before the lease drops.
            let _ = unsafe { registration.unregister() };
        }
    }
}

/// Runs a store's outermost writes inside the object's `transactionSync`: all or nothing.
pub struct DoAtomic(DurableObjectStorage);

impl Atomic for DoAtomic {
    fn run(&self, f: &mut dyn FnMut()) -> Result<()> {
        // transactionSync calls back synchronously and keeps nothing: a borrowed closure fits.
        let mut call = || f();
        let callback = ScopedClosure::<dyn FnMut()>::borrow_mut_aborting(&mut call);
        self.0.transaction_sync(&callback).map(drop).map_err(|e| {
            let message = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string());
            EngineError::new(
                ErrorCode::Io,
                format!("the Durable Object's storage refused the write: {}", message.unwrap_or_default()),
            )
        })
    }
}

/// The object's storage as blocks, refusing anything that is not a SQLite-backed object's
/// `ctx.storage`.
fn blocks_of(storage: &JsValue) -> Result<(DurableObjectStorage, Blocks)> {
    let sql = js_sys::Reflect::get(storage, &"sql".into()).unwrap_or_default();
    let exec = js_sys::Reflect::get(&sql, &"exec".into()).unwrap_or_default();
    if !exec.is_function()
        || !js_sys::Reflect::get(storage, &"transactionSync".into()).unwrap_or_default().is_function()
    {
        return Err(EngineError::new(
            ErrorCode::StorageUnavailable,
            "options.durableObject must be the ctx.storage of a SQLite-backed Durable Object \
             (with .sql.exec and .transactionSync)",
        ));
    }
    let storage: DurableObjectStorage = storage.clone().unchecked_into();
    Ok((storage, Blocks(sql.unchecked_into())))
}

/// Deletes the database `name` from the object's storage (the store was closed first).
pub fn erase(storage: &JsValue, name: &str) -> Result<()> {
    let (storage, blocks) = blocks_of(storage)?;
    let mut outcome = Ok(());
    DoAtomic(storage).run(&mut || {
        outcome = blocks.delete_file(name);
    })?;
    outcome.map_err(|e| {
        EngineError::new(ErrorCode::Io, format!("cannot delete {}: {e}", crate::error::quote(name)))
    })
}

/// Registers a VFS over `storage` and opens the database `name` through it.
pub fn open(storage: &JsValue, name: &str) -> Result<(rusqlite::Connection, DoLease, Rc<DoAtomic>)> {
    let (storage, blocks) = blocks_of(storage)?;
    for statement in SCHEMA.split("; ") {
        blocks.run(statement, &[]).map_err(|e| {
            EngineError::new(
                ErrorCode::StorageUnavailable,
                format!("cannot prepare the object's storage: {e:?}"),
            )
        })?;
    }
    let vfs = format!("ff-do-{}", NEXT_VFS.with(|n| n.replace(n.get() + 1)));
    let data = DoAppData { blocks, os: WasmOsCallback, error: RefCell::new(None) };
    // SAFETY: our VFS types agree with each other; registration happens on the one thread.
    let registration = unsafe { register_vfs::<DoIoMethods, DoVfs>(&vfs, data, false) }.map_err(|e| {
        EngineError::new(
            ErrorCode::StorageUnavailable,
            format!("cannot register the Durable Object VFS: {e}"),
        )
    })?;
    let lease = DoLease(Some(registration));
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
        | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags_and_vfs(name, flags, vfs.as_str())
        .map_err(crate::store::errors::from_sqlite)?;
    conn.execute_batch(&format!(
        "PRAGMA page_size = {BLOCK}; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;"
    ))
    .map_err(crate::store::errors::from_sqlite)?;
    Ok((conn, lease, Rc::new(DoAtomic(storage))))
}
