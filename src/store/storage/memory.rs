//! Memory databases: SQLite's own in-memory storage, optionally seeded from an image.

use crate::error::{EngineError, ErrorCode, Result};
use crate::store::errors::from_sqlite;
use rusqlite::Connection;

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Whatever stops SQLite from reading an image (an unsupported file format in its header, say)
/// is damage to the image, not a storage failure: `validation/corruption`.
fn damaged(err: rusqlite::Error) -> EngineError {
    let err = from_sqlite(err);
    match err.code {
        ErrorCode::Io => {
            EngineError::new(ErrorCode::Corruption, format!("image cannot be read: {}", err.message))
        }
        _ => err,
    }
}

/// A fresh private in-memory connection, or one holding a copy of `image`.
pub fn connect(image: Option<&[u8]>) -> Result<Connection> {
    let mut conn = Connection::open_in_memory().map_err(from_sqlite)?;
    if let Some(bytes) = image {
        if bytes.len() < 100 || !bytes.starts_with(SQLITE_MAGIC) {
            return Err(EngineError::invalid(format!(
                "image ({} bytes) is not a SQLite database file: it must start with \
                 \"SQLite format 3\" and hold at least the 100-byte header",
                bytes.len()
            )));
        }
        // A copy: the caller's bytes are never written to.
        conn.deserialize_read_exact(rusqlite::MAIN_DB, bytes, bytes.len(), false).map_err(damaged)?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(damaged)?;
        if conn.is_readonly(rusqlite::MAIN_DB).map_err(damaged)? {
            return Err(super::read_only("image", Some(bytes)));
        }
        if check != "ok" {
            return Err(EngineError::new(
                ErrorCode::Corruption,
                format!("image failed SQLite's integrity check: {check}"),
            ));
        }
    }
    Ok(conn)
}
