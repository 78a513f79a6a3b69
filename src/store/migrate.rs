//! The schema: `migrations/NNNN_*.sql`, embedded at build time and applied in order, in one
//! transaction, tracked by `PRAGMA user_version`. This is the only reader of `migrations/`.

use super::errors::from_sqlite;
use crate::error::{EngineError, ErrorCode, Result};
use rusqlite::{Connection, Transaction, TransactionBehavior};

/// Contiguous and append-only: entry N brings the schema to version N.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_executions", include_str!("../../migrations/0001_executions.sql")),
    ("0002_streams", include_str!("../../migrations/0002_streams.sql")),
    ("0003_best_effort_retention", include_str!("../../migrations/0003_best_effort_retention.sql")),
    ("0004_lease_event_attempt", include_str!("../../migrations/0004_lease_event_attempt.sql")),
    ("0005_list_by_lane", include_str!("../../migrations/0005_list_by_lane.sql")),
];

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database to the latest schema. A database written by a newer build is refused
/// untouched: this code does not know what its tables mean. So is a version below zero
/// (`user_version` is a signed field anyone can write): no build ever wrote one.
pub fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(from_sqlite)?;
    let latest = latest_version();
    let pending = match usize::try_from(current) {
        Ok(done) if done <= MIGRATIONS.len() => &MIGRATIONS[done..],
        _ if current > latest => {
            return Err(EngineError::new(
                ErrorCode::StorageUnavailable,
                format!(
                    "the database schema is version {current}, newer than this build of \
                     ff-backend-wasm understands ({latest}); open it with a newer version"
                ),
            ))
        }
        _ => {
            return Err(EngineError::new(
                ErrorCode::StorageUnavailable,
                format!(
                    "the database schema version {current} is not one ff-backend-wasm ever wrote \
                     (versions run from 0 to {latest}); the file is damaged or not ours"
                ),
            ))
        }
    };
    if pending.is_empty() {
        return Ok(());
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(from_sqlite)?;
    for (_, sql) in pending {
        tx.execute_batch(sql).map_err(from_sqlite)?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {latest}")).map_err(from_sqlite)?;
    tx.commit().map_err(from_sqlite)
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

    #[test]
    fn refuses_a_negative_schema_version_without_panicking() {
        for version in [-1, i32::MIN as i64] {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch(&format!("PRAGMA user_version = {version}")).unwrap();
            let err = migrate(&conn).unwrap_err();
            assert_eq!(err.code, ErrorCode::StorageUnavailable, "{version}");
            assert!(err.message.contains(&version.to_string()), "{}", err.message);
            assert!(schema(&conn).is_empty());
        }
    }

    #[test]
    fn a_failing_migration_leaves_nothing_behind() {
        let conn = Connection::open_in_memory().unwrap();
        // A table in the way of migration 0001 makes it fail halfway.
        conn.execute_batch("CREATE TABLE ff_attempt (x)").unwrap();
        assert!(migrate(&conn).is_err());
        assert_eq!(schema(&conn), vec!["table ff_attempt".to_string()]);
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 0);
    }
}
