//! The execution state machine as pure functions over stored rows: given the rows and `now`,
//! change them. No I/O here; `executions.rs` loads, calls these, and saves.

use crate::error::{EngineError, ErrorCode, Result};
use crate::model::*;
use serde_json::{json, Map, Value};

/// Reclaims allowed per execution before an expired lease fails it instead (docs/API.md decision 4).
pub const RECLAIM_CAP: u32 = 100;

/// A new execution: claimable now, or `delayed` until `delay_until_ms` (docs/API.md decision 1).
pub fn new_exec(spec: &CreateSpec, id: ExecutionId, now: i64) -> ExecRow {
    let delayed = spec.delay_until_ms.is_some_and(|t| t > now);
    let mut raw = Map::new();
    raw.insert("namespace".into(), json!(spec.namespace));
    raw.insert("execution_kind".into(), json!(spec.kind));
    raw.insert("creator_identity".into(), json!("ff-backend-wasm"));
    raw.insert("last_mutation_at".into(), json!(now.to_string()));
    raw.insert("total_attempt_count".into(), json!("0"));
    raw.insert("tags".into(), json!(spec.tags));
    ExecRow {
        id,
        lane: spec.lane.clone(),
        attempt_index: 0,
        phase: LifecyclePhase::Runnable,
        ownership: Ownership::Unowned,
        eligibility: if delayed { Eligibility::NotEligibleUntilTime } else { Eligibility::EligibleNow },
        attempt_state: AttemptState::PendingFirstAttempt,
        public_state: if delayed { PublicState::Delayed } else { PublicState::Waiting },
        terminal_outcome: None,
        blocking_reason: delayed.then(|| "waiting_for_delay".into()),
        cancellation_reason: None,
        cancelled_by: None,
        priority: spec.priority,
        created_at_ms: now,
        delay_until_ms: if delayed { spec.delay_until_ms } else { None },
        started_at_ms: None,
        terminal_at_ms: None,
        payload: spec.payload.clone(),
        result: None,
        retry_policy: spec.retry_policy.clone(),
        raw_fields: raw,
        lease_reclaim_count: 0,
    }
}

/// The public state as of `now`: a delayed execution whose time has come reads as waiting.
pub fn public_state_at(exec: &ExecRow, now: i64) -> PublicState {
    match (exec.public_state, exec.delay_until_ms) {
        (PublicState::Delayed, Some(t)) if t <= now => PublicState::Waiting,
        (state, _) => state,
    }
}

/// Who takes a lease and for how long.
pub struct LeaseGrant<'a> {
    pub worker_id: &'a str,
    pub worker_instance_id: &'a str,
    pub ttl_ms: i64,
}

/// Starts the attempt a claim takes. `current` is the attempt row at `exec.attempt_index`, if
/// one exists. An interrupted execution (its lease expired) is reclaimed: a new attempt index,
/// an epoch above the interrupted one, and one more on the reclaim counter.
pub fn start_attempt(
    exec: &mut ExecRow,
    current: Option<&AttemptRow>,
    grant: &LeaseGrant,
    now: i64,
) -> Result<(AttemptRow, HandleKind)> {
    let reclaim = exec.attempt_state == AttemptState::AttemptInterrupted;
    let (index, epoch, kind) = if reclaim {
        exec.lease_reclaim_count = exec.lease_reclaim_count.saturating_add(1);
        let prior = current.map_or(0, |a| a.lease_epoch);
        (next_index(exec)?, next_epoch(prior)?, HandleKind::Reclaimed)
    } else {
        (exec.attempt_index, current.map_or(Ok(1), |a| next_epoch(a.lease_epoch))?, HandleKind::Fresh)
    };
    exec.attempt_index = index;
    exec.phase = LifecyclePhase::Active;
    exec.ownership = Ownership::Leased;
    exec.eligibility = Eligibility::NotApplicable;
    exec.attempt_state = AttemptState::RunningAttempt;
    exec.public_state = PublicState::Active;
    exec.blocking_reason = None;
    exec.delay_until_ms = None;
    exec.started_at_ms = exec.started_at_ms.or(Some(now));
    touch(exec, now);
    let attempt = AttemptRow {
        execution_id: exec.id,
        attempt_index: index,
        worker_id: Some(grant.worker_id.into()),
        worker_instance_id: Some(grant.worker_instance_id.into()),
        lease_epoch: epoch,
        lease_ttl_ms: grant.ttl_ms,
        lease_expires_at_ms: Some(now.saturating_add(grant.ttl_ms)),
        started_at_ms: Some(now),
        terminal_at_ms: None,
        outcome: None,
    };
    Ok((attempt, kind))
}

/// The attempt index after the current one. Only a damaged file can make it overflow.
pub fn next_index(exec: &ExecRow) -> Result<u32> {
    exec.attempt_index.checked_add(1).ok_or_else(|| damaged(exec, "attempt_index"))
}

/// The next lease epoch; stored epochs are i64, so the epoch must stay within that.
pub fn next_epoch(epoch: u64) -> Result<u64> {
    epoch.checked_add(1).filter(|e| *e <= i64::MAX as u64).ok_or_else(|| {
        EngineError::new(
            ErrorCode::Corruption,
            format!("stored lease_epoch {epoch} is damaged: it cannot grow"),
        )
    })
}

fn damaged(exec: &ExecRow, what: &str) -> EngineError {
    EngineError::new(
        ErrorCode::Corruption,
        format!("stored {what} of execution {} is damaged: it cannot grow", exec.id),
    )
}

/// The attempt index whose stream a tail waiting on this execution's next output is on: the
/// current attempt, or, once its lease expired, the one its reclaim will run. Terminal paths
/// close it so such a tail ends.
pub fn pending_attempt_index(exec: &ExecRow) -> Option<u32> {
    match exec.attempt_state {
        AttemptState::AttemptInterrupted => exec.attempt_index.checked_add(1),
        _ => Some(exec.attempt_index),
    }
}

/// Ends an attempt: no live lease any more.
pub fn end_attempt(attempt: &mut AttemptRow, outcome: AttemptOutcome, now: i64) {
    attempt.outcome = Some(outcome);
    attempt.terminal_at_ms = Some(now);
    attempt.lease_expires_at_ms = None;
}

/// Moves an execution to a terminal state.
pub fn make_terminal(exec: &mut ExecRow, outcome: TerminalOutcome, now: i64) {
    exec.phase = LifecyclePhase::Terminal;
    exec.ownership = Ownership::Unowned;
    exec.eligibility = Eligibility::NotApplicable;
    exec.attempt_state = AttemptState::AttemptTerminal;
    exec.public_state = outcome.public_state();
    exec.terminal_outcome = Some(outcome);
    exec.blocking_reason = None;
    exec.delay_until_ms = None;
    exec.terminal_at_ms = exec.terminal_at_ms.or(Some(now));
    touch(exec, now);
}

/// Schedules the next attempt after a failure, claimable at `now + delay_ms`.
pub fn schedule_retry(exec: &mut ExecRow, delay_ms: u64, now: i64) -> Result<i64> {
    let at = now.saturating_add(i64::try_from(delay_ms).unwrap_or(i64::MAX));
    let delayed = at > now;
    exec.attempt_index = next_index(exec)?;
    exec.phase = LifecyclePhase::Runnable;
    exec.ownership = Ownership::Unowned;
    exec.eligibility = if delayed { Eligibility::NotEligibleUntilTime } else { Eligibility::EligibleNow };
    exec.attempt_state = AttemptState::PendingRetryAttempt;
    exec.public_state = if delayed { PublicState::Delayed } else { PublicState::Waiting };
    exec.blocking_reason = delayed.then(|| "waiting_for_retry_backoff".into());
    exec.delay_until_ms = delayed.then_some(at);
    let retries = retry_count(exec).saturating_add(1);
    exec.raw_fields.insert("retry_count".into(), json!(retries.to_string()));
    touch(exec, now);
    Ok(at)
}

/// An expired lease interrupted the attempt: claimable again, to be reclaimed at a new index.
pub fn interrupt(exec: &mut ExecRow, now: i64) {
    exec.phase = LifecyclePhase::Runnable;
    exec.ownership = Ownership::Unowned;
    exec.eligibility = Eligibility::EligibleNow;
    exec.attempt_state = AttemptState::AttemptInterrupted;
    exec.public_state = PublicState::Waiting;
    exec.raw_fields.insert("lease_expired_at_ms".into(), json!(now));
    touch(exec, now);
}

/// Retries already scheduled for this execution (`raw_fields.retry_count`, a decimal string).
pub fn retry_count(exec: &ExecRow) -> u32 {
    exec.raw_str("retry_count").and_then(|s| s.parse().ok()).unwrap_or(0)
}

pub fn set_progress(exec: &mut ExecRow, percent: Option<f64>, message: Option<&str>) {
    if let Some(p) = percent {
        exec.raw_fields.insert("progress_pct".into(), json!(p));
    }
    if let Some(m) = message {
        exec.raw_fields.insert("progress_message".into(), Value::String(m.into()));
    }
}

fn touch(exec: &mut ExecRow, now: i64) {
    exec.raw_fields.insert("last_mutation_at".into(), json!(now.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec() -> ExecRow {
        new_exec(&CreateSpec::default(), ExecutionId::from_random([1; 16]), 1000)
    }

    const GRANT: LeaseGrant = LeaseGrant { worker_id: "w", worker_instance_id: "w-1", ttl_ms: 500 };

    #[test]
    fn new_executions_are_runnable_or_delayed() {
        let e = exec();
        assert_eq!((e.phase, e.public_state), (LifecyclePhase::Runnable, PublicState::Waiting));
        let spec = CreateSpec { delay_until_ms: Some(5000), ..Default::default() };
        let d = new_exec(&spec, ExecutionId::from_random([2; 16]), 1000);
        assert_eq!(
            (d.eligibility, d.public_state),
            (Eligibility::NotEligibleUntilTime, PublicState::Delayed)
        );
        assert_eq!(public_state_at(&d, 4999), PublicState::Delayed);
        assert_eq!(public_state_at(&d, 5000), PublicState::Waiting);
        let past = CreateSpec { delay_until_ms: Some(10), ..Default::default() };
        assert_eq!(new_exec(&past, d.id, 1000).public_state, PublicState::Waiting);
    }

    #[test]
    fn first_claim_starts_attempt_zero_at_epoch_one() {
        let mut e = exec();
        let (a, kind) = start_attempt(&mut e, None, &GRANT, 2000).unwrap();
        assert_eq!((a.attempt_index, a.lease_epoch, kind), (0, 1, HandleKind::Fresh));
        assert_eq!(a.lease_expires_at_ms, Some(2500));
        assert_eq!(
            (e.phase, e.public_state, e.started_at_ms),
            (LifecyclePhase::Active, PublicState::Active, Some(2000))
        );
    }

    #[test]
    fn reclaim_takes_a_new_index_and_a_higher_epoch_and_keeps_started_at() {
        let mut e = exec();
        let (mut a, _) = start_attempt(&mut e, None, &GRANT, 2000).unwrap();
        end_attempt(&mut a, AttemptOutcome::InterruptedReclaimed, 3000);
        interrupt(&mut e, 3000);
        let (b, kind) = start_attempt(&mut e, Some(&a), &GRANT, 4000).unwrap();
        assert_eq!((b.attempt_index, b.lease_epoch, kind), (1, 2, HandleKind::Reclaimed));
        assert_eq!((e.lease_reclaim_count, e.started_at_ms), (1, Some(2000)));
    }

    #[test]
    fn retry_moves_to_the_next_index_and_counts() {
        let mut e = exec();
        start_attempt(&mut e, None, &GRANT, 2000).unwrap();
        assert_eq!(schedule_retry(&mut e, 1000, 2100).unwrap(), 3100);
        assert_eq!((e.attempt_index, e.public_state, retry_count(&e)), (1, PublicState::Delayed, 1));
        assert_eq!(schedule_retry(&mut e, 0, 2200).unwrap(), 2200);
        assert_eq!((e.public_state, e.delay_until_ms, retry_count(&e)), (PublicState::Waiting, None, 2));
    }

    #[test]
    fn damaged_counters_are_corruption_not_overflow() {
        let mut e = exec();
        e.attempt_index = u32::MAX;
        assert_eq!(schedule_retry(&mut e, 0, 1).unwrap_err().code, ErrorCode::Corruption);
        assert_eq!(next_epoch(i64::MAX as u64).unwrap_err().code, ErrorCode::Corruption);
        e.attempt_state = AttemptState::AttemptInterrupted;
        assert_eq!(pending_attempt_index(&e), None);
        let a =
            AttemptRow { lease_epoch: u64::MAX, ..start_attempt(&mut exec(), None, &GRANT, 1).unwrap().0 };
        assert_eq!(start_attempt(&mut exec(), Some(&a), &GRANT, 2).unwrap_err().code, ErrorCode::Corruption);
    }

    #[test]
    fn the_pending_attempt_is_the_next_one_once_a_lease_expired() {
        let mut e = exec();
        assert_eq!(pending_attempt_index(&e), Some(0));
        let (mut a, _) = start_attempt(&mut e, None, &GRANT, 2000).unwrap();
        end_attempt(&mut a, AttemptOutcome::InterruptedReclaimed, 3000);
        interrupt(&mut e, 3000);
        assert_eq!(pending_attempt_index(&e), Some(1));
    }

    #[test]
    fn terminal_keeps_the_first_terminal_time() {
        let mut e = exec();
        make_terminal(&mut e, TerminalOutcome::Cancelled, 5);
        make_terminal(&mut e, TerminalOutcome::Cancelled, 9);
        assert_eq!((e.terminal_at_ms, e.public_state), (Some(5), PublicState::Cancelled));
    }
}
