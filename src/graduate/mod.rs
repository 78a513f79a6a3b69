//! `ff-graduate`: copies a sandbox database (what `exportImage()`, the playground's "Export
//! database", the edge's `GET /export` or `WasmBackend::open_file` produce) into FlowFabric's
//! own Postgres backend, ff-backend-postgres 0.15, where upstream's `PostgresBackend` serves it.
//!
//! In order, so that every refusal leaves the target as it was:
//! 1. the source (`source.rs`): SQLite's integrity check, a schema version this build wrote, a
//!    clock near real time, no live lease; then everything but the frames is read and mapped
//!    to upstream's shape (`plan.rs`, `map.rs`);
//! 2. the target (`target.rs`, `rows.rs`): no execution of the sandbox there already; upstream's own
//!    migrations; then one transaction copies every table, frames streamed through COPY.
//!
//! docs/API.md ("Outgrowing the sandbox") lists every mapping; README.md shows a run.

mod clock;
mod copy;
mod map;
mod plan;
mod rows;
mod source;
mod target;

use crate::flowfabric::SystemHost;
use crate::host::Host;
use plan::Plan;
use source::Source;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use target::Target;

/// What to copy where, and what the source may hold anyway.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The sandbox's SQLite file.
    pub from: PathBuf,
    /// The target's `postgres://` URL.
    pub to: String,
    /// End live leases as an expiry would, instead of refusing.
    pub expire_leases: bool,
    /// Copy stamps far from real time (see the `clock` module) instead of refusing.
    pub accept_clock: bool,
}

/// Why nothing was copied.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The source or the target is not fit to copy (or from, or into).
    Refused(String),
    /// Something failed on the way (reading the file, the connection, Postgres itself).
    Failed(String),
}

fn refused(message: impl Into<String>) -> Error {
    Error::Refused(message.into())
}

fn failed(message: impl Into<String>) -> Error {
    Error::Failed(message.into())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Refused(why) => write!(f, "refused: {why}"),
            Error::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

impl std::error::Error for Error {}

/// What a graduation did.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub from: PathBuf,
    /// The target URL without its password.
    pub to: String,
    pub schema_version: i64,
    /// The earliest and latest stamp of the sandbox's clock.
    pub clock_range: Option<(i64, i64)>,
    pub far_clock: Vec<String>,
    pub leases_run_out: u32,
    pub leases_ended: Vec<String>,
    /// Rows written, per table.
    pub counts: Vec<(&'static str, u64)>,
    pub notes: Vec<String>,
    /// Time spent checking and reading the source, preparing the target (its migrations), and
    /// in the copy's transaction.
    pub checked: Duration,
    pub prepared: Duration,
    pub copied: Duration,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "source {} (schema version {}): integrity ok", self.from.display(), self.schema_version)?;
        if let Some((first, last)) = self.clock_range {
            writeln!(f, "  clock: stamps from {} to {}", clock::iso(first), clock::iso(last))?;
        }
        for far in &self.far_clock {
            writeln!(f, "  clock accepted (--accept-clock): {far}")?;
        }
        if self.leases_run_out > 0 {
            writeln!(f, "  leases: {} had run out and were ended as an expiry", self.leases_run_out)?;
        }
        if !self.leases_ended.is_empty() {
            writeln!(f, "  leases: ended live ones (--expire-leases): {}", self.leases_ended.join(", "))?;
        }
        let secs = |d: &Duration| d.as_secs_f64();
        writeln!(
            f,
            "copied into {} in one transaction in {:.1} s (source checked and read in {:.1} s, \
             target prepared in {:.1} s):",
            self.to,
            secs(&self.copied),
            secs(&self.checked),
            secs(&self.prepared)
        )?;
        for (table, n) in &self.counts {
            writeln!(f, "  {table:<30} {n:>9}")?;
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}

/// Graduates `options.from` into `options.to`: checks the source, prepares the target with
/// upstream's migrations, then copies everything in one transaction.
pub async fn graduate(options: &Options) -> Result<Report, Error> {
    let started = Instant::now();
    let real_now = SystemHost.now_ms().map_err(|e| failed(e.message))?;
    let source = Source::open(&options.from, options, real_now)?;
    let plan = Plan::build(&source)?;
    let checked = started.elapsed();
    let target = Target::connect(&options.to).await?;
    target::refuse_held(&target.held(&target::ids(&plan)).await?)?;
    let started = Instant::now();
    target.prepare().await?;
    let prepared = started.elapsed();
    let started = Instant::now();
    let counts = target.copy(&plan, &source).await?;
    let copied = started.elapsed();
    Ok(Report {
        from: options.from.clone(),
        to: target::shown(&options.to),
        schema_version: source.schema_version,
        clock_range: source.clock_range,
        far_clock: source.far_clock.clone(),
        leases_run_out: source.leases_run_out,
        leases_ended: source.leases_ended.iter().map(|id| id.to_string()).collect(),
        counts,
        notes: plan.notes(),
        checked,
        prepared,
        copied,
    })
}
