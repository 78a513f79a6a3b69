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

use super::Atomic;
use crate::error::{EngineError, ErrorCode, Result};
use sqlite_wasm_rs::vfs::{
    register_vfs, AccessMode, FileKind, LockLevel, MemChunksFile, OpenAccess, OpenOptions, OpenRequest,
    OpenedFile, OsCallback, SQLiteIoMethods, SQLiteVfs, SyncOptions, VfsError, VfsErrorCode, VfsFile,
    VfsRegistration, VfsResult, VfsStore,
};
use sqlite_wasm_rs::WasmOsCallback;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
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

const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS ff_vfs_file (name TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID; \
     CREATE TABLE IF NOT EXISTS ff_vfs_block (name TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, \
     PRIMARY KEY (name, idx)) WITHOUT ROWID";
const SELECT_SIZE: &str = "SELECT size FROM ff_vfs_file WHERE name = ?";
const UPSERT_SIZE: &str = "INSERT INTO ff_vfs_file (name, size) VALUES (?, ?) \
     ON CONFLICT (name) DO UPDATE SET size = excluded.size";
const SELECT_BLOCK: &str = "SELECT data FROM ff_vfs_block WHERE name = ? AND idx = ?";
const UPSERT_BLOCK: &str = "INSERT INTO ff_vfs_block (name, idx, data) VALUES (?, ?, ?) \
     ON CONFLICT (name, idx) DO UPDATE SET data = excluded.data";
const DELETE_BLOCKS_FROM: &str = "DELETE FROM ff_vfs_block WHERE name = ? AND idx >= ?";
const DELETE_FILE: &str = "DELETE FROM ff_vfs_file WHERE name = ?";

fn io(code: VfsErrorCode, what: &str, e: JsValue) -> VfsError {
    let detail = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string());
    VfsError::new(code, format!("{what}: {}", detail.unwrap_or_else(|| format!("{e:?}"))).into())
}

/// The object's SQL storage, seen as files of blocks.
#[derive(Clone)]
struct Blocks(SqlStorage);

impl Blocks {
    fn run(&self, query: &str, bindings: &[JsValue]) -> std::result::Result<js_sys::Array, JsValue> {
        let args: js_sys::Array = bindings.iter().collect();
        Ok(self.0.exec(query, &args)?.to_array())
    }

    fn size(&self, name: &str) -> VfsResult<Option<u64>> {
        let rows =
            self.run(SELECT_SIZE, &[name.into()]).map_err(|e| io(VfsErrorCode::IoRead, "file size", e))?;
        let size = rows.get(0);
        if size.is_undefined() {
            return Ok(None);
        }
        let n = js_sys::Reflect::get(&size, &"size".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
        Ok(Some(n as u64))
    }

    fn set_size(&self, name: &str, size: u64) -> VfsResult<()> {
        self.run(UPSERT_SIZE, &[name.into(), (size as f64).into()])
            .map(drop)
            .map_err(|e| io(VfsErrorCode::IoWrite, "file size", e))
    }

    /// A block's bytes (shorter or empty where nothing was written).
    fn block(&self, name: &str, idx: u64) -> VfsResult<Vec<u8>> {
        let rows = self
            .run(SELECT_BLOCK, &[name.into(), (idx as f64).into()])
            .map_err(|e| io(VfsErrorCode::IoRead, "block read", e))?;
        let row = rows.get(0);
        if row.is_undefined() {
            return Ok(Vec::new());
        }
        let data = js_sys::Reflect::get(&row, &"data".into()).unwrap_or_default();
        Ok(js_sys::Uint8Array::new(&data).to_vec())
    }

    fn put_block(&self, name: &str, idx: u64, data: &[u8]) -> VfsResult<()> {
        let bytes = js_sys::Uint8Array::from(data);
        self.run(UPSERT_BLOCK, &[name.into(), (idx as f64).into(), bytes.buffer().into()])
            .map(drop)
            .map_err(|e| io(VfsErrorCode::IoWrite, "block write", e))
    }

    fn drop_blocks_from(&self, name: &str, idx: u64) -> VfsResult<()> {
        self.run(DELETE_BLOCKS_FROM, &[name.into(), (idx as f64).into()])
            .map(drop)
            .map_err(|e| io(VfsErrorCode::IoTruncate, "truncate", e))
    }
}

/// The persisted main database file.
struct StoredFile {
    blocks: Blocks,
    name: String,
    size: u64,
}

impl StoredFile {
    fn read(&mut self, buf: &mut [u8], offset: u64) -> VfsResult<usize> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let end = (offset + buf.len() as u64).min(self.size);
        let mut at = offset;
        while at < end {
            let idx = at / BLOCK as u64;
            let within = (at % BLOCK as u64) as usize;
            let take = ((BLOCK - within) as u64).min(end - at) as usize;
            let block = self.blocks.block(&self.name, idx)?;
            let dest = &mut buf[(at - offset) as usize..][..take];
            dest.fill(0);
            if within < block.len() {
                let have = (block.len() - within).min(take);
                dest[..have].copy_from_slice(&block[within..within + have]);
            }
            at += take as u64;
        }
        Ok((end - offset) as usize)
    }

    fn write(&mut self, buf: &[u8], offset: u64) -> VfsResult<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .ok_or_else(|| VfsError::new(VfsErrorCode::Full, "file too large".into()))?;
        let mut at = offset;
        while at < end {
            let idx = at / BLOCK as u64;
            let within = (at % BLOCK as u64) as usize;
            let take = ((BLOCK - within) as u64).min(end - at) as usize;
            let src = &buf[(at - offset) as usize..][..take];
            if within == 0 && take == BLOCK {
                self.blocks.put_block(&self.name, idx, src)?;
            } else {
                let mut block = self.blocks.block(&self.name, idx)?;
                block.resize(BLOCK.max(block.len()), 0);
                block[within..within + take].copy_from_slice(src);
                self.blocks.put_block(&self.name, idx, &block)?;
            }
            at += take as u64;
        }
        if end > self.size {
            self.size = end;
            self.blocks.set_size(&self.name, end)?;
        }
        Ok(())
    }

    fn truncate(&mut self, size: u64) -> VfsResult<()> {
        if size < self.size {
            self.blocks.drop_blocks_from(&self.name, size.div_ceil(BLOCK as u64))?;
        }
        self.size = size;
        self.blocks.set_size(&self.name, size)
    }
}

/// An open file: the stored main database, or an in-memory journal or temporary file.
enum DoFile {
    Stored(StoredFile),
    Memory(MemChunksFile),
}

impl VfsFile for DoFile {
    fn read(&mut self, buf: &mut [u8], offset: u64) -> VfsResult<usize> {
        match self {
            DoFile::Stored(f) => f.read(buf, offset),
            DoFile::Memory(f) => f.read(buf, offset),
        }
    }

    fn write(&mut self, buf: &[u8], offset: u64) -> VfsResult<()> {
        match self {
            DoFile::Stored(f) => f.write(buf, offset),
            DoFile::Memory(f) => f.write(buf, offset),
        }
    }

    fn truncate(&mut self, size: u64) -> VfsResult<()> {
        match self {
            DoFile::Stored(f) => f.truncate(size),
            DoFile::Memory(f) => f.truncate(size),
        }
    }

    /// Durability is the object's: its storage commits with the request's transaction.
    fn sync(&mut self, _options: SyncOptions) -> VfsResult<()> {
        Ok(())
    }

    fn size(&self) -> VfsResult<u64> {
        match self {
            DoFile::Stored(f) => Ok(f.size),
            DoFile::Memory(f) => f.size(),
        }
    }

    fn lock(&mut self, _level: LockLevel) -> VfsResult<()> {
        Ok(())
    }

    fn unlock(&mut self, _level: LockLevel) -> VfsResult<()> {
        Ok(())
    }

    fn check_reserved_lock(&self) -> VfsResult<bool> {
        Ok(false)
    }
}

struct DoAppData {
    blocks: Blocks,
    os: WasmOsCallback,
    error: RefCell<Option<VfsError>>,
}

struct DoStore;

impl VfsStore for DoStore {
    type File = DoFile;
    type AppData = DoAppData;

    fn record_error(data: &DoAppData, error: VfsError) {
        data.error.replace(Some(error));
    }

    fn last_error(data: &DoAppData) -> Option<VfsError> {
        data.error.borrow().clone()
    }

    fn open_file(data: &DoAppData, request: OpenRequest<'_>) -> VfsResult<OpenedFile<DoFile>> {
        let access = request.options.access();
        let main = request.options.kind() == Some(FileKind::MainDb);
        let (Some(filename), true) = (request.filename, main) else {
            return Ok(OpenedFile { file: DoFile::Memory(MemChunksFile::default()), access });
        };
        let name = filename.path().to_string();
        let size = match data.blocks.size(&name)? {
            Some(size) => size,
            None if request.options.create() => {
                data.blocks.set_size(&name, 0)?;
                0
            }
            None => {
                return Err(VfsError::new(VfsErrorCode::CantOpen, format!("no database {name:?}").into()))
            }
        };
        let file = StoredFile { blocks: data.blocks.clone(), name, size };
        Ok(OpenedFile {
            file: DoFile::Stored(file),
            access: if access == OpenAccess::ReadOnly { access } else { OpenAccess::ReadWrite },
        })
    }

    fn close_file(
        _data: &DoAppData,
        _name: Option<&str>,
        _file: DoFile,
        _options: OpenOptions,
    ) -> VfsResult<()> {
        Ok(())
    }

    fn access(data: &DoAppData, name: &str, _mode: AccessMode) -> VfsResult<bool> {
        Ok(data.blocks.size(name)?.is_some())
    }

    fn full_pathname(_data: &DoAppData, name: &str) -> VfsResult<String> {
        Ok(name.into())
    }

    fn delete_file(data: &DoAppData, name: &str, _sync_dir: bool) -> VfsResult<()> {
        data.blocks.drop_blocks_from(name, 0)?;
        data.blocks
            .run(DELETE_FILE, &[name.into()])
            .map(drop)
            .map_err(|e| io(VfsErrorCode::IoDelete, "delete", e))
    }
}

struct DoIoMethods;

impl SQLiteIoMethods for DoIoMethods {
    type Store = DoStore;
}

struct DoVfs;

impl SQLiteVfs<DoIoMethods> for DoVfs {
    type Os = dyn OsCallback;

    fn os(data: &DoAppData) -> &Self::Os {
        &data.os
    }
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
        outcome = blocks.drop_blocks_from(name, 0).and_then(|()| {
            blocks
                .run(DELETE_FILE, &[name.into()])
                .map(drop)
                .map_err(|e| io(VfsErrorCode::IoDelete, "delete", e))
        });
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
