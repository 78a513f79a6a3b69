//! The schema: `migrations/NNNN_*.sql`, embedded at build time and applied in order, in one
//! transaction, tracked by `PRAGMA user_version`. This is the only reader of `migrations/`.

use super::errors::from_sqlite;
use crate::error::{EngineError, ErrorCode, Result};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Contiguous and append-only: entry N brings the schema to version N.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_executions", include_str!("../../migrations/0001_executions.sql")),
    ("0002_streams", include_str!("../../migrations/0002_streams.sql")),
    ("0003_best_effort_retention", include_str!("../../migrations/0003_best_effort_retention.sql")),
    ("0004_lease_event_attempt", include_str!("../../migrations/0004_lease_event_attempt.sql")),
    ("0005_list_by_lane", include_str!("../../migrations/0005_list_by_lane.sql")),
    ("0006_application_id", include_str!("../../migrations/0006_application_id.sql")),
    ("0007_client_requests", include_str!("../../migrations/0007_client_requests.sql")),
    ("0008_clustered_streams", include_str!("../../migrations/0008_clustered_streams.sql")),
];

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// `PRAGMA application_id` of every database this crate wrote since migration 0006 ("FFbw").
pub const APPLICATION_ID: i32 = 0x4646_6277;
/// The schema version that first set [`APPLICATION_ID`]; older ones of ours carry 0.
const APPLICATION_ID_SINCE: i64 = 6;

fn not_ours(why: String) -> EngineError {
    EngineError::new(
        ErrorCode::StorageUnavailable,
        format!(
            "the database is not an ff-backend-wasm database: {why}; it was left as it was \
             (open an empty database, or one this package wrote)"
        ),
    )
}

/// Tables and indexes (name, SQL) as `sqlite_schema` lists them, in creation order.
fn read_schema(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn
        .prepare(
            "SELECT name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY rowid",
        )
        .map_err(from_sqlite)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(from_sqlite)?;
    rows.collect::<rusqlite::Result<_>>().map_err(from_sqlite)
}

/// Tables and indexes as (name, SQL).
type Schema = Rc<Vec<(String, String)>>;

/// The schema the migrations leave, as SQLite stores it: `migrations/schema.sql`, checked against
/// the migrations by the test `schema_snapshot_is_what_the_migrations_make`. Replaying the
/// migrations on a scratch database to learn it took 30-45 ms of every first open in a Worker
/// (BENCHMARKS.md, "Opening"); a new database is also created from it in one step.
const SNAPSHOT: &str = include_str!("../../migrations/schema.sql");
/// What starts each entry of [`SNAPSHOT`]; the rest of its line is the entry's name.
const ENTRY: &str = "\n-- entry: ";

/// [`SNAPSHOT`]'s entries as (name, SQL), in creation order.
fn snapshot() -> Vec<(String, String)> {
    SNAPSHOT
        .split(ENTRY)
        .skip(1)
        .filter_map(|entry| entry.split_once('\n'))
        .map(|(name, sql)| (name.to_string(), sql.trim_end().to_string()))
        .collect()
}

/// What the first `version` migrations create: the snapshot for the latest version, otherwise
/// built once per version on a scratch database.
fn expected_schema(version: usize) -> Result<Schema> {
    thread_local! {
        static BUILT: RefCell<HashMap<usize, Schema>> = RefCell::default();
    }
    if let Some(schema) = BUILT.with(|b| b.borrow().get(&version).cloned()) {
        return Ok(schema);
    }
    if version == MIGRATIONS.len() {
        let schema = Rc::new(snapshot());
        BUILT.with(|b| b.borrow_mut().insert(version, schema.clone()));
        return Ok(schema);
    }
    let scratch = Connection::open_in_memory().map_err(from_sqlite)?;
    for (_, sql) in &MIGRATIONS[..version] {
        scratch.execute_batch(sql).map_err(from_sqlite)?;
    }
    let schema = Rc::new(read_schema(&scratch)?);
    BUILT.with(|b| b.borrow_mut().insert(version, schema.clone()));
    Ok(schema)
}

/// Refuses a database whose tables are not the ones its schema version says, before anything
/// is written: a damaged (or hand-edited) schema would fail later, query by query, as `io`.
fn check_schema(conn: &Connection, version: i64) -> Result<()> {
    let Ok(version @ 1..) = usize::try_from(version) else { return Ok(()) };
    let stored: HashMap<String, String> = read_schema(conn)?.into_iter().collect();
    for (name, sql) in expected_schema(version)?.iter() {
        let why = match stored.get(name) {
            Some(found) if found == sql => continue,
            Some(_) => "is not as this package creates it",
            None => "is missing",
        };
        return Err(EngineError::new(
            ErrorCode::Corruption,
            format!(
                "the database schema is damaged: {} {why} at schema version {version}",
                crate::error::quote(name)
            ),
        ));
    }
    Ok(())
}

/// Refuses a database another application wrote before anything is written to it: one with
/// another application id, one with tables but no schema version of ours, or one whose version
/// claims our schema without our tables. An empty database, or one of ours, passes.
fn check_ours(conn: &Connection, version: i64) -> Result<()> {
    let id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(from_sqlite)?;
    if id == APPLICATION_ID {
        return Ok(());
    }
    if id != 0 {
        return Err(not_ours(format!(
            "its application_id is 0x{id:08x}, this package's is 0x{APPLICATION_ID:08x}"
        )));
    }
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .map_err(from_sqlite)?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map_err(from_sqlite)?
        .collect::<rusqlite::Result<_>>()
        .map_err(from_sqlite)?;
    let shown = || tables.iter().take(5).map(|t| crate::error::quote(t)).collect::<Vec<_>>().join(", ");
    match version {
        0 if tables.is_empty() => Ok(()),
        0 => Err(not_ours(format!("it holds tables of another application ({})", shown()))),
        v if v < APPLICATION_ID_SINCE && tables.iter().any(|t| t == "ff_exec_core") => Ok(()),
        v if v < APPLICATION_ID_SINCE => {
            Err(not_ours(format!("its schema version is {v} but it has none of this package's tables")))
        }
        v => Err(not_ours(format!(
            "its schema version is {v} but it does not carry this package's application_id"
        ))),
    }
}

/// Brings the database to the latest schema. A database written by a newer build is refused
/// untouched: this code does not know what its tables mean. So is a version below zero
/// (`user_version` is a signed field anyone can write): no build ever wrote one. So is a
/// database of another application ([`check_ours`]): migrating into it would add our tables
/// to someone else's file.
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
    check_ours(conn, current)?;
    check_schema(conn, current)?;
    if pending.is_empty() {
        return Ok(());
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(from_sqlite)?;
    if current == 0 {
        // An empty database (check_ours let it through): the latest schema in one step, as
        // the migrations would leave it, marked as ours as migration 0006 does.
        for (_, sql) in expected_schema(MIGRATIONS.len())?.iter() {
            tx.execute_batch(sql).map_err(from_sqlite)?;
        }
        tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}")).map_err(from_sqlite)?;
    } else {
        for (_, sql) in pending {
            tx.execute_batch(sql).map_err(from_sqlite)?;
        }
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
            "ff_client_request",
        ] {
            assert!(first.contains(&format!("table {table}")), "{table} missing: {first:?}");
        }
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, latest_version());
    }

    /// [`SNAPSHOT`] as the migrations make it, in creation order.
    fn snapshot_text() -> String {
        let conn = Connection::open_in_memory().unwrap();
        for (_, sql) in MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        let mut text = format!(
            "-- The schema migrations 0001 to {:04} leave, as SQLite stores it (sqlite_schema.sql).\n\
             -- Generated, not edited: FF_WRITE_SCHEMA=1 cargo test --lib schema_snapshot\n\
             -- Opening checks a database of the latest version against it, and creates a new\n\
             -- database from it (src/store/migrate.rs).\n",
            MIGRATIONS.len()
        );
        for (name, sql) in read_schema(&conn).unwrap() {
            text.push_str(&format!("{}{name}\n{sql}\n", ENTRY.trim_start_matches('\n')));
        }
        text
    }

    #[test]
    fn schema_snapshot_is_what_the_migrations_make() {
        let made = snapshot_text();
        if std::env::var_os("FF_WRITE_SCHEMA").is_some() {
            // Written for the next build to embed; this run still compares the old one.
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/schema.sql"), &made).unwrap();
            return;
        }
        assert!(
            made == SNAPSHOT,
            "migrations/schema.sql is not what the migrations make: after changing a migration, run \
             FF_WRITE_SCHEMA=1 cargo test --lib schema_snapshot"
        );
        // A new database made from the snapshot and one made by every migration agree.
        let replayed = at_version(MIGRATIONS.len());
        let fresh = Connection::open_in_memory().unwrap();
        migrate(&fresh).unwrap();
        assert_eq!(schema(&fresh), schema(&replayed));
        assert_eq!(read_schema(&fresh).unwrap().len(), snapshot().len());
        check_schema(&replayed, latest_version()).unwrap();
        assert_eq!(pragma(&fresh, "application_id"), APPLICATION_ID as i64);
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

    fn pragma(conn: &Connection, name: &str) -> i64 {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0)).unwrap()
    }

    /// A database as a build with only the first `n` migrations left it.
    fn at_version(n: usize) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for (_, sql) in &MIGRATIONS[..n] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = {n}")).unwrap();
        conn
    }

    #[test]
    fn a_failing_migration_leaves_nothing_behind() {
        let conn = at_version(4);
        // An index in the way of migration 0005 makes it fail after 0001..0004 ran.
        conn.execute_batch("CREATE INDEX ff_exec_core_lane_idx ON ff_exec_core (lane_id)").unwrap();
        let before = schema(&conn);
        assert!(migrate(&conn).is_err());
        assert_eq!(schema(&conn), before);
        assert_eq!((pragma(&conn, "user_version"), pragma(&conn, "application_id")), (4, 0));
    }

    #[test]
    fn marks_new_databases_and_ones_written_before_the_application_id() {
        let fresh = Connection::open_in_memory().unwrap();
        migrate(&fresh).unwrap();
        let older = at_version(5);
        migrate(&older).unwrap();
        for conn in [fresh, older] {
            assert_eq!(pragma(&conn, "application_id"), APPLICATION_ID as i64);
            assert_eq!(pragma(&conn, "user_version"), latest_version());
        }
    }

    /// Every row of `table`, in primary-key order, as text.
    fn rows_of(conn: &Connection, table: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2, 3, 4")).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|"))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
    }

    #[test]
    fn clustering_the_stream_tables_keeps_every_row() {
        let conn = at_version(7);
        conn.execute_batch(
            "INSERT INTO ff_attempt (execution_id, attempt_index, worker_id, lease_epoch, lease_ttl_ms, \
               lease_expires_at_ms, outcome) VALUES (x'01', 0, 'w', 3, 1000, 5000, NULL), (x'01', 1, NULL, 0, 0, NULL, 'success');
             INSERT INTO ff_stream_frame (execution_id, attempt_index, ts_ms, seq, fields, mode, created_at_ms, expires_at_ms) \
               VALUES (x'01', 0, 10, 0, '{\"payload\":\"a\"}', 'durable', 10, NULL), \
                      (x'01', 0, 10, 1, '{\"payload\":\"b\"}', 'best_effort', 10, 90), \
                      (x'02', 1, 7, 0, '{}', 'summary', 7, NULL);
             INSERT INTO ff_stream_meta (execution_id, attempt_index, last_ts_ms, last_seq, frame_count, \
               closed_at_ms, closed_reason, best_effort_count) VALUES (x'01', 0, 10, 1, 2, NULL, NULL, 1), \
               (x'02', 1, 7, 0, 1, 8, 'attempt_success', 0);
             INSERT INTO ff_stream_summary (execution_id, attempt_index, document_json, version, \
               last_updated_ms, first_applied_ms) VALUES (x'02', 1, '{\"n\":1}', 1, 7, 7);",
        )
        .unwrap();
        let tables = ["ff_attempt", "ff_stream_frame", "ff_stream_meta", "ff_stream_summary"];
        let before: Vec<_> = tables.iter().map(|t| rows_of(&conn, t)).collect();
        migrate(&conn).unwrap();
        let after: Vec<_> = tables.iter().map(|t| rows_of(&conn, t)).collect();
        assert_eq!(after, before);
        assert_eq!(after.iter().map(Vec::len).sum::<usize>(), 8);
        for table in tables {
            let sql: String = conn
                .query_row("SELECT sql FROM sqlite_schema WHERE name = ?1", [table], |r| r.get(0))
                .unwrap();
            assert!(sql.ends_with("WITHOUT ROWID"), "{table}: {sql}");
        }
        assert!(schema(&conn).iter().all(|entry| !entry.contains("_0007")), "{:?}", schema(&conn));
    }

    #[test]
    fn refuses_a_schema_that_is_not_what_its_version_says() {
        for damage in [
            "DROP INDEX ff_exec_core_lane_idx",
            "ALTER TABLE ff_attempt RENAME COLUMN outcome TO result",
            "DROP TABLE ff_stream_summary; CREATE TABLE ff_stream_summary (x)",
        ] {
            let conn = at_version(5);
            conn.execute_batch(damage).unwrap();
            let before = schema(&conn);
            let err = migrate(&conn).unwrap_err();
            assert_eq!(err.code, ErrorCode::Corruption, "{damage}");
            assert!(err.message.contains("schema is damaged"), "{}", err.message);
            assert_eq!((schema(&conn), pragma(&conn, "user_version")), (before, 5), "{damage}");
        }
    }

    #[test]
    fn refuses_another_applications_database_and_changes_nothing() {
        let cases = [
            ("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')", "\"notes\""),
            ("PRAGMA application_id = 42", "0x0000002a"),
            ("PRAGMA application_id = 42; CREATE TABLE ff_exec_core (x)", "0x0000002a"),
            ("CREATE TABLE accounts (id); PRAGMA user_version = 3", "version is 3"),
            ("CREATE TABLE ff_exec_core (x); PRAGMA user_version = 6", "application_id"),
        ];
        for (setup, named) in cases {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch(setup).unwrap();
            let before = (schema(&conn), pragma(&conn, "user_version"), pragma(&conn, "application_id"));
            let err = migrate(&conn).unwrap_err();
            assert_eq!(err.code, ErrorCode::StorageUnavailable, "{setup}");
            assert!(
                err.message.contains("not an ff-backend-wasm database") && err.message.contains(named),
                "{}",
                err.message
            );
            let after = (schema(&conn), pragma(&conn, "user_version"), pragma(&conn, "application_id"));
            assert_eq!(after, before, "{setup}");
        }
    }
}
