//! The worker's hot path, run on the engine thread: claim, then the handle operations (renew,
//! progress, append, complete, fail, cancel) and the stream reads. Handles are decoded on the
//! caller's side ([`convert::token`]); here the engine fences them (docs/API.md decision 2).

use super::convert::{self, Token};
use super::errors::{handle_error, to_ff, FfResult};
use crate::engine::{Engine, Purpose};
use crate::error::EngineError as Own;
use crate::model::{
    CancelTarget, ClaimSpec, FailOutcome as OwnOutcome, FrameSpec, ReadSpec, TailSpec, Visibility,
};
use ff_core::backend::{AppendFrameOutcome, FailOutcome, Handle, LeaseRenewal};
use ff_core::contracts::StreamFrames;
use ff_core::types::TimestampMs;
use std::rc::Rc;
use std::time::Duration;

/// Takes the next eligible execution of `lane`; `None` when there is none now (never blocks:
/// `max_wait` is not used, as in the reference).
pub fn claim(engine: &Engine, spec: ClaimSpec) -> FfResult<Option<Handle>> {
    let claimed = engine.claim(&spec).map_err(to_ff)?;
    claimed.as_ref().map(convert::handle).transpose()
}

pub fn renew(engine: &Engine, token: &Token) -> FfResult<LeaseRenewal> {
    let renewal = engine.renew(&token.text).map_err(|e| handle_error(engine, &token.data, e))?;
    // Expiry is now + ttl on a clock past 1970: never negative.
    Ok(LeaseRenewal::new(renewal.expires_at_ms.max(0) as u64, renewal.lease_epoch))
}

pub fn progress(
    engine: &Engine,
    token: &Token,
    percent: Option<u8>,
    message: Option<String>,
) -> FfResult<()> {
    let percent = percent.map(f64::from);
    engine
        .progress(&token.text, percent, message.as_deref())
        .map_err(|e| handle_error(engine, &token.data, e))
}

/// Appends a frame. A frame this backend cannot store is reported only once the handle is known
/// to be alive: a dead handle is reported as dead whatever else is wrong (decision 2).
pub fn append(engine: &Engine, token: &Token, frame: Result<FrameSpec, Own>) -> FfResult<AppendFrameOutcome> {
    let spec = frame.map_err(|bad| match engine.check_handle(&token.text, Purpose::Append) {
        Err(dead) => handle_error(engine, &token.data, dead),
        Ok(()) => to_ff(bad),
    })?;
    let appended =
        engine.append_frame(&token.text, &spec).map_err(|e| handle_error(engine, &token.data, e))?;
    let outcome = AppendFrameOutcome::new(appended.id, appended.frame_count);
    Ok(match appended.summary_version {
        Some(version) => outcome.with_summary_version(version),
        None => outcome,
    })
}

pub fn complete(engine: &Engine, token: &Token, result: Option<Vec<u8>>) -> FfResult<()> {
    engine.complete(&token.text, result).map_err(|e| handle_error(engine, &token.data, e))
}

/// Fails the attempt; the execution's retry policy decides whether another attempt follows
/// (docs/API.md decision 3), and `RetryScheduled` carries when it becomes claimable.
pub fn fail(
    engine: &Engine,
    token: &Token,
    message: &str,
    class: crate::model::FailClass,
) -> FfResult<FailOutcome> {
    let outcome =
        engine.fail(&token.text, message, class).map_err(|e| handle_error(engine, &token.data, e))?;
    Ok(match outcome {
        OwnOutcome::RetryScheduled { delay_until_ms, .. } => {
            FailOutcome::RetryScheduled { delay_until: TimestampMs::from_millis(delay_until_ms) }
        }
        OwnOutcome::TerminalFailed => FailOutcome::TerminalFailed,
    })
}

/// The lease holder cancels its own attempt and the execution (the reference SQLite backend
/// leaves this `Unavailable`; this is its recommended behaviour).
pub fn cancel(engine: &Engine, token: &Token, reason: &str) -> FfResult<()> {
    let target = CancelTarget::Handle(token.text.clone());
    let reason = Some(reason).filter(|r| !r.is_empty());
    engine.cancel(&target, reason).map_err(|e| handle_error(engine, &token.data, e))
}

pub fn read_stream(engine: &Engine, id: &str, attempt: u32, spec: ReadSpec) -> FfResult<StreamFrames> {
    engine.read_stream(id, attempt, &spec).map(convert::stream_frames).map_err(to_ff)
}

/// `tail_stream` on the engine thread: it parks on the stream's notifier topic, so an append
/// wakes it; `block_ms` is a real-time wait on the engine thread's timer.
pub async fn tail_stream(
    engine: Rc<Engine>,
    id: String,
    attempt: u32,
    spec: TailSpec,
) -> FfResult<StreamFrames> {
    let sleep = |ms: u32| tokio::time::sleep(Duration::from_millis(ms.into()));
    let found = engine.tail_stream(&id, attempt, &spec, sleep).await.map_err(to_ff)?;
    Ok(convert::stream_frames(found))
}

pub fn tail_spec(after: String, block_ms: u64, limit: u64, visibility: Visibility) -> TailSpec {
    TailSpec { after, block_ms: convert::count(block_ms), limit: convert::count(limit), visibility }
}

pub fn read_summary(
    engine: &Engine,
    id: &str,
    attempt: u32,
) -> FfResult<Option<ff_core::backend::SummaryDocument>> {
    engine.read_summary(id, attempt).map_err(to_ff)?.map(convert::summary).transpose()
}
