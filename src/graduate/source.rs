//! The source: a database file checked, then opened as a private in-memory copy (migrated to
//! this build's schema) whose leases have all ended, ready to be read whole. The file itself is
//! only ever read, so a refused or failed graduation leaves it as it was too.

use super::{clock, refused, Error, Options};
use crate::engine::Engine;
use crate::host::ManualHost;
use crate::model::ExecutionId;
use crate::store::export::{self, StoredFrame};
use crate::store::{Store, StreamKey, Tx};
use std::path::Path;
use std::rc::Rc;

/// Live leases named in a refusal, at most.
const NAMED: usize = 10;

pub struct Source {
    engine: Engine,
    pub schema_version: i64,
    /// Graduation time: the real time, or the sandbox's latest stamp if that is later (an
    /// accepted clock ahead of real time), so nothing the tool adds predates what it copies.
    pub now: i64,
    /// The earliest and latest stamp the sandbox's clock wrote.
    pub clock_range: Option<(i64, i64)>,
    /// Stamps far from real time, copied because `--accept-clock` was given.
    pub far_clock: Vec<String>,
    /// Leases whose time had run out but which no claim had ended yet: ended as the sandbox's
    /// next claim would have ended them.
    pub leases_run_out: u32,
    /// Live leases ended because `--expire-leases` was given.
    pub leases_ended: Vec<ExecutionId>,
}

impl Source {
    /// Checks `path` and opens the copy. Every refusal about the source happens here, before
    /// the target is contacted.
    pub fn open(path: &Path, options: &Options, real_now: i64) -> Result<Source, Error> {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| refused(format!("cannot read {shown}: {e}")))?;
        let schema_version = export::check_image(&bytes)
            .map_err(|e| refused(format!("{shown} is not a database ff-graduate can copy: {}", e.message)))?;
        let store = Store::open_memory(Some(&bytes))
            .map_err(|e| refused(format!("{shown} cannot be opened: {}", e.message)))?;
        drop(bytes);
        let host = Rc::new(ManualHost::new(real_now));
        let engine = Engine::new(store, Box::new(host.clone()));
        let mut source = Source {
            engine,
            schema_version,
            now: real_now,
            clock_range: None,
            far_clock: Vec::new(),
            leases_run_out: 0,
            leases_ended: Vec::new(),
        };
        source.check_clock(options, real_now)?;
        host.set(source.now);
        source.end_leases(options)?;
        Ok(source)
    }

    fn check_clock(&mut self, options: &Options, real_now: i64) -> Result<(), Error> {
        let stamps = self.read(|tx| tx.clock_stamps())?;
        let far = clock::far_stamps(&stamps, real_now);
        if !far.is_empty() && !options.accept_clock {
            return Err(refused(format!(
                "the sandbox's clock was far from real time:\n  {}\nFrame ids and timestamps are \
                 copied as they are, and Postgres stamps new ones with its own clock, so old and \
                 new would sort wrongly. Pass --accept-clock to copy them anyway.",
                far.join("\n  ")
            )));
        }
        let earliest = stamps.iter().filter_map(|s| s.min).min();
        self.clock_range = earliest.zip(clock::latest(&stamps));
        self.now = clock::latest(&stamps).map_or(real_now, |latest| latest.max(real_now));
        self.far_clock = far;
        Ok(())
    }

    /// No lease may cross over: a Postgres handle cannot be minted for it, so its worker could
    /// never finish it there. Leases already run out end as the engine ends them (its next claim
    /// would); live ones are refused, or ended the same way with `--expire-leases`.
    fn end_leases(&mut self, options: &Options) -> Result<(), Error> {
        self.leases_run_out = self.engine.reclaim_expired().map_err(|e| unreadable(&e))?;
        let live = self.read(|tx| tx.live_leases(self.now))?;
        if live.is_empty() {
            return Ok(());
        }
        if !options.expire_leases {
            let named: Vec<String> = live
                .iter()
                .take(NAMED)
                .map(|(id, index, until)| {
                    format!("{id} (attempt {index}, lease until {})", clock::iso(*until))
                })
                .collect();
            let more = live.len().saturating_sub(NAMED);
            let more = if more > 0 { format!("\n  and {more} more") } else { String::new() };
            return Err(refused(format!(
                "{} execution(s) hold a live lease (a worker may still be running them):\n  {}{more}\n\
                 Let their workers finish, or pass --expire-leases to end these leases as an expiry \
                 would (each execution becomes claimable again at its next attempt index).",
                live.len(),
                named.join("\n  ")
            )));
        }
        let now = self.now;
        self.engine.write(|tx, _| tx.cut_live_leases(now)).map_err(|e| unreadable(&e))?;
        self.engine.reclaim_expired().map_err(|e| unreadable(&e))?;
        self.leases_ended = live.into_iter().map(|(id, _, _)| id).collect();
        Ok(())
    }

    /// Runs a read of the copy. Stored data that does not decode refuses the graduation.
    pub fn read<T>(&self, f: impl FnOnce(&Tx) -> crate::error::Result<T>) -> Result<T, Error> {
        self.engine.read(f).map_err(|e| unreadable(&e))
    }

    /// Up to `limit` frames after `after`, in primary-key order, without expired ones.
    pub fn frames(
        &self,
        after: Option<&(StreamKey, i64, i64)>,
        limit: i64,
    ) -> Result<Vec<StoredFrame>, Error> {
        self.read(|tx| tx.export_frames(after, self.now, limit))
    }
}

fn unreadable(e: &crate::EngineError) -> Error {
    refused(format!("the source database holds data ff-graduate cannot read: {}", e.message))
}
