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
mod statements;
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
use statements::Statements;
use std::any::Any;
use std::rc::Rc;

self_cell::self_cell!(
    /// The connection and the statements prepared on it, which borrow it: the statements are
    /// finalized first when it drops, then the connection closes.
    struct Db {
        owner: Connection,
        #[not_covariant]
        dependent: Statements,
    }
);

/// A transaction or savepoint in progress: `finish` ends it (COMMIT, RELEASE); dropped
/// unfinished, or when finishing fails, it is undone. Its statements are prepared once like
/// every other, where rusqlite's `Transaction` and `execute_batch` parse `BEGIN` and `COMMIT`
/// anew on every call (a tenth of an append's time). rusqlite's `Savepoint` needs
/// `&mut Connection`, which a group's open transaction holds, hence savepoints too.
struct Scope<'a, 'c> {
    statements: &'a Statements<'c>,
    finish: &'static str,
    undo: &'static [&'static str],
    done: bool,
}

/// Runs one statement without parameters or rows.
fn run(statements: &Statements, sql: &'static str) -> Result<()> {
    statements.with(sql, |statement| statement.execute([]).map(drop).map_err(from_sqlite))
}

impl<'a, 'c> Scope<'a, 'c> {
    fn write(statements: &'a Statements<'c>) -> Result<Self> {
        Self::open(statements, "BEGIN IMMEDIATE", "COMMIT", &["ROLLBACK"])
    }

    /// A snapshot for reads: never finished, so always rolled back (it changed nothing).
    fn read(statements: &'a Statements<'c>) -> Result<Self> {
        Self::open(statements, "BEGIN DEFERRED", "COMMIT", &["ROLLBACK"])
    }

    fn savepoint(statements: &'a Statements<'c>) -> Result<Self> {
        Self::open(
            statements,
            "SAVEPOINT ff_write",
            "RELEASE ff_write",
            &["ROLLBACK TO ff_write", "RELEASE ff_write"],
        )
    }

    fn open(
        statements: &'a Statements<'c>,
        begin: &'static str,
        finish: &'static str,
        undo: &'static [&'static str],
    ) -> Result<Self> {
        run(statements, begin)?;
        Ok(Scope { statements, finish, undo, done: false })
    }

    fn finish(mut self) -> Result<()> {
        run(self.statements, self.finish)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Scope<'_, '_> {
    fn drop(&mut self) {
        if !self.done {
            for sql in self.undo {
                let _ = run(self.statements, sql);
            }
        }
    }
}

pub struct Store {
    /// `None` only while [`Store::export_image`] has the connection to itself.
    db: Option<Db>,
    /// What the storage backend holds while the database is open (the OPFS pool): released
    /// when the store drops, after `db` (fields drop in declaration order).
    _hold: Option<Box<dyn Any>>,
    kind: &'static str,
    location: StorageSpec,
    /// The storage's own all-or-nothing scope, when it has one (a Durable Object).
    atomic: Option<Rc<dyn storage::Atomic>>,
}

impl Db {
    fn holding(conn: Connection) -> Db {
        Db::new(conn, |conn| Statements::new(conn))
    }
}

fn closed() -> EngineError {
    EngineError::new(ErrorCode::Closed, "the database is closed")
}

/// The main database as a standard SQLite file's bytes, and the connection back.
fn copy_file(mut conn: Connection) -> (Connection, Result<Vec<u8>>) {
    let copied = conn.serialize(rusqlite::MAIN_DB).map(|data| data.to_vec()).map_err(from_sqlite);
    (conn, copied)
}

impl Store {
    fn db(&self) -> Result<&Db> {
        self.db.as_ref().ok_or_else(closed)
    }

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
        let store = Store { db: Some(Db::holding(conn)), _hold: hold, kind, location, atomic };
        let conn = store.db()?.borrow_owner();
        if conn.is_readonly(rusqlite::MAIN_DB).map_err(from_sqlite)? {
            return Err(storage::read_only(&format!("the {kind} database"), None));
        }
        conn.execute_batch("PRAGMA foreign_keys = OFF;").map_err(from_sqlite)?;
        // Plans chosen once per statement: otherwise SQLite re-prepares a held statement
        // whenever some bound values change (for claims, the clock), a third of a claim's time.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(from_sqlite)?;
        store.atomically(|| migrate::migrate(conn))?;
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
        self.db()?.with_dependent(|conn, statements| {
            if !conn.is_autocommit() {
                // One savepoint inside the open transaction.
                let savepoint = Scope::savepoint(statements)?;
                let value = f(&Tx::new(statements))?;
                savepoint.finish()?;
                return Ok(value);
            }
            self.atomically(|| {
                let scope = Scope::write(statements)?;
                let value = f(&Tx::new(statements))?;
                scope.finish()?;
                Ok(value)
            })
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
        self.db()?.with_dependent(|conn, statements| {
            if !conn.is_autocommit() {
                return f(&Tx::new(statements));
            }
            let _snapshot = Scope::read(statements)?;
            f(&Tx::new(statements))
        })
    }

    /// The whole database as a standard SQLite file.
    pub fn export_image(&mut self) -> Result<Vec<u8>> {
        // rusqlite copies the file through `&mut Connection`, which the held statements borrow:
        // they are let go for the copy, and prepared again when next used.
        let conn = self.db.take().ok_or_else(closed)?.into_owner();
        let (conn, copied) = copy_file(conn);
        self.db = Some(Db::holding(conn));
        let mut data = copied?;
        // A WAL database (OPFS) says so in its header (file format bytes 18 and 19 = 2). The
        // copy holds every committed page and has no WAL beside it: mark it a rollback-journal
        // file, which every SQLite (and `open({ image })`, which cannot open WAL) reads.
        if let Some(format) = data.get_mut(18..20).filter(|format| *format == [2, 2]) {
            format.copy_from_slice(&[1, 1]);
        }
        Ok(data)
    }
}
