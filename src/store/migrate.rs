//! The schema: `migrations/NNNN_*.sql`, embedded at build time and applied in order, in one
//! transaction, tracked by `PRAGMA user_version`. This is the only reader of `migrations/`.

use super::errors::from_sqlite;
use crate::error::{EngineError, ErrorCode, Result};
use rusqlite::Connection;

/// Contiguous and append-only: entry N brings the schema to version N.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_executions", include_str!("../../migrations/0001_executions.sql")),
    ("0002_streams", include_str!("../../migrations/0002_streams.sql")),
];

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database to the latest schema. A database written by a newer build is refused
/// untouched: this code does not know what its tables mean.
pub fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(from_sqlite)?;
    let latest = latest_version();
    if current > latest {
        return Err(EngineError::new(
            ErrorCode::StorageUnavailable,
            format!(
                "the database schema is version {current}, newer than this build of \
                 ff-backend-wasm understands ({latest}); open it with a newer version"
            ),
        ));
    }
    if current == latest {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE").map_err(from_sqlite)?;
    let applied = (|| -> rusqlite::Result<()> {
        for (_, sql) in &MIGRATIONS[current as usize..] {
            conn.execute_batch(sql)?;
        }
        conn.execute_batch(&format!("PRAGMA user_version = {latest}"))
    })();
    match applied {
        Ok(()) => conn.execute_batch("COMMIT").map_err(from_sqlite),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(from_sqlite(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare(
                "SELECT type || ' ' || name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY 1",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn applies_every_migration_once_and_is_idempotent() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        let first = schema(&conn);
        migrate(&conn).unwrap();
        assert_eq!(schema(&conn), first);
        for table in [
            "ff_exec_core",
            "ff_execution_capabilities",
            "ff_attempt",
            "ff_lease_event",
            "ff_completion_event",
            "ff_stream_frame",
            "ff_stream_summary",
            "ff_stream_meta",
        ] {
            assert!(first.contains(&format!("table {table}")), "{table} missing: {first:?}");
        }
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, latest_version());
    }

    #[test]
    fn refuses_a_newer_schema_and_changes_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        let err = migrate(&conn).unwrap_err();
        assert_eq!(err.code, ErrorCode::StorageUnavailable);
        assert!(err.message.contains("99"), "{}", err.message);
        assert!(schema(&conn).is_empty());
    }
}
