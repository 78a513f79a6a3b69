//! Storage: the one place that talks SQL. It loads and saves model records; it makes no
//! decisions. Every write goes through [`Store::write`], one `BEGIN IMMEDIATE` transaction that
//! commits only if the closure succeeds (a [`Scope`] rolls back when dropped unfinished).
//!
//! Where the database file lives is a [`storage`] backend, chosen by a [`StorageSpec`]; nothing
//! above this layer sees a VFS.

// First: its column-list macros are used by the modules after it.
#[macro_use]
mod sql;
mod baseline;
mod errors;
/// Whole-database reads for `ff-graduate` (src/graduate), native builds with `flowfabric` only.
#[cfg(all(feature = "flowfabric", not(target_arch = "wasm32")))]
pub mod export;
mod migrate;
mod rows;
pub mod storage;
mod tx;
mod tx_events;
mod tx_requests;
mod tx_streams;

pub use crate::model::StreamKey;
pub use migrate::latest_version;
pub use storage::StorageSpec;
pub use tx::Tx;
pub use tx_requests::StoredOutcome;

use crate::error::{EngineError, ErrorCode, Result};
use errors::from_sqlite;
use rusqlite::config::DbConfig;
use rusqlite::Connection;
use std::any::Any;
use std::rc::Rc;

/// A transaction or savepoint in progress: `finish` ends it (COMMIT, RELEASE); dropped
/// unfinished, or when finishing fails, it is undone. Its statements go through the statement
/// cache like every other, where rusqlite's `Transaction` and `execute_batch` parse `BEGIN`
/// and `COMMIT` anew on every call (a tenth of an append's time). rusqlite's `Savepoint`
/// needs `&mut Connection`, which a group's open transaction holds, hence savepoints too.
struct Scope<'a> {
    conn: &'a Connection,
    finish: &'static str,
    undo: &'static [&'static str],
    done: bool,
}

/// Runs one statement without parameters or rows, prepared once per connection.
fn run(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql).and_then(|mut statement| statement.execute([])).map(drop).map_err(from_sqlite)
}

impl<'a> Scope<'a> {
    fn write(conn: &'a Connection) -> Result<Self> {
        Self::open(conn, "BEGIN IMMEDIATE", "COMMIT", &["ROLLBACK"])
    }

    /// A snapshot for reads: never finished, so always rolled back (it changed nothing).
    fn read(conn: &'a Connection) -> Result<Self> {
        Self::open(conn, "BEGIN DEFERRED", "COMMIT", &["ROLLBACK"])
    }

    fn savepoint(conn: &'a Connection) -> Result<Self> {
        Self::open(
            conn,
            "SAVEPOINT ff_write",
            "RELEASE ff_write",
            &["ROLLBACK TO ff_write", "RELEASE ff_write"],
        )
    }

    fn open(
        conn: &'a Connection,
        begin: &str,
        finish: &'static str,
        undo: &'static [&'static str],
    ) -> Result<Self> {
        run(conn, begin)?;
        Ok(Scope { conn, finish, undo, done: false })
    }

    fn finish(mut self) -> Result<()> {
        run(self.conn, self.finish)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Scope<'_> {
    fn drop(&mut self) {
        if !self.done {
            for sql in self.undo {
                let _ = run(self.conn, sql);
            }
        }
    }
}

pub struct Store {
    conn: Connection,
    /// What the storage backend holds while the database is open (the OPFS pool): released
    /// when the store drops, after `conn` (fields drop in declaration order).
    _hold: Option<Box<dyn Any>>,
    kind: &'static str,
    location: StorageSpec,
    /// The storage's own all-or-nothing scope, when it has one (a Durable Object).
    atomic: Option<Rc<dyn storage::Atomic>>,
}

impl Store {
    /// Opens (creating if needed) the database `spec` describes and brings its schema up to
    /// date.
    pub async fn open(spec: StorageSpec) -> Result<Store> {
        let location = spec.location();
        let opened = storage::open(spec).await?;
        Store::from_parts(opened.conn, opened.hold, opened.kind, location, opened.atomic)
    }

    /// Closes the database and deletes its storage: the next open of the same place starts empty.
    pub async fn destroy(self) -> Result<()> {
        let location = self.location.clone();
        drop(self);
        storage::erase(&location).await
    }

    /// A fresh private in-memory database, or one holding a copy of `image`
    /// (bytes from [`Store::export_image`]).
    pub fn open_memory(image: Option<&[u8]>) -> Result<Store> {
        Store::from_parts(
            storage::memory::connect(image)?,
            None,
            "memory",
            StorageSpec::Memory { image: None },
            None,
        )
    }

    /// The SQLite file at `path`, created if missing (native builds only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_file(path: &std::path::Path) -> Result<Store> {
        let location = StorageSpec::File { path: path.to_path_buf() };
        Store::from_parts(storage::file::connect(path)?, None, "file", location, None)
    }

    fn from_parts(
        conn: Connection,
        hold: Option<Box<dyn Any>>,
        kind: &'static str,
        location: StorageSpec,
        atomic: Option<Rc<dyn storage::Atomic>>,
    ) -> Result<Store> {
        // Built first, so that a failure below drops the connection before the hold.
        let store = Store { conn, _hold: hold, kind, location, atomic };
        if store.conn.is_readonly(rusqlite::MAIN_DB).map_err(from_sqlite)? {
            return Err(storage::read_only(&format!("the {kind} database"), None));
        }
        store.conn.execute_batch("PRAGMA foreign_keys = OFF;").map_err(from_sqlite)?;
        // Plans chosen once per statement: otherwise SQLite re-prepares a cached statement
        // whenever some bound values change (for claims, the clock), a third of a claim's time.
        store.conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(from_sqlite)?;
        store.conn.set_prepared_statement_cache_capacity(64);
        store.atomically(|| migrate::migrate(&store.conn))?;
        Ok(store)
    }

    /// `"memory"`, `"opfs"`, `"file"`: which storage backend holds the database.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Runs `f` in one write transaction: all of it commits, or none of it. Inside a
    /// transaction that is already open (a group commit), `f` runs in a savepoint of it
    /// instead: its failure undoes only itself, and it commits with the group.
    pub fn write<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return self.nested(f);
        }
        self.atomically(|| {
            let scope = Scope::write(&self.conn)?;
            let value = f(&Tx::new(&self.conn))?;
            scope.finish()?;
            Ok(value)
        })
    }

    /// Runs `f` inside the storage's own all-or-nothing scope, when it has one.
    fn atomically<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let Some(atomic) = &self.atomic else { return f() };
        let mut f = Some(f);
        let mut outcome = None;
        atomic.run(&mut || outcome = f.take().map(|f| f()))?;
        outcome.unwrap_or_else(|| Err(EngineError::new(ErrorCode::Io, "the storage never ran the write")))
    }

    /// Runs `f` in a read transaction, so that its several statements see one snapshot (inside
    /// an open transaction, in that one).
    pub fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return f(&Tx::new(&self.conn));
        }
        let _snapshot = Scope::read(&self.conn)?;
        f(&Tx::new(&self.conn))
    }

    /// One savepoint inside the open transaction.
    fn nested<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        let savepoint = Scope::savepoint(&self.conn)?;
        let value = f(&Tx::new(&self.conn))?;
        savepoint.finish()?;
        Ok(value)
    }

    /// The whole database as a standard SQLite file.
    pub fn export_image(&mut self) -> Result<Vec<u8>> {
        let mut data = self.conn.serialize(rusqlite::MAIN_DB).map_err(from_sqlite)?.to_vec();
        // A WAL database (OPFS) says so in its header (file format bytes 18 and 19 = 2). The
        // copy holds every committed page and has no WAL beside it: mark it a rollback-journal
        // file, which every SQLite (and `open({ image })`, which cannot open WAL) reads.
        if let Some(format) = data.get_mut(18..20).filter(|format| *format == [2, 2]) {
            format.copy_from_slice(&[1, 1]);
        }
        Ok(data)
    }
}
