//! Opening connections. This is the only VFS-aware file: memory databases everywhere, and the
//! OPFS `sahpool` VFS inside a browser's dedicated Worker.

use super::errors::from_sqlite;
use super::Store;
use crate::error::{EngineError, ErrorCode, Result};
use rusqlite::Connection;

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

impl Store {
    /// A fresh private in-memory database, or one holding a copy of `image`
    /// (bytes from [`Store::export_image`]).
    pub fn open_memory(image: Option<&[u8]>) -> Result<Store> {
        let mut conn = Connection::open_in_memory().map_err(from_sqlite)?;
        if let Some(bytes) = image {
            if bytes.len() < 100 || !bytes.starts_with(SQLITE_MAGIC) {
                return Err(EngineError::invalid(format!(
                    "image ({} bytes) is not a SQLite database file: it must start with \
                     \"SQLite format 3\" and hold at least the 100-byte header",
                    bytes.len()
                )));
            }
            conn.deserialize_read_exact(rusqlite::MAIN_DB, bytes, bytes.len(), false).map_err(from_sqlite)?;
            let check: String =
                conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(from_sqlite)?;
            if check != "ok" {
                return Err(EngineError::new(
                    ErrorCode::Corruption,
                    format!("image failed SQLite's integrity check: {check}"),
                ));
            }
        }
        Store::from_connection(conn)
    }

    /// Opens (creating if needed) `name` through an already registered VFS.
    pub fn open_with_vfs(name: &str, vfs: &str) -> Result<Store> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags_and_vfs(name, flags, vfs).map_err(from_sqlite)?;
        // The sahpool VFS holds one exclusive handle per file: no WAL, no shared memory.
        conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA locking_mode = EXCLUSIVE;")
            .map_err(from_sqlite)?;
        Store::from_connection(conn)
    }
}
