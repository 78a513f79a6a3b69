//! Storage: the one place that talks SQL. It loads and saves model records; it makes no
//! decisions. Every write goes through [`Store::write`], one `BEGIN IMMEDIATE` transaction that
//! commits only if the closure succeeds (rusqlite's `Transaction` rolls back when dropped).
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
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::any::Any;
use std::rc::Rc;

/// A savepoint that rolls back unless released (the nesting [`Store::write`] uses).
struct Savepoint<'a> {
    conn: &'a Connection,
    released: bool,
}

impl<'a> Savepoint<'a> {
    fn begin(conn: &'a Connection) -> Result<Self> {
        conn.execute_batch("SAVEPOINT ff_write").map_err(from_sqlite)?;
        Ok(Savepoint { conn, released: false })
    }

    fn release(mut self) -> Result<()> {
        self.released = true;
        self.conn.execute_batch("RELEASE ff_write").map_err(from_sqlite)
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if !self.released {
            let _ = self.conn.execute_batch("ROLLBACK TO ff_write; RELEASE ff_write");
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
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
                .map_err(from_sqlite)?;
            let value = f(&Tx::new(&tx))?;
            tx.commit().map_err(from_sqlite)?;
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
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(from_sqlite)?;
        f(&Tx::new(&tx))
    }

    /// One savepoint inside the open transaction. rusqlite's `Savepoint` needs `&mut
    /// Connection`, which the open transaction's owner holds, so [`Savepoint`] issues the
    /// same three statements itself.
    fn nested<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        let savepoint = Savepoint::begin(&self.conn)?;
        let value = f(&Tx::new(&self.conn))?;
        savepoint.release()?;
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
