//! `ff-graduate` end to end: sandboxes built through the JS package (tests/graduate/sandbox.mjs),
//! graduated by the binary into a real Postgres, then read back through upstream's own
//! `PostgresBackend` and the `EngineBackend` trait only. Every test needs a server, so each is
//! ignored by a plain `cargo test`; `scripts/test-graduate.sh` starts a throwaway cluster, sets
//! `FF_GRADUATE_PG` and runs them with `--ignored`.
#![cfg(feature = "flowfabric")]

mod refusals;
mod upstream;

use serde_json::Value;
use sqlx::{Connection, PgConnection, Row};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Runs a test body on a current-thread runtime with I/O and timers.
pub fn run<F: Future>(body: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(body)
}

fn admin_url() -> String {
    std::env::var("FF_GRADUATE_PG")
        .expect("FF_GRADUATE_PG (a Postgres URL) is not set: run scripts/test-graduate.sh")
}

/// The URL of database `name` on the test server.
pub fn url_of(name: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn admin() -> PgConnection {
    PgConnection::connect(&admin_url()).await.expect("connect to the test server")
}

/// A new, empty database (no FlowFabric schema); its URL.
pub async fn empty_database() -> String {
    let name = unique("empty");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin().await).await.unwrap();
    url_of(&name)
}

/// A new database with upstream's schema, cloned from a template that upstream's own
/// `apply_migrations` prepared once per run (the migrations take tens of seconds).
pub async fn migrated_database() -> String {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = unique("template");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin().await).await.unwrap();
            let pool = sqlx::PgPool::connect(&url_of(&name)).await.unwrap();
            ff_backend_postgres::apply_migrations(&pool).await.expect("upstream's migrations");
            pool.close().await;
            name
        })
        .await;
    let name = unique("migrated");
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut admin().await)
        .await
        .unwrap();
    url_of(&name)
}

/// A folder of its own under the system's temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn create() -> TempDir {
        let dir = std::env::temp_dir().join(unique("ff-graduate-test"));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds a sandbox through the JS package into `file`; the script's manifest (which
/// execution is which, see sandbox.mjs).
pub fn sandbox(file: &Path, extra: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graduate/sandbox.mjs");
    let out = Command::new("node").arg(script).arg(file).args(extra).output().expect("node runs");
    assert!(out.status.success(), "sandbox.mjs failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the manifest is JSON")
}

/// Runs `ff-graduate` with `args` (off the runtime's thread, so that subscriptions keep
/// receiving while it copies).
pub async fn graduate(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let run = move || {
        Command::new(env!("CARGO_BIN_EXE_ff-graduate")).args(args).output().expect("ff-graduate runs")
    };
    tokio::task::spawn_blocking(run).await.unwrap()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The row count ff-graduate reported for `table`.
pub fn reported(out: &Output, table: &str) -> u64 {
    let text = stdout(out);
    let line = text.lines().find(|l| l.trim_start().starts_with(&format!("{table} "))).unwrap_or_else(|| {
        panic!("no count for {table} in:\n{text}");
    });
    line.split_whitespace().last().unwrap().parse().unwrap()
}

/// Everything a database holds, for "unchanged" checks: per table (partitioned tables as a
/// whole) its row count and a digest of its rows, and every sequence's position.
pub async fn fingerprint(url: &str) -> Vec<String> {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut print = Vec::new();
    for table in tables {
        let sql = format!(
            "SELECT count(*), md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
        );
        let row = sqlx::query(&sql).fetch_one(&mut conn).await.unwrap();
        print.push(format!("{table}: {} rows, {}", row.get::<i64, _>(0), row.get::<String, _>(1)));
    }
    let sequences = sqlx::query("SELECT sequencename::text, last_value FROM pg_sequences ORDER BY 1")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    for s in sequences {
        print.push(format!("sequence {}: {:?}", s.get::<String, _>(0), s.get::<Option<i64>, _>(1)));
    }
    print
}
