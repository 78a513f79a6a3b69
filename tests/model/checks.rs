//! The invariants checked after every step, each against the model:
//! - followers: a waiting follower whose topic the step touched was woken; tails see every
//!   durable and summary frame in id order and end exactly when their stream closed; event
//!   followers see exactly the model's events after their start; no waiter is left over;
//! - every execution is in one consistent state, the model's, and in exactly one
//!   `listExecutions` state filter; lease epochs never decrease;
//! - every stream holds exactly the model's frames (durable and summary ones are never lost),
//!   ids strictly increase, the close marker and the summary (`version` = patches applied) match;
//! - every handle passes the fence exactly while the model says its attempt is current and live;
//! - the two outboxes, as followers from the beginning see them, are the model's: each
//!   terminal outcome once (and at the end of a case, read afresh, again).

use super::contract::{Mode, Phase, Stream};
use super::followers::{drain, Target};
use super::ops::Op;
use super::world::{parse_id, World};
use ff_backend_wasm::base64;
use ff_backend_wasm::engine::Purpose;
use ff_backend_wasm::model::*;

/// What a step's wake checks compare against: the state before it.
pub struct Before {
    waiting: Vec<bool>,
    completions: usize,
    leases: usize,
    /// (frames ever appended, closed) of the stream each tail follows.
    tails: Vec<(usize, bool)>,
}

fn stream_mark(w: &World, target: Target) -> (usize, bool) {
    let Target::Tail { exec, attempt } = target else { return (0, false) };
    w.model.execs[exec].streams.get(&attempt).map_or((0, false), |s| (s.frames.len(), s.closed.is_some()))
}

impl Before {
    pub fn take(w: &World) -> Before {
        let waiting = (w.tails.iter().map(|h| h.is_waiting()))
            .chain(w.completions.iter().map(|h| h.is_waiting()))
            .chain(w.leases.iter().map(|h| h.is_waiting()))
            .collect();
        let tails = w.tails.iter().map(|h| stream_mark(w, h.target)).collect();
        Before { waiting, completions: w.model.completions.len(), leases: w.model.leases.len(), tails }
    }
}

pub fn after_step(w: &mut World, before: &Before, op: &Op) -> Result<(), String> {
    let opened_or_dropped = matches!(
        op,
        Op::OpenTail { .. } | Op::OpenCompletions { .. } | Op::OpenLeases { .. } | Op::DropFollower { .. }
    );
    if !opened_or_dropped {
        wakes(w, before)?;
    }
    followers(w)?;
    let parked = (w.tails.iter().filter(|h| h.is_waiting()).count())
        + w.completions.iter().filter(|h| h.is_waiting()).count()
        + w.leases.iter().filter(|h| h.is_waiting()).count();
    ensure!(
        w.engine.waiter_count() == parked,
        "{} waiters registered, {parked} followers parked",
        w.engine.waiter_count()
    );
    executions(w)?;
    streams(w)?;
    handles(w)
}

/// The checks that read everything again from scratch, run once a case has ended.
pub fn at_the_end(w: &World) -> Result<(), String> {
    state_filters(w)?;
    outboxes(w)
}

/// A follower parked before the step whose topic the step wrote to must have been woken.
fn wakes(w: &World, before: &Before) -> Result<(), String> {
    let touched_tails = w.tails.iter().zip(&before.tails).map(|(h, was)| stream_mark(w, h.target) != *was);
    let touched = (touched_tails)
        .chain(w.completions.iter().map(|_| w.model.completions.len() > before.completions))
        .chain(w.leases.iter().map(|_| w.model.leases.len() > before.leases));
    let woken = (w.tails.iter().map(|h| (h.target, h.was_woken())))
        .chain(w.completions.iter().map(|h| (h.target, h.was_woken())))
        .chain(w.leases.iter().map(|h| (h.target, h.was_woken())));
    for ((touched, (target, woken)), waiting) in touched.zip(woken).zip(&before.waiting) {
        ensure!(
            !(touched && *waiting) || woken,
            "{target:?} was waiting, its topic changed, and it was not woken"
        );
    }
    Ok(())
}

fn followers(w: &mut World) -> Result<(), String> {
    let engine = w.engine.clone();
    for held in &mut w.tails {
        held.pump(&engine)?;
        let Target::Tail { exec, attempt } = held.target else { unreachable!("tails follow streams") };
        let stream = w.model.execs[exec].streams.get(&attempt);
        frames_agree(&held.seen, stream, None)?;
        let closed = stream.is_some_and(|s| s.closed.is_some());
        ensure!(
            held.ended == closed,
            "tail of {exec}/{attempt}: ended {} but the stream closed is {closed}",
            held.ended
        );
    }
    for held in &mut w.completions {
        held.pump(&engine)?;
        let Target::Completions { start, lane } = held.target else { unreachable!() };
        let want: Vec<_> = (w.model.completions[start..].iter())
            .filter(|(n, _)| lane.is_none_or(|l| w.model.execs[*n].lane == l))
            .map(|(n, o)| (w.model.execs[*n].id.clone(), *o))
            .collect();
        let got: Vec<_> = held.seen.iter().map(|e| (e.execution_id.clone(), e.outcome)).collect();
        ensure!(
            got == want && !held.ended,
            "completions from {start} ({lane:?}): {got:?}, the model has {want:?}"
        );
    }
    for held in &mut w.leases {
        held.pump(&engine)?;
        let Target::Leases { start, exec } = held.target else { unreachable!() };
        let want: Vec<_> = (w.model.leases[start..].iter())
            .filter(|(n, ..)| exec.is_none_or(|e| e == *n))
            .map(|(n, a, epoch, kind)| (w.model.execs[*n].id.clone(), *a, *epoch, *kind))
            .collect();
        let got: Vec<_> = held
            .seen
            .iter()
            .map(|e| (e.execution_id.clone(), e.attempt_index, e.lease_epoch, e.event))
            .collect();
        ensure!(
            got == want && !held.ended,
            "lease events from {start} ({exec:?}): {got:?}, the model has {want:?}"
        );
    }
    Ok(())
}

/// The payload as readers get it: text, or base64 of bytes that are not UTF-8.
fn shown(payload: &[u8]) -> (String, Encoding) {
    match std::str::from_utf8(payload) {
        Ok(text) => (text.into(), Encoding::Utf8),
        Err(_) => (base64::encode(payload), Encoding::Base64),
    }
}

/// A frame as compared: its id, mode and payload as shown.
type Shown = ((i64, i64), FrameMode, (String, Encoding));

/// Frames as read (or as a tail saw them) against the model's stream: ids strictly increase;
/// durable and summary frames are exactly the model's; best-effort ones are ones the model
/// appended and, for a read at `now` of an exact stream, exactly the ones still visible.
fn frames_agree(got: &[Frame], stream: Option<&Stream>, now: Option<i64>) -> Result<(), String> {
    let ids = got.iter().map(|f| parse_id(&f.id)).collect::<Result<Vec<_>, _>>()?;
    ensure!(ids.windows(2).all(|p| p[0] < p[1]), "frame ids do not strictly increase: {ids:?}");
    let empty = Stream::default();
    let stream = stream.unwrap_or(&empty);
    let mode = |m: Mode| match m {
        Mode::Durable => FrameMode::Durable,
        Mode::Summary => FrameMode::Summary,
        Mode::BestEffort => FrameMode::BestEffort,
    };
    let model: Vec<_> = match now {
        Some(now) if !stream.inexact => stream.visible(now).collect(),
        _ => stream.frames.iter().collect(),
    };
    let want: Vec<_> = model.iter().map(|f| (f.id, mode(f.mode), shown(&f.payload))).collect();
    let got: Vec<_> = (got.iter().zip(ids))
        .map(|(f, id)| (id, f.mode, (f.fields.payload.clone(), f.fields.encoding)))
        .collect();
    let kept = |frames: &[Shown]| -> Vec<Shown> {
        frames.iter().filter(|f| f.1 != FrameMode::BestEffort).cloned().collect()
    };
    ensure!(
        kept(&got) == kept(&want),
        "durable and summary frames {:?}, the model has {:?}",
        kept(&got),
        kept(&want)
    );
    match now {
        Some(_) if !stream.inexact => ensure!(got == want, "frames {got:?}, the model has {want:?}"),
        _ => ensure!(
            got.iter().all(|f| want.contains(f)),
            "frames {got:?} include some the model never appended"
        ),
    }
    Ok(())
}

fn executions(w: &mut World) -> Result<(), String> {
    let now = w.model.now;
    for (n, e) in w.model.execs.iter().enumerate() {
        let info = w.engine.get_execution(&e.id).map_err(|x| x.to_string())?.ok_or("execution vanished")?;
        let phase = match e.phase {
            Phase::Runnable(_) => LifecyclePhase::Runnable,
            Phase::Active => LifecyclePhase::Active,
            Phase::Terminal(_) => LifecyclePhase::Terminal,
        };
        let outcome = match e.phase {
            Phase::Terminal(o) => Some(o),
            _ => None,
        };
        let got = (
            info.lifecycle_phase,
            info.public_state,
            info.terminal_outcome,
            info.attempt_index,
            info.delay_until_ms,
        );
        let want = (phase, e.public_state(now), outcome, e.attempt_index, e.delay_until);
        ensure!(got == want, "execution {n}: {got:?}, the model has {want:?}");
        let got = (
            info.lease_reclaim_count,
            info.progress.percent,
            info.progress.message.clone(),
            info.last_failure.clone(),
        );
        let want = (e.reclaim_count, e.progress.0, e.progress.1.clone(), e.last_failure.clone());
        ensure!(got == want, "execution {n}: {got:?}, the model has {want:?}");
        let (row, attempt) =
            w.engine.inspect_execution(&e.id).map_err(|x| x.to_string())?.ok_or("no rows")?;
        ensure!(
            (row.ownership == Ownership::Leased) == (phase == LifecyclePhase::Active),
            "ownership {:?} in {phase:?}",
            row.ownership
        );
        let want = e.attempts.get(&e.attempt_index).map(|a| a.epoch);
        let got = attempt.map(|a| a.lease_epoch);
        ensure!(
            got == want,
            "execution {n} attempt {}: epoch {got:?}, the model has {want:?}",
            e.attempt_index
        );
        if let Some(epoch) = got {
            let seen = w.epochs.entry((n, e.attempt_index)).or_default();
            ensure!(
                epoch >= *seen,
                "the lease epoch of {n}/{} went down from {seen} to {epoch}",
                e.attempt_index
            );
            *seen = epoch;
        }
    }
    Ok(())
}

/// Every execution is in exactly one of the six states a `listExecutions` filter asks for: the
/// model's. (Run at the end of a case: switching the bound state re-prepares the statement,
/// which makes this the costliest check by far.)
fn state_filters(w: &World) -> Result<(), String> {
    let now = w.model.now;
    let mut states = vec![Vec::new(); w.model.execs.len()];
    for state in [
        PublicState::Waiting,
        PublicState::Delayed,
        PublicState::Active,
        PublicState::Completed,
        PublicState::Failed,
        PublicState::Cancelled,
    ] {
        let spec = ListSpec { public_state: Some(state), limit: 1000, ..Default::default() };
        for info in w.engine.list_executions(&spec).map_err(|x| x.to_string())?.executions {
            let n = w
                .model
                .execs
                .iter()
                .position(|e| e.id == info.execution_id)
                .ok_or("listed an unknown execution")?;
            states[n].push(state);
        }
    }
    for (n, e) in w.model.execs.iter().enumerate() {
        ensure!(states[n] == [e.public_state(now)], "execution {n} is listed under {:?}", states[n]);
    }
    Ok(())
}

fn streams(w: &World) -> Result<(), String> {
    let now = w.model.now;
    for e in &w.model.execs {
        for attempt in 0..=e.attempt_index + 1 {
            let read =
                w.engine.read_stream(&e.id, attempt, &ReadSpec { limit: 10_000, ..Default::default() });
            let read = read.map_err(|x| x.to_string())?;
            let stream = e.streams.get(&attempt);
            frames_agree(&read.frames, stream, Some(now))
                .map_err(|why| format!("stream {}/{attempt}: {why}", e.id))?;
            let closed = stream.and_then(|s| s.closed);
            ensure!(
                read.closed_reason.as_deref() == closed,
                "stream {attempt}: closed {:?}, the model has {closed:?}",
                read.closed_reason
            );
            // Summary frames are frames: one in a stream the model has not got is caught above.
            let Some(stream) = stream else { continue };
            let summary = w.engine.read_summary(&e.id, attempt).map_err(|x| x.to_string())?;
            let got = summary.map(|s| (s.document, s.version));
            let want = stream.summary.clone();
            ensure!(got == want, "summary of {attempt}: {got:?}, the model has {want:?}");
        }
    }
    Ok(())
}

fn handles(w: &World) -> Result<(), String> {
    for rec in &w.handles {
        for (purpose, append) in [(Purpose::Lease, false), (Purpose::Append, true)] {
            let got = w.engine.check_handle(&rec.token, purpose).map_err(|e| e.code);
            let want = w.model.fence(rec, append);
            ensure!(got == want, "handle {rec:?} ({purpose:?}): {got:?}, the model expects {want:?}");
        }
    }
    Ok(())
}

fn outboxes(w: &World) -> Result<(), String> {
    let all = CompletionsSpec { after: Some("0".into()), ..Default::default() };
    let events = drain(&w.engine, w.engine.follow_completions(&all).map_err(|e| e.to_string())?)?;
    let got: Vec<_> = events.iter().map(|e| (e.execution_id.as_str(), e.outcome)).collect();
    let want: Vec<_> = w.model.completions.iter().map(|(n, o)| (w.model.execs[*n].id.as_str(), *o)).collect();
    ensure!(got == want, "completion outbox {got:?}, the model has {want:?}");
    for e in &w.model.execs {
        let times = got.iter().filter(|(id, _)| *id == e.id).count();
        ensure!(
            times == usize::from(matches!(e.phase, Phase::Terminal(_))),
            "{} is in the completion outbox {times} times",
            e.id
        );
    }
    let all = LeaseHistorySpec { after: Some("0".into()), execution_id: None };
    let events = drain(&w.engine, w.engine.follow_lease_history(&all).map_err(|e| e.to_string())?)?;
    let got: Vec<_> =
        events.iter().map(|e| (e.execution_id.as_str(), e.attempt_index, e.lease_epoch, e.event)).collect();
    let want: Vec<_> = (w.model.leases.iter())
        .map(|(n, a, epoch, k)| (w.model.execs[*n].id.as_str(), *a, *epoch, *k))
        .collect();
    ensure!(got == want, "lease outbox {got:?}, the model has {want:?}");
    Ok(())
}

/// `listExecutions` paged `limit` at a time: the model's executions of that lane and state, in
/// creation order; every page but the last is full.
pub fn list_pages(
    w: &World,
    lane: Option<&str>,
    state: Option<PublicState>,
    limit: i64,
) -> Result<(), String> {
    let (mut got, mut after) = (Vec::new(), None);
    for _ in 0..=w.model.execs.len() {
        let spec = ListSpec { lane: lane.map(Into::into), public_state: state, after: after.take(), limit };
        let page = w.engine.list_executions(&spec).map_err(|e| e.to_string())?;
        ensure!(
            page.executions.len() as i64 <= limit,
            "a page of {} for limit {limit}",
            page.executions.len()
        );
        let full = page.executions.len() as i64 == limit;
        got.extend(page.executions.into_iter().map(|e| e.execution_id));
        match page.next_cursor {
            Some(cursor) => {
                ensure!(full, "a short page with a next cursor");
                after = Some(cursor);
            }
            None => break,
        }
    }
    let want: Vec<_> = (w.model.execs.iter())
        .filter(|e| {
            lane.is_none_or(|l| e.lane == l) && state.is_none_or(|s| e.public_state(w.model.now) == s)
        })
        .map(|e| e.id.clone())
        .collect();
    ensure!(got == want, "listExecutions({lane:?}, {state:?}, {limit}): {got:?}, the model has {want:?}");
    Ok(())
}
