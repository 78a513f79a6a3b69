//! One case's world: the engine (on a hand-moved clock), the model, the handles and the
//! followers the case holds. `step` runs one operation on both, compares their answers, then
//! runs the invariant checks.

use super::contract::{HandleRec, Model, Predicted};
use super::followers::{Held, Target};
use super::ops::{FrameOp, Op};
use super::{checks, common::T0};
use ff_backend_wasm::engine::{token, CompletionFeed, LeaseFeed, StreamFeed};
use ff_backend_wasm::model::*;
use ff_backend_wasm::{Engine, EngineError, ErrorCode, ManualHost, Store};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::rc::Rc;

pub struct World {
    pub engine: Rc<Engine>,
    pub clock: Rc<ManualHost>,
    pub model: Model,
    pub handles: Vec<HandleRec>,
    pub tails: Vec<Held<StreamFeed>>,
    pub completions: Vec<Held<CompletionFeed>>,
    pub leases: Vec<Held<LeaseFeed>>,
    /// The highest lease epoch seen so far for each (execution, attempt).
    pub epochs: BTreeMap<(usize, u32), u64>,
}

/// Compares an engine answer with the model's: both succeed (then `agree` compares the values)
/// or both fail with the same code.
fn agree<T: Debug, U: Debug>(
    got: Result<T, EngineError>,
    want: Predicted<U>,
    values: impl FnOnce(&T, &U) -> bool,
) -> Result<(), String> {
    match (&got, &want) {
        (Ok(g), Ok(w)) if values(g, w) => Ok(()),
        (Err(e), Err(code)) if e.code == *code => Ok(()),
        _ => Err(format!("engine answered {got:?}, the model expects {want:?}")),
    }
}

pub fn parse_id(id: &str) -> Result<(i64, i64), String> {
    let parsed = id.split_once('-').and_then(|(ms, seq)| Some((ms.parse().ok()?, seq.parse().ok()?)));
    parsed
        .filter(|&(ms, seq): &(i64, i64)| ms >= 0 && seq >= 0 && (ms, seq) != (0, 0))
        .ok_or(format!("bad frame id {id:?}"))
}

impl World {
    pub fn new() -> World {
        thread_local! {
            /// An empty, migrated database: opening a copy is cheaper than migrating each case.
            static EMPTY: Vec<u8> = Store::open_memory(None).and_then(|mut s| s.export_image()).expect("an empty image");
        }
        let clock = Rc::new(ManualHost::new(T0));
        let store = EMPTY.with(|image| Store::open_memory(Some(image))).expect("memory store");
        let engine = Rc::new(Engine::new(store, Box::new(clock.clone())));
        // The first follower of each outbox reads it from the beginning for the whole case and
        // is never dropped: after every step it must hold exactly the model's events.
        let all = CompletionsSpec { after: Some("0".into()), ..Default::default() };
        let completions = engine.follow_completions(&all).expect("a completions follower");
        let all = LeaseHistorySpec { after: Some("0".into()), execution_id: None };
        let leases = engine.follow_lease_history(&all).expect("a lease follower");
        World {
            engine,
            clock,
            model: Model { now: T0, ..Model::default() },
            handles: Vec::new(),
            tails: Vec::new(),
            completions: vec![Held::new(Target::Completions { start: 0, lane: None }, completions)],
            leases: vec![Held::new(Target::Leases { start: 0, exec: None }, leases)],
            epochs: BTreeMap::new(),
        }
    }

    fn handle(&self, h: usize) -> Option<HandleRec> {
        (!self.handles.is_empty()).then(|| self.handles[h % self.handles.len()].clone())
    }

    fn exec(&self, n: usize) -> Option<usize> {
        (!self.model.execs.is_empty()).then(|| n % self.model.execs.len())
    }

    pub fn step(&mut self, op: &Op) -> Result<(), String> {
        let before = checks::Before::take(self);
        self.apply(op)?;
        checks::after_step(self, &before, op)
    }

    fn apply(&mut self, op: &Op) -> Result<(), String> {
        let engine = self.engine.clone();
        match op {
            Op::Create(c) => {
                let spec = CreateSpec {
                    lane: c.lane.name().into(),
                    priority: c.priority,
                    capabilities: if c.gpu { vec!["gpu".into()] } else { vec![] },
                    delay_until_ms: c.delay.map(|d| self.model.now + d),
                    retry_policy: Some(RetryPolicy {
                        max_retries: c.max_retries,
                        backoff: Backoff::Fixed { delay_ms: c.backoff_ms as u64 },
                    }),
                    ..CreateSpec::default()
                };
                let created = engine.create_execution(&spec).map_err(|e| format!("create: {e}"))?;
                ensure!(created.created, "a fresh id was not created: {created:?}");
                self.model.create(created.execution_id, c);
            }
            Op::CreateDuplicate { exec } => {
                let Some(n) = self.exec(*exec) else { return Ok(()) };
                let id = self.model.execs[n].id.clone();
                let spec = CreateSpec {
                    execution_id: Some(id.clone()),
                    lane: "other".into(),
                    priority: 9,
                    ..Default::default()
                };
                let created = engine.create_execution(&spec).map_err(|e| format!("duplicate create: {e}"))?;
                ensure!(!created.created && created.execution_id == id, "duplicate id: {created:?}");
            }
            Op::Claim { lane, gpu, ttl } => {
                let spec = ClaimSpec {
                    lane: lane.name().into(),
                    capabilities: if *gpu { vec!["gpu".into()] } else { vec![] },
                    worker_id: "w".into(),
                    worker_instance_id: "w-1".into(),
                    lease_ttl_ms: *ttl,
                };
                let got = engine.claim(&spec).map_err(|e| format!("claim: {e}"))?;
                match (got, self.model.claim(lane.name(), *gpu, *ttl)) {
                    (None, None) => {}
                    (Some(h), Some(m)) => {
                        let id = &self.model.execs[m.exec].id;
                        ensure!(
                            (&h.execution_id, h.attempt_index, h.lease_epoch, h.kind)
                                == (id, m.attempt, m.epoch, m.kind),
                            "claimed {h:?}, the model expects {id} attempt {} epoch {} {:?}",
                            m.attempt,
                            m.epoch,
                            m.kind
                        );
                        self.handles.push(HandleRec {
                            exec: m.exec,
                            attempt: m.attempt,
                            epoch: m.epoch,
                            token: h.token,
                        });
                    }
                    (got, want) => {
                        return Err(format!(
                            "claim gave {got:?}, the model expects {:?}",
                            want.map(|m| m.exec)
                        ))
                    }
                }
            }
            Op::Renew { h } => {
                let Some(rec) = self.handle(*h) else { return Ok(()) };
                agree(engine.renew(&rec.token), self.model.renew(&rec), |g, w| {
                    (g.lease_epoch, g.expires_at_ms) == *w
                })?;
            }
            Op::Progress { h, percent, message } => {
                let Some(rec) = self.handle(*h) else { return Ok(()) };
                let got = engine.progress(&rec.token, *percent, message.as_deref());
                agree(got, self.model.progress(&rec, *percent, message), |_, _| true)?;
            }
            Op::Append { h, frame } => {
                let Some(rec) = self.handle(*h) else { return Ok(()) };
                self.append(&rec, frame)?;
            }
            Op::Complete { h } => {
                let Some(rec) = self.handle(*h) else { return Ok(()) };
                agree(
                    engine.complete(&rec.token, Some(b"done".to_vec())),
                    self.model.complete(&rec),
                    |_, _| true,
                )?;
            }
            Op::Fail { h, class } => {
                let Some(rec) = self.handle(*h) else { return Ok(()) };
                let got = engine.fail(&rec.token, "boom", *class);
                agree(got, self.model.fail(&rec, *class, "boom"), |g, w| match (g, w) {
                    (FailOutcome::RetryScheduled { delay_until_ms, next_attempt_index }, Some(w)) => {
                        (*delay_until_ms, *next_attempt_index) == *w
                    }
                    (FailOutcome::TerminalFailed, None) => true,
                    _ => false,
                })?;
            }
            Op::CancelHandle { h } => {
                let Some(rec) = self.handle(*h) else { return Ok(()) };
                let got = engine.cancel(&CancelTarget::Handle(rec.token.clone()), Some("holder"));
                agree(got, self.model.cancel_handle(&rec), |_, _| true)?;
            }
            Op::CancelId { exec } => {
                let Some(n) = self.exec(*exec) else { return Ok(()) };
                let target = CancelTarget::Execution(self.model.execs[n].id.clone());
                agree(engine.cancel(&target, Some("operator")), self.model.cancel(n), |_, _| true)?;
            }
            Op::CancelUnknown => {
                let target = CancelTarget::Execution("{fp:0}:00000000-0000-4000-8000-000000000000".into());
                let want: Predicted<()> = Err(ErrorCode::Execution);
                agree(engine.cancel(&target, None), want, |_, _| true)?;
            }
            Op::Forge { h, epoch_delta, attempt_delta } => {
                let Some(mut rec) = self.handle(*h) else { return Ok(()) };
                let mut data = token::decode(&rec.token).map_err(|e| format!("our own token: {e}"))?;
                data.lease_epoch += epoch_delta;
                data.attempt_index += attempt_delta;
                (rec.epoch, rec.attempt, rec.token) =
                    (data.lease_epoch, data.attempt_index, token::encode(&data));
                agree(engine.renew(&rec.token), self.model.renew(&rec), |g, w| {
                    (g.lease_epoch, g.expires_at_ms) == *w
                })?;
            }
            Op::ReclaimExpired => {
                let got = engine.reclaim_expired();
                agree(got, Ok(self.model.expire_leases()), |g, w| g == w)?;
            }
            Op::Clock { delta } => {
                self.model.now = (self.model.now + delta).max(0);
                self.clock.set(self.model.now);
            }
            Op::ClockToExpiry { h, offset } => {
                let Some(rec) = self.handle(*h) else { return Ok(()) };
                let attempt = &self.model.execs[rec.exec].attempts[&rec.attempt];
                if let Some(at) = attempt.expires_at {
                    self.model.now = at + offset;
                    self.clock.set(self.model.now);
                }
            }
            Op::List { lane, state, limit } => {
                checks::list_pages(self, lane.map(|l| l.name()), *state, *limit)?
            }
            Op::OpenTail { exec, back, next } => {
                let Some(n) = self.exec(*exec) else { return Ok(()) };
                let e = &self.model.execs[n];
                let attempt = if *next { e.attempt_index + 1 } else { e.attempt_index.saturating_sub(*back) };
                let follower = engine
                    .follow_stream(&e.id, attempt, &TailSpec::after("0-0"))
                    .map_err(|e| e.to_string())?;
                let mut held = Held::new(Target::Tail { exec: n, attempt }, follower);
                held.pump(&engine)?;
                self.tails.push(held);
            }
            Op::OpenCompletions { from_start, lane } => {
                let lane = lane.map(|l| l.name());
                let spec = CompletionsSpec {
                    after: from_start.then(|| "0".into()),
                    lane: lane.map(Into::into),
                    namespace: None,
                };
                let follower = engine.follow_completions(&spec).map_err(|e| e.to_string())?;
                let start = if *from_start { 0 } else { self.model.completions.len() };
                let mut held = Held::new(Target::Completions { start, lane }, follower);
                held.pump(&engine)?;
                self.completions.push(held);
            }
            Op::OpenLeases { from_start, exec } => {
                let exec = exec.and_then(|n| self.exec(n));
                let execution_id = exec.map(|n| self.model.execs[n].id.clone());
                let spec = LeaseHistorySpec { after: from_start.then(|| "0".into()), execution_id };
                let follower = engine.follow_lease_history(&spec).map_err(|e| e.to_string())?;
                let start = if *from_start { 0 } else { self.model.leases.len() };
                let mut held = Held::new(Target::Leases { start, exec }, follower);
                held.pump(&engine)?;
                self.leases.push(held);
            }
            Op::DropFollower { i } => {
                // Any follower but the first of each outbox (see `new`).
                let (t, c, l) = (self.tails.len(), self.completions.len() - 1, self.leases.len() - 1);
                match (t + c + l, i % (t + c + l).max(1)) {
                    (0, _) => {}
                    (_, k) if k < t => drop(self.tails.remove(k)),
                    (_, k) if k < t + c => drop(self.completions.remove(k - t + 1)),
                    (_, k) => drop(self.leases.remove(k - t - c + 1)),
                }
            }
        }
        Ok(())
    }

    fn append(&mut self, rec: &HandleRec, frame: &FrameOp) -> Result<(), String> {
        let spec = match frame {
            FrameOp::Durable(bytes) => FrameSpec::durable(bytes.clone()),
            FrameOp::Summary(patch) => FrameSpec::durable(patch.as_str()).with_mode(AppendMode::Summary),
            FrameOp::BestEffort { payload, ttl } => {
                FrameSpec::durable(payload.as_str()).with_mode(AppendMode::BestEffort { ttl_ms: *ttl as u32 })
            }
        };
        let got = self.engine.append_frame(&rec.token, &spec);
        match (got, self.model.check_append(rec, frame)) {
            (Ok(appended), Ok(())) => {
                let id = parse_id(&appended.id)?;
                let stream = self.model.execs[rec.exec].streams.get(&rec.attempt);
                let last = stream.and_then(|s| s.frames.last()).map(|f| f.id);
                ensure!(
                    last.is_none_or(|l| l < id),
                    "frame id {id:?} is not after the stream's last {last:?}"
                );
                let (count, version) = self.model.append(rec, frame, id);
                ensure!(
                    count.is_none_or(|c| c == appended.frame_count),
                    "frameCount {appended:?}, the model expects {count:?}"
                );
                ensure!(
                    appended.summary_version == version,
                    "summaryVersion {appended:?}, the model expects {version:?}"
                );
                Ok(())
            }
            (Err(e), Err(code)) if e.code == code => Ok(()),
            (got, want) => Err(format!("append answered {got:?}, the model expects {want:?}")),
        }
    }
}
