//! Everything but the frames, read from the source and mapped to upstream's shape before the
//! target is contacted, so that a row which cannot be mapped refuses the graduation while
//! nothing has been changed. (Frames are streamed during the copy: there may be millions.)

use super::source::Source;
use super::{clock, map, refused, Error};
use crate::model::{AttemptRow, AttemptState, ExecRow, StreamMeta, Summary};
use crate::store::export::{StoredCompletion, StoredLeaseEvent};
use crate::store::StreamKey;
use ff_core::types::LaneId;
use serde_json::Value;
use std::collections::BTreeMap;

/// One execution as it will be written.
pub struct Execution {
    pub row: ExecRow,
    pub state: map::PgState,
    pub capabilities: Vec<String>,
    pub policy: Value,
    pub raw_fields: Value,
}

pub struct Plan {
    pub executions: Vec<Execution>,
    pub attempts: Vec<AttemptRow>,
    pub summaries: Vec<(StreamKey, Summary)>,
    pub stream_meta: Vec<(StreamKey, StreamMeta)>,
    pub completions: Vec<StoredCompletion>,
    pub lease_events: Vec<StoredLeaseEvent>,
    /// (lane, registered at, registered by).
    pub lanes: Vec<(String, i64, String)>,
    /// Frames to copy, and best-effort frames left out because they had expired.
    pub frames: u64,
    pub frames_expired: u64,
}

impl Plan {
    pub fn build(source: &Source) -> Result<Plan, Error> {
        let rows = source.read(|tx| tx.export_executions())?;
        let attempts = source.read(|tx| tx.export_attempts())?;
        let mut capabilities: BTreeMap<_, Vec<String>> = BTreeMap::new();
        for (id, capability) in source.read(|tx| tx.export_capabilities())? {
            capabilities.entry(id).or_default().push(capability);
        }
        let mut started: BTreeMap<_, u32> = BTreeMap::new();
        for a in &attempts {
            *started.entry(a.execution_id).or_default() += 1;
            map::attempt_outcome(a).map_err(refused)?;
        }
        check_lanes(&rows)?;
        let mut executions = Vec::with_capacity(rows.len());
        for row in rows {
            let caps = capabilities.remove(&row.id).unwrap_or_default();
            let started = started.get(&row.id).copied().unwrap_or(0);
            executions.push(Execution {
                state: map::state(&row, source.now).map_err(refused)?,
                policy: map::policy(&row, &caps).map_err(refused)?,
                raw_fields: map::raw_fields(&row, started, source.now),
                capabilities: caps,
                row,
            });
        }
        let (frames, frames_expired) = source.read(|tx| tx.count_frames(source.now))?;
        Ok(Plan {
            executions,
            attempts,
            summaries: source.read(|tx| tx.export_summaries())?,
            stream_meta: source.read(|tx| tx.export_stream_meta())?,
            completions: source.read(|tx| tx.export_completions())?,
            lease_events: source.read(|tx| tx.export_lease_events())?,
            lanes: source.read(|tx| tx.export_lanes())?,
            frames,
            frames_expired,
        })
    }

    /// What an operator should know about the copied rows.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let delayed: Vec<i64> = self.executions.iter().filter_map(|e| e.state.deadline_at_ms).collect();
        if let Some(first) = delayed.iter().min() {
            notes.push(format!(
                "{} delayed execution(s) wait in not_eligible_until_time (the first until {}); \
                 ff-backend-postgres 0.15 runs no batch promoter: call promote_delayed for each once \
                 its time has come (or run ff-engine's scanners)",
                delayed.len(),
                clock::iso(*first)
            ));
        }
        let interrupted =
            self.executions.iter().filter(|e| e.row.attempt_state == AttemptState::AttemptInterrupted);
        let interrupted = interrupted.count();
        if interrupted > 0 {
            notes.push(format!(
                "{interrupted} interrupted execution(s) are claimable at their next attempt index"
            ));
        }
        if self.frames_expired > 0 {
            notes.push(format!("{} expired best-effort frame(s) were left out", self.frames_expired));
        }
        notes
    }
}

/// Upstream's lane ids are 1..=64 printable ASCII bytes (ours allow 256 bytes of any text);
/// its `describe_execution` reports any other lane as corruption, so such a lane cannot move.
fn check_lanes(rows: &[ExecRow]) -> Result<(), Error> {
    let mut bad: BTreeMap<&str, (String, usize)> = BTreeMap::new();
    for row in rows {
        if let Err(e) = LaneId::try_new(row.lane.clone()) {
            bad.entry(&row.lane).or_insert_with(|| (e.to_string(), 0)).1 += 1;
        }
    }
    if bad.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> =
        bad.iter().map(|(lane, (why, n))| format!("lane {lane:?} ({n} execution(s)): {why}")).collect();
    Err(refused(format!(
        "FlowFabric's lane ids are 1 to 64 printable ASCII characters, and these are not:\n  {}",
        listed.join("\n  ")
    )))
}
