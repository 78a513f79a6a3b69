//! The target: FlowFabric's Postgres schema, prepared by ff-backend-postgres' own migrations,
//! and the one transaction that copies a [`Plan`] and the source's frames into it.
//!
//! The SQL here is Postgres SQL against upstream's tables, not our SQLite schema: src/store
//! owns every statement on our schema, and these belong to the only code that runs them.

use super::copy::CopyText;
use super::plan::Plan;
use super::rows::*;
use super::source::Source;
use super::{failed, refused, Error};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::time::Duration;
use uuid::Uuid;

/// Frames read from the source per page, and bytes of COPY text sent per message.
const FRAME_PAGE: i64 = 20_000;
const CHUNK: usize = 1 << 20;
/// Executions named when the target already holds some.
const NAMED: usize = 10;

pub struct Target {
    pool: PgPool,
}

/// Per table, how many rows the copy wrote (lanes: only those new to the target).
pub type Counts = Vec<(&'static str, u64)>;

/// `url` without its password, for messages.
pub fn shown(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    match rest.split_once('@') {
        Some((user, host)) => format!("{scheme}://{}@{host}", user.split(':').next().unwrap_or("")),
        None => url.to_string(),
    }
}

fn pg(what: &str) -> impl Fn(sqlx::Error) -> Error + '_ {
    move |e| failed(format!("Postgres failed while {what}: {e}"))
}

impl Target {
    pub async fn connect(url: &str) -> Result<Target, Error> {
        let options: PgConnectOptions =
            url.parse().map_err(|e| refused(format!("--to {} is not a Postgres URL: {e}", shown(url))))?;
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|e| failed(format!("cannot connect to {}: {e}", shown(url))))?;
        Ok(Target { pool })
    }

    /// Which of `ids` the target holds already (none while it has no FlowFabric schema).
    pub async fn held(&self, ids: &[Uuid]) -> Result<Vec<Uuid>, Error> {
        let schema: Option<String> = sqlx::query_scalar("SELECT to_regclass('ff_exec_core')::text")
            .fetch_one(&self.pool)
            .await
            .map_err(pg("looking for FlowFabric's tables"))?;
        if schema.is_none() {
            return Ok(Vec::new());
        }
        held(&self.pool, ids).await
    }

    /// Applies ff-backend-postgres 0.15's migrations (`apply_migrations`): nothing when the
    /// target is up to date, the whole schema on an empty database.
    pub async fn prepare(&self) -> Result<(), Error> {
        ff_backend_postgres::apply_migrations(&self.pool).await.map_err(|e| {
            failed(format!(
                "cannot bring the target to ff-backend-postgres 0.15's schema (its migrations failed): {e}"
            ))
        })
    }

    /// Copies everything in one transaction: all of it commits, or none of it.
    pub async fn copy(&self, plan: &Plan, source: &Source) -> Result<Counts, Error> {
        let mut tx = self.pool.begin().await.map_err(pg("starting the transaction"))?;
        // Checked again inside the transaction: another run may have copied the same file since.
        refuse_held(&held(&mut *tx, &ids(plan)).await?)?;
        let mut counts = Counts::new();
        counts.push(("ff_exec_core", copy_in(&mut tx, EXEC, executions(plan)).await?));
        counts.push(("ff_attempt", copy_in(&mut tx, ATTEMPT, attempts(plan)).await?));
        counts.push(("ff_lane_registry (new lanes)", lanes(&mut tx, plan).await?));
        let copied = frames(&mut tx, source).await?;
        if copied != plan.frames {
            let why = format!("{copied} frames were read for the copy, but the plan counted {}", plan.frames);
            return Err(failed(why));
        }
        counts.push(("ff_stream_frame", copied));
        counts.push(("ff_stream_summary", copy_in(&mut tx, SUMMARY, summaries(plan)?).await?));
        counts.push(("ff_stream_meta", copy_in(&mut tx, META, stream_meta(plan)).await?));
        // The outboxes last, under a lock held only until the commit: the copied event ids are
        // placed after the target's own, and nobody may take one from the sequence meanwhile.
        sqlx::query("LOCK TABLE ff_completion_event, ff_lease_event IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(pg("locking the outboxes"))?;
        let completion_base = event_base(&mut tx, "ff_completion_event").await?;
        let lease_base = event_base(&mut tx, "ff_lease_event").await?;
        counts.push((
            "ff_completion_event",
            copy_in(&mut tx, COMPLETION, completions(plan, completion_base)).await?,
        ));
        counts.push(("ff_lease_event", copy_in(&mut tx, LEASE_EVENT, lease_events(plan, lease_base)).await?));
        let last_completion = plan.completions.iter().map(|e| e.event_id + completion_base).max();
        let last_lease_event = plan.lease_events.iter().map(|e| e.event_id + lease_base).max();
        move_sequence(&mut tx, "ff_completion_event", last_completion).await?;
        move_sequence(&mut tx, "ff_lease_event", last_lease_event).await?;
        tx.commit().await.map_err(pg("committing"))?;
        Ok(counts)
    }
}

/// The plan's execution ids as Postgres stores them (the bare uuid).
pub fn ids(plan: &Plan) -> Vec<Uuid> {
    plan.executions.iter().map(|e| Uuid::from_bytes(*e.row.id.as_bytes())).collect()
}

async fn held<'c>(conn: impl sqlx::PgExecutor<'c>, ids: &[Uuid]) -> Result<Vec<Uuid>, Error> {
    // Our ids are `{fp:0}:<uuid>`: on Postgres, partition_key 0 and the bare uuid.
    sqlx::query_scalar(
        "SELECT execution_id FROM ff_exec_core WHERE partition_key = 0 AND execution_id = ANY($1) \
         ORDER BY execution_id",
    )
    .bind(ids)
    .fetch_all(conn)
    .await
    .map_err(pg("looking for the sandbox's execution ids"))
}

/// Refuses when the target holds any of the executions already (most likely, this file was
/// graduated before).
pub fn refuse_held(held: &[Uuid]) -> Result<(), Error> {
    if held.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = held.iter().take(NAMED).map(|u| format!("{{fp:0}}:{u}")).collect();
    let more = held.len().saturating_sub(NAMED);
    let more = if more > 0 { format!("\n  and {more} more") } else { String::new() };
    Err(refused(format!(
        "the target already holds {} of the sandbox's executions (was this file graduated \
         before?):\n  {}{more}",
        held.len(),
        named.join("\n  ")
    )))
}

async fn copy_in(
    tx: &mut Transaction<'_, Postgres>,
    statement: &str,
    mut rows: CopyText,
) -> Result<u64, Error> {
    let mut copy = tx.copy_in_raw(statement).await.map_err(pg(statement))?;
    if let Err(e) = copy.send(rows.take()).await {
        let _ = copy.abort("ff-graduate: sending failed").await;
        return Err(pg(statement)(e));
    }
    copy.finish().await.map_err(pg(statement))
}

/// Streams the source's frames into one COPY, a page at a time.
async fn frames(tx: &mut Transaction<'_, Postgres>, source: &Source) -> Result<u64, Error> {
    const STATEMENT: &str = "COPY ff_stream_frame (partition_key, execution_id, attempt_index, ts_ms, \
         seq, fields, mode, created_at_ms) FROM STDIN";
    let mut copy = tx.copy_in_raw(STATEMENT).await.map_err(pg("copying frames"))?;
    let sent: Result<(), Error> = async {
        let mut rows = CopyText::default();
        let mut after = None;
        loop {
            let page = source.frames(after.as_ref(), FRAME_PAGE)?;
            for f in &page {
                frame_row(&mut rows, f)?;
            }
            if rows.len() >= CHUNK || page.len() < FRAME_PAGE as usize {
                copy.send(rows.take()).await.map_err(pg("copying frames"))?;
            }
            match page.last() {
                Some(last) if page.len() == FRAME_PAGE as usize => {
                    after = Some((last.key, last.ts_ms, last.seq))
                }
                _ => return Ok(()),
            }
        }
    }
    .await;
    if let Err(e) = sent {
        let _ = copy.abort("ff-graduate: reading the source failed").await;
        return Err(e);
    }
    copy.finish().await.map_err(pg("copying frames"))
}

async fn lanes(tx: &mut Transaction<'_, Postgres>, plan: &Plan) -> Result<u64, Error> {
    let names: Vec<&str> = plan.lanes.iter().map(|(lane, _, _)| lane.as_str()).collect();
    let at: Vec<i64> = plan.lanes.iter().map(|(_, at, _)| *at).collect();
    let by: Vec<&str> = plan.lanes.iter().map(|(_, _, by)| by.as_str()).collect();
    let done = sqlx::query(
        "INSERT INTO ff_lane_registry (lane_id, registered_at_ms, registered_by) \
         SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[]) ON CONFLICT (lane_id) DO NOTHING",
    )
    .bind(names)
    .bind(at)
    .bind(by)
    .execute(&mut **tx)
    .await
    .map_err(pg("registering lanes"))?;
    Ok(done.rows_affected())
}

/// How far the copied event ids of `table` move up: 0 on a target whose outbox never held an
/// event (the ids stay as they were, and so do consumers' cursors), else past its last id.
async fn event_base(tx: &mut Transaction<'_, Postgres>, table: &str) -> Result<i64, Error> {
    let sql = format!(
        "SELECT GREATEST((SELECT COALESCE(max(event_id), 0) FROM {table}), \
         COALESCE(pg_sequence_last_value(pg_get_serial_sequence('{table}', 'event_id')::regclass), 0))"
    );
    sqlx::query_scalar(&sql).fetch_one(&mut **tx).await.map_err(pg("reading the outbox sequences"))
}

/// Moves `table`'s id sequence to `last`, so the target's next event id follows the copied ones.
async fn move_sequence(
    tx: &mut Transaction<'_, Postgres>,
    table: &str,
    last: Option<i64>,
) -> Result<(), Error> {
    let Some(last) = last else { return Ok(()) };
    let sql = format!("SELECT setval(pg_get_serial_sequence('{table}', 'event_id'), $1)");
    sqlx::query(&sql).bind(last).execute(&mut **tx).await.map_err(pg("moving the outbox sequences"))?;
    Ok(())
}
