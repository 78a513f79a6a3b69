//! A small in-memory model of the contract (docs/API.md), written from the document rather than
//! from the engine: executions, attempts with their leases, streams, summaries and the two
//! outboxes. Each operation here predicts what the engine must answer and changes the model the
//! way the engine must change its rows. Frame ids are the engine's to mint; the model records
//! them and the checks hold the engine to their rules.

use super::json;
use ff_backend_wasm::model::{FailClass, HandleKind, LeaseEventKind, PublicState, TerminalOutcome};
use ff_backend_wasm::ErrorCode;
use serde_json::Value;
use std::collections::BTreeMap;

/// docs/API.md decision 4: the reclaim after which an expiry fails the execution.
const RECLAIM_CAP: u32 = 100;
/// Decision 7: the least number of best-effort frames a trim keeps. Below it the model knows
/// exactly which frames a stream holds; above it only that they are a subset.
const TRIM_FLOOR: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    First,
    Retry,
    /// The lease expired: the next claim reclaims at the next attempt index.
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Runnable(Pending),
    Active,
    Terminal(TerminalOutcome),
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub epoch: u64,
    pub ttl: i64,
    /// `None` once the attempt ended.
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Durable,
    Summary,
    BestEffort,
}

#[derive(Debug, Clone)]
pub struct MFrame {
    pub id: (i64, i64),
    pub mode: Mode,
    pub payload: Vec<u8>,
    /// Best-effort frames: `id.ts + 2 × ttl`.
    pub expires_at: Option<i64>,
    /// Removed by an expiry sweep (an append after it expired).
    pub deleted: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Stream {
    pub frames: Vec<MFrame>,
    pub closed: Option<&'static str>,
    pub summary: Option<(Value, u64)>,
    /// False once a trim may have removed best-effort frames the model cannot name.
    pub inexact: bool,
}

impl Stream {
    pub fn live_best_effort(&self) -> usize {
        self.frames.iter().filter(|f| f.mode == Mode::BestEffort && !f.deleted).count()
    }

    /// The frames a read at `now` returns (when `inexact` is false).
    pub fn visible(&self, now: i64) -> impl Iterator<Item = &MFrame> {
        self.frames.iter().filter(move |f| !f.deleted && f.expires_at.is_none_or(|t| t > now))
    }
}

#[derive(Debug, Clone)]
pub struct Exec {
    pub id: String,
    pub lane: &'static str,
    pub priority: i64,
    pub gpu: bool,
    pub created_at: i64,
    pub max_retries: u32,
    pub backoff_ms: i64,
    pub phase: Phase,
    pub attempt_index: u32,
    pub delay_until: Option<i64>,
    pub retry_count: u32,
    pub reclaim_count: u32,
    pub attempts: BTreeMap<u32, Attempt>,
    pub streams: BTreeMap<u32, Stream>,
    pub progress: (Option<f64>, Option<String>),
    pub last_failure: Option<String>,
}

impl Exec {
    pub fn public_state(&self, now: i64) -> PublicState {
        match self.phase {
            Phase::Runnable(_) if self.delay_until.is_some_and(|t| t > now) => PublicState::Delayed,
            Phase::Runnable(_) => PublicState::Waiting,
            Phase::Active => PublicState::Active,
            Phase::Terminal(o) => o.public_state(),
        }
    }

    fn close(&mut self, index: u32, reason: &'static str) {
        let stream = self.streams.entry(index).or_default();
        stream.closed = stream.closed.or(Some(reason));
    }
}

/// A handle the test holds: what the engine said, and its token.
#[derive(Debug, Clone)]
pub struct HandleRec {
    pub exec: usize,
    pub attempt: u32,
    pub epoch: u64,
    pub token: String,
}

pub struct Claimed {
    pub exec: usize,
    pub attempt: u32,
    pub epoch: u64,
    pub kind: HandleKind,
}

#[derive(Default)]
pub struct Model {
    pub now: i64,
    pub execs: Vec<Exec>,
    pub completions: Vec<(usize, TerminalOutcome)>,
    pub leases: Vec<(usize, u32, u64, LeaseEventKind)>,
}

pub type Predicted<T> = Result<T, ErrorCode>;

impl Model {
    pub fn create(&mut self, id: String, spec: &super::ops::CreateOp) {
        let delay_until = spec.delay.map(|d| self.now + d).filter(|t| *t > self.now);
        self.execs.push(Exec {
            id,
            lane: spec.lane.name(),
            priority: spec.priority,
            gpu: spec.gpu,
            created_at: self.now,
            max_retries: spec.max_retries,
            backoff_ms: spec.backoff_ms,
            phase: Phase::Runnable(Pending::First),
            attempt_index: 0,
            delay_until,
            retry_count: 0,
            reclaim_count: 0,
            attempts: BTreeMap::new(),
            streams: BTreeMap::new(),
            progress: (None, None),
            last_failure: None,
        });
    }

    /// Decision 2's fence, in its order.
    pub fn fence(&self, h: &HandleRec, append: bool) -> Predicted<()> {
        let e = &self.execs[h.exec];
        let a = e.attempts.get(&h.attempt).ok_or(ErrorCode::Attempt)?;
        if a.epoch != h.epoch {
            return Err(ErrorCode::LeaseConflict);
        }
        let live = e.phase == Phase::Active && e.attempt_index == h.attempt && a.expires_at.is_some();
        if !live {
            return Err(if append { ErrorCode::StreamClosed } else { ErrorCode::ExecutionNotActive });
        }
        match a.expires_at {
            Some(t) if t > self.now => Ok(()),
            _ => Err(ErrorCode::LeaseExpired),
        }
    }

    fn lease_event(&mut self, exec: usize, attempt: u32, kind: LeaseEventKind) {
        let epoch = self.execs[exec].attempts[&attempt].epoch;
        self.leases.push((exec, attempt, epoch, kind));
    }

    /// Decision 4: every lease that has run out ends, in expiry order (then id order).
    pub fn expire_leases(&mut self) -> u32 {
        let now = self.now;
        let mut due: Vec<(i64, String, usize)> = Vec::new();
        for (n, e) in self.execs.iter().enumerate() {
            if let Some(a) = e.attempts.values().find(|a| a.expires_at.is_some_and(|t| t <= now)) {
                due.push((a.expires_at.unwrap_or_default(), e.id.clone(), n));
            }
        }
        due.sort();
        let mut reclaimable = 0;
        for (_, _, n) in due {
            let index = self.execs[n].attempt_index;
            let e = &mut self.execs[n];
            if let Some(a) = e.attempts.get_mut(&index) {
                a.expires_at = None;
            }
            e.close(index, "lease_expired");
            self.lease_event(n, index, LeaseEventKind::Expired);
            let e = &mut self.execs[n];
            e.phase = Phase::Runnable(Pending::Interrupted);
            if e.reclaim_count >= RECLAIM_CAP {
                e.last_failure =
                    Some(format!("lease expired after {RECLAIM_CAP} reclaims; the execution is failed"));
                e.close(index + 1, "attempt_failure");
                e.phase = Phase::Terminal(TerminalOutcome::Failed);
                self.completions.push((n, TerminalOutcome::Failed));
            } else {
                reclaimable += 1;
            }
        }
        reclaimable
    }

    pub fn claim(&mut self, lane: &str, gpu: bool, ttl: i64) -> Option<Claimed> {
        self.expire_leases();
        let now = self.now;
        let pick = (self.execs.iter().enumerate())
            .filter(|(_, e)| e.lane == lane && matches!(e.phase, Phase::Runnable(_)))
            .filter(|(_, e)| e.delay_until.is_none_or(|t| t <= now) && (gpu || !e.gpu))
            .min_by_key(|(n, e)| (-e.priority, e.created_at, *n))
            .map(|(n, _)| n)?;
        let e = &mut self.execs[pick];
        let (index, epoch, kind) = if e.phase == Phase::Runnable(Pending::Interrupted) {
            e.reclaim_count += 1;
            let prior = e.attempts.get(&e.attempt_index).map_or(0, |a| a.epoch);
            (e.attempt_index + 1, prior + 1, HandleKind::Reclaimed)
        } else {
            let epoch = e.attempts.get(&e.attempt_index).map_or(1, |a| a.epoch + 1);
            (e.attempt_index, epoch, HandleKind::Fresh)
        };
        e.attempts.insert(index, Attempt { epoch, ttl, expires_at: Some(now + ttl) });
        e.attempt_index = index;
        e.phase = Phase::Active;
        e.delay_until = None;
        let event =
            if kind == HandleKind::Reclaimed { LeaseEventKind::Reclaimed } else { LeaseEventKind::Acquired };
        self.lease_event(pick, index, event);
        Some(Claimed { exec: pick, attempt: index, epoch, kind })
    }

    pub fn renew(&mut self, h: &HandleRec) -> Predicted<(u64, i64)> {
        self.fence(h, false)?;
        let now = self.now;
        let a = self.execs[h.exec].attempts.get_mut(&h.attempt).expect("fenced");
        a.expires_at = Some(now + a.ttl);
        let answer = (a.epoch, now + a.ttl);
        self.lease_event(h.exec, h.attempt, LeaseEventKind::Renewed);
        Ok(answer)
    }

    pub fn progress(
        &mut self,
        h: &HandleRec,
        percent: Option<f64>,
        message: &Option<String>,
    ) -> Predicted<()> {
        self.fence(h, false)?;
        if percent.is_some_and(|p| !(p.is_finite() && (0.0..=100.0).contains(&p))) {
            return Err(ErrorCode::InvalidInput);
        }
        let e = &mut self.execs[h.exec];
        e.progress.0 = percent.or(e.progress.0);
        e.progress.1 = message.clone().or(e.progress.1.take());
        Ok(())
    }

    /// Ends the handle's attempt (complete or fail), revoking its lease and closing its stream.
    fn end_attempt(&mut self, h: &HandleRec, reason: &'static str) {
        self.lease_event(h.exec, h.attempt, LeaseEventKind::Revoked);
        let e = &mut self.execs[h.exec];
        e.attempts.get_mut(&h.attempt).expect("fenced").expires_at = None;
        e.close(h.attempt, reason);
    }

    pub fn complete(&mut self, h: &HandleRec) -> Predicted<()> {
        self.fence(h, false)?;
        self.end_attempt(h, "attempt_success");
        self.execs[h.exec].phase = Phase::Terminal(TerminalOutcome::Success);
        self.completions.push((h.exec, TerminalOutcome::Success));
        Ok(())
    }

    /// `Ok(Some((delay_until, next index)))` for a scheduled retry, `Ok(None)` when terminal.
    pub fn fail(&mut self, h: &HandleRec, class: FailClass, message: &str) -> Predicted<Option<(i64, u32)>> {
        self.fence(h, false)?;
        self.end_attempt(h, "attempt_failure");
        let now = self.now;
        let e = &mut self.execs[h.exec];
        e.last_failure = Some(message.into());
        if class.may_retry() && e.retry_count < e.max_retries {
            e.retry_count += 1;
            e.attempt_index += 1;
            e.phase = Phase::Runnable(Pending::Retry);
            let at = now + e.backoff_ms;
            e.delay_until = (at > now).then_some(at);
            return Ok(Some((at, e.attempt_index)));
        }
        e.phase = Phase::Terminal(TerminalOutcome::Failed);
        self.completions.push((h.exec, TerminalOutcome::Failed));
        Ok(None)
    }

    pub fn cancel_handle(&mut self, h: &HandleRec) -> Predicted<()> {
        self.fence(h, false)?;
        self.cancel(h.exec)
    }

    /// Cancels whatever state the execution is in (decision 5).
    pub fn cancel(&mut self, n: usize) -> Predicted<()> {
        let e = &mut self.execs[n];
        match e.phase {
            Phase::Terminal(TerminalOutcome::Cancelled) => return Ok(()),
            Phase::Terminal(_) => return Err(ErrorCode::InvalidInput),
            _ => {}
        }
        let index = e.attempt_index;
        if let Some(a) = e.attempts.get_mut(&index).filter(|a| a.expires_at.is_some()) {
            a.expires_at = None;
            a.epoch += 1;
            self.lease_event(n, index, LeaseEventKind::Revoked);
        }
        let e = &mut self.execs[n];
        e.close(index, "attempt_cancelled");
        if e.phase == Phase::Runnable(Pending::Interrupted) {
            e.close(index + 1, "attempt_cancelled");
        }
        e.phase = Phase::Terminal(TerminalOutcome::Cancelled);
        e.delay_until = None;
        self.completions.push((n, TerminalOutcome::Cancelled));
        Ok(())
    }

    /// Checks an append before the engine mints its id: the fence, then the frame itself.
    pub fn check_append(&self, h: &HandleRec, frame: &super::ops::FrameOp) -> Predicted<()> {
        self.fence(h, true)?;
        match frame {
            super::ops::FrameOp::Summary(patch) if json::parse_patch(patch).is_none() => {
                Err(ErrorCode::InvalidInput)
            }
            _ => Ok(()),
        }
    }

    /// Records an append the engine accepted with id `id`; returns (frame count, summary
    /// version) as predicted, the count `None` where a trim made it unknowable.
    pub fn append(
        &mut self,
        h: &HandleRec,
        frame: &super::ops::FrameOp,
        id: (i64, i64),
    ) -> (Option<u64>, Option<u64>) {
        use super::ops::FrameOp;
        let now = self.now;
        let stream = self.execs[h.exec].streams.entry(h.attempt).or_default();
        if stream.live_best_effort() > 0 {
            for f in stream.frames.iter_mut().filter(|f| f.expires_at.is_some_and(|t| t <= now)) {
                f.deleted = true;
            }
        }
        let (mode, expires_at) = match frame {
            FrameOp::Durable(_) => (Mode::Durable, None),
            FrameOp::Summary(_) => (Mode::Summary, None),
            FrameOp::BestEffort { ttl, .. } => (Mode::BestEffort, Some(id.0 + 2 * ttl)),
        };
        stream.frames.push(MFrame { id, mode, payload: frame.payload(), expires_at, deleted: false });
        let version = match frame {
            FrameOp::Summary(patch) => {
                let patch = json::parse_patch(patch).expect("checked");
                let (doc, version) =
                    stream.summary.get_or_insert_with(|| (Value::Object(Default::default()), 0));
                json::apply(doc, &patch);
                *version += 1;
                Some(*version)
            }
            _ => None,
        };
        if stream.live_best_effort() > TRIM_FLOOR {
            stream.inexact = true;
        }
        let count = stream.frames.iter().filter(|f| !f.deleted).count() as u64;
        ((!stream.inexact).then_some(count), version)
    }
}
