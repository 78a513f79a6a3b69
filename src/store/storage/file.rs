//! File databases (native only): an ordinary SQLite file on disk, opened with
//! `Connection::open` and given the same schema and migrations as every other backend, so a
//! file written here is also a valid image for the JS package's `open({ image })`.

use crate::error::{quote, EngineError, ErrorCode, Result};
use crate::store::errors::from_sqlite;
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// How long a statement waits for another process's lock before failing with `storage_busy`.
/// Short, because the engine is single-threaded: while it waits, nothing else runs.
const BUSY_TIMEOUT: Duration = Duration::from_millis(1000);

/// Opens (creating if needed) the database file at `path`. The rollback journal stays in its
/// default DELETE mode, so after each commit the one file holds the whole database (a copy of
/// it taken between transactions is a complete image).
pub fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(from_sqlite)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(from_sqlite)?;
    // NORMAL: in DELETE mode FULL only adds a second flush of the journal's header.
    conn.execute_batch("PRAGMA synchronous = NORMAL;").map_err(from_sqlite)?;
    Ok(conn)
}

/// Deletes a closed database's file (and a journal a crash left behind); a file that is
/// already gone is fine.
pub fn erase(path: &Path) -> Result<()> {
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    for file in [path, Path::new(&journal)] {
        match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let shown = quote(&file.display().to_string());
                return Err(EngineError::new(ErrorCode::Io, format!("cannot delete {shown}: {e}")));
            }
        }
    }
    Ok(())
}
