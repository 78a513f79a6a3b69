//! Execution lifecycle operations: create, read, claim, renew, progress, complete, fail,
//! cancel and lease expiry. Each loads rows, applies `lifecycle` transitions and saves them in
//! one transaction, writing the reference's outbox rows alongside.

use super::fence::{self, Fenced, Live, Purpose};
use super::lifecycle::{self, LeaseGrant, RECLAIM_CAP};
use super::token::{self, TokenData};
use super::validate::{self, MAX_BLOB_BYTES, NAME_MAX, TEXT_MAX};
use super::{retry, Engine, Topic, Wakes};
use crate::error::{EngineError, ErrorCode, Result};
use crate::model::*;
use crate::store::Tx;

impl Engine {
    pub fn create_execution(&self, spec: &CreateSpec) -> Result<Created> {
        validate::name("lane", &spec.lane, NAME_MAX)?;
        validate::name("namespace", &spec.namespace, NAME_MAX)?;
        validate::name("kind", &spec.kind, NAME_MAX)?;
        validate::int_range("priority", spec.priority, i32::MIN as i64, i32::MAX as i64)?;
        validate::count("capabilities", spec.capabilities.len(), 256)?;
        for cap in &spec.capabilities {
            validate::name("capabilities[]", cap, NAME_MAX)?;
        }
        validate::count("tags", spec.tags.len(), 256)?;
        for (k, v) in &spec.tags {
            validate::name("tags key", k, NAME_MAX)?;
            validate::text(&format!("tags.{k}"), v, TEXT_MAX)?;
        }
        if let Some(t) = spec.delay_until_ms {
            validate::int_range("delayUntilMs", t, 0, 1 << 53)?;
        }
        if let Some(p) = &spec.payload {
            validate::blob("payload", p, MAX_BLOB_BYTES)?;
        }
        if let Some(policy) = &spec.retry_policy {
            retry::validate(policy)?;
        }
        let id = match &spec.execution_id {
            Some(text) => ExecutionId::parse(text)?,
            None => ExecutionId::from_random(self.random16()),
        };
        let now = self.now()?;
        let row = lifecycle::new_exec(spec, id, now);
        let created = self.write(|tx, _| tx.insert_exec(&row, &spec.capabilities))?;
        Ok(Created { execution_id: id.to_string(), created })
    }

    pub fn get_execution(&self, execution_id: &str) -> Result<Option<ExecutionInfo>> {
        let id = ExecutionId::parse(execution_id)?;
        let now = self.now()?;
        Ok(self.read(|tx| tx.exec(&id))?.map(|row| execution_info(row, now)))
    }

    /// The stored rows of an execution and of its current attempt (if one was ever started), read
    /// in one snapshot: the full state vector, for adapters whose results carry more than
    /// [`ExecutionInfo`] (the FlowFabric `EngineBackend`). `None` when no such execution exists.
    pub fn inspect_execution(&self, execution_id: &str) -> Result<Option<(ExecRow, Option<AttemptRow>)>> {
        let id = ExecutionId::parse(execution_id)?;
        self.read(|tx| {
            let Some(exec) = tx.exec(&id)? else { return Ok(None) };
            let attempt = tx.attempt(&id, exec.attempt_index)?;
            Ok(Some((exec, attempt)))
        })
    }

    /// Takes the next eligible execution of a lane, or `None`. Never blocks. Expired leases are
    /// found first, so an interrupted execution is claimable in the same call.
    pub fn claim(&self, spec: &ClaimSpec) -> Result<Option<Handle>> {
        validate::name("lane", &spec.lane, NAME_MAX)?;
        validate::name("workerId", &spec.worker_id, NAME_MAX)?;
        validate::name("workerInstanceId", &spec.worker_instance_id, NAME_MAX)?;
        validate::int_range("leaseTtlMs", spec.lease_ttl_ms, 1, u32::MAX as i64)?;
        validate::count("capabilities", spec.capabilities.len(), 256)?;
        let capabilities: Vec<String> = spec.capabilities.iter().filter(|c| !c.is_empty()).cloned().collect();
        let now = self.now()?;
        let (attempt_id, lease_id) = (self.random16(), self.random16());
        self.write(|tx, wakes| {
            expire_leases(tx, now, wakes)?;
            let Some(mut exec) = tx.claim_candidate(&spec.lane, &capabilities, now)? else {
                return Ok(None);
            };
            let current = tx.attempt(&exec.id, exec.attempt_index)?;
            let grant = LeaseGrant {
                worker_id: &spec.worker_id,
                worker_instance_id: &spec.worker_instance_id,
                ttl_ms: spec.lease_ttl_ms,
            };
            let (attempt, kind) = lifecycle::start_attempt(&mut exec, current.as_ref(), &grant, now)?;
            tx.upsert_attempt(&attempt)?;
            tx.update_exec(&exec)?;
            let event = if kind == HandleKind::Reclaimed {
                LeaseEventKind::Reclaimed
            } else {
                LeaseEventKind::Acquired
            };
            emit_lease(tx, wakes, &exec, &attempt, event, now)?;
            let data = TokenData {
                kind,
                execution_id: exec.id,
                attempt_index: attempt.attempt_index,
                attempt_id: uuid::Uuid::from_bytes(attempt_id).to_string(),
                lease_id: uuid::Uuid::from_bytes(lease_id).to_string(),
                lease_epoch: attempt.lease_epoch,
                lease_ttl_ms: spec.lease_ttl_ms as u64,
                lane: spec.lane.clone(),
                worker_instance_id: spec.worker_instance_id.clone(),
            };
            Ok(Some(Handle {
                execution_id: exec.id.to_string(),
                attempt_index: attempt.attempt_index,
                lease_epoch: attempt.lease_epoch,
                kind,
                token: token::encode(&data),
            }))
        })
    }

    /// Runs decision 2's fence for `token` alone, in a read transaction: `Ok` while the handle
    /// may still `purpose`. The facade asks this when a call's other arguments are unusable,
    /// so that a dead handle is reported as dead whatever else is wrong.
    pub fn check_handle(&self, token_text: &str, purpose: Purpose) -> Result<()> {
        let token = self.decode_token(token_text)?;
        let now = self.now()?;
        self.read(|tx| fence::live_attempt(tx, &token, now, purpose).map(|_| ()))
    }

    /// Runs a handle operation: decode, then fence and act inside one transaction. `act`
    /// checks its other inputs itself, after the fence: a dead or forged handle is reported
    /// as such (decision 2's order) even when the rest of the call is also wrong. This form
    /// passes only the live attempt and its stream's bookkeeping (appends need no more);
    /// [`Engine::with_lease`] also loads the execution.
    pub(super) fn with_live_attempt<T>(
        &self,
        token_text: &str,
        purpose: Purpose,
        act: impl FnOnce(&Tx, Live, i64, &mut Wakes) -> Result<T>,
    ) -> Result<T> {
        let token = self.decode_token(token_text)?;
        let now = self.now()?;
        self.write(|tx, wakes| {
            let live = fence::live_attempt(tx, &token, now, purpose)?;
            act(tx, live, now, wakes)
        })
    }

    /// [`Engine::with_live_attempt`], with the execution's whole row for calls that change it.
    pub(super) fn with_lease<T>(
        &self,
        token_text: &str,
        purpose: Purpose,
        act: impl FnOnce(&Tx, Fenced, i64, &mut Wakes) -> Result<T>,
    ) -> Result<T> {
        self.with_live_attempt(token_text, purpose, |tx, live, now, wakes| {
            act(tx, fence::with_execution(tx, live.attempt)?, now, wakes)
        })
    }

    pub fn renew(&self, token: &str) -> Result<Renewal> {
        self.with_lease(token, Purpose::Lease, |tx, mut f, now, wakes| {
            let expires = now.saturating_add(f.attempt.lease_ttl_ms);
            f.attempt.lease_expires_at_ms = Some(expires);
            tx.upsert_attempt(&f.attempt)?;
            emit_lease(tx, wakes, &f.exec, &f.attempt, LeaseEventKind::Renewed, now)?;
            Ok(Renewal { lease_epoch: f.attempt.lease_epoch, expires_at_ms: expires })
        })
    }

    pub fn progress(&self, token: &str, percent: Option<f64>, message: Option<&str>) -> Result<()> {
        self.with_lease(token, Purpose::Lease, |tx, mut f, _, _| {
            if let Some(p) = percent {
                if !(p.is_finite() && (0.0..=100.0).contains(&p)) {
                    return Err(EngineError::invalid(format!(
                        "progress percent {p} is not a number in 0..=100"
                    )));
                }
            }
            if let Some(m) = message {
                validate::text("progress message", m, TEXT_MAX)?;
            }
            if percent.is_none() && message.is_none() {
                return Ok(());
            }
            lifecycle::set_progress(&mut f.exec, percent, message);
            tx.update_exec(&f.exec)
        })
    }

    pub fn complete(&self, token: &str, result: Option<Vec<u8>>) -> Result<()> {
        self.with_lease(token, Purpose::Lease, |tx, mut f, now, wakes| {
            if let Some(r) = &result {
                validate::blob("result", r, MAX_BLOB_BYTES)?;
            }
            lifecycle::end_attempt(&mut f.attempt, AttemptOutcome::Success, now);
            lifecycle::make_terminal(&mut f.exec, TerminalOutcome::Success, now);
            f.exec.result = result;
            save_ended(tx, &f, CloseReason::AttemptSuccess, now, wakes)?;
            emit_completion(tx, wakes, &f.exec, TerminalOutcome::Success, now)
        })
    }

    pub fn fail(&self, token: &str, message: &str, class: FailClass) -> Result<FailOutcome> {
        self.with_lease(token, Purpose::Lease, |tx, mut f, now, wakes| {
            validate::text("message", message, TEXT_MAX)?;
            let policy = f.exec.retry_policy.clone().unwrap_or_default();
            let delay = class
                .may_retry()
                .then(|| retry::next_delay(&policy, lifecycle::retry_count(&f.exec)))
                .flatten();
            f.exec.raw_fields.insert("last_failure_message".into(), message.into());
            let outcome = match delay {
                Some(delay_ms) => {
                    lifecycle::end_attempt(&mut f.attempt, AttemptOutcome::Retry, now);
                    let at = lifecycle::schedule_retry(&mut f.exec, delay_ms, now)?;
                    FailOutcome::RetryScheduled {
                        delay_until_ms: at,
                        next_attempt_index: f.exec.attempt_index,
                    }
                }
                None => {
                    lifecycle::end_attempt(&mut f.attempt, AttemptOutcome::Failed, now);
                    lifecycle::make_terminal(&mut f.exec, TerminalOutcome::Failed, now);
                    emit_completion(tx, wakes, &f.exec, TerminalOutcome::Failed, now)?;
                    FailOutcome::TerminalFailed
                }
            };
            save_ended(tx, &f, CloseReason::AttemptFailure, now, wakes)?;
            Ok(outcome)
        })
    }

    /// Cancels by handle (the lease holder) or by execution id (an operator). Cancelling an
    /// already cancelled execution succeeds; any other terminal execution is refused.
    pub fn cancel(&self, target: &CancelTarget, reason: Option<&str>) -> Result<()> {
        let check_reason = || reason.map_or(Ok(()), |r| validate::text("reason", r, TEXT_MAX));
        match target {
            CancelTarget::Handle(token) => self.with_lease(token, Purpose::Lease, |tx, f, now, wakes| {
                check_reason()?;
                cancel_exec(tx, f.exec, reason, "lease_holder", now, wakes)
            }),
            CancelTarget::Execution(text) => {
                let id = ExecutionId::parse(text)?;
                let now = self.now()?;
                self.write(|tx, wakes| {
                    let exec = tx.exec(&id)?.ok_or_else(|| {
                        EngineError::new(ErrorCode::Execution, format!("execution {id} does not exist"))
                    })?;
                    check_reason()?;
                    cancel_exec(tx, exec, reason, "operator_override", now, wakes)
                })
            }
        }
    }

    /// When the next live lease expires (`None` while no lease is live): when to call
    /// [`Engine::reclaim_expired`] if nothing else will (an alarm, a timer).
    pub fn next_lease_expiry(&self) -> Result<Option<i64>> {
        self.read(|tx| tx.next_lease_expiry())
    }

    /// Ends every attempt whose lease has expired; returns how many executions were made
    /// reclaimable.
    pub fn reclaim_expired(&self) -> Result<u32> {
        let now = self.now()?;
        self.write(|tx, wakes| expire_leases(tx, now, wakes))
    }
}

/// The public view of an execution row, as of `now`.
pub(super) fn execution_info(e: ExecRow, now: i64) -> ExecutionInfo {
    let tags = e
        .raw_fields
        .get("tags")
        .and_then(|t| t.as_object())
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    ExecutionInfo {
        execution_id: e.id.to_string(),
        namespace: e.raw_str("namespace").unwrap_or("default").into(),
        kind: e.raw_str("execution_kind").unwrap_or("task").into(),
        priority: e.priority,
        attempt_index: e.attempt_index,
        lifecycle_phase: e.phase,
        public_state: lifecycle::public_state_at(&e, now),
        terminal_outcome: e.terminal_outcome,
        created_at_ms: e.created_at_ms,
        started_at_ms: e.started_at_ms,
        terminal_at_ms: e.terminal_at_ms,
        delay_until_ms: e.delay_until_ms,
        progress: Progress {
            percent: e.raw_fields.get("progress_pct").and_then(|v| v.as_f64()),
            message: e.raw_str("progress_message").map(Into::into),
        },
        last_failure: e.raw_str("last_failure_message").map(Into::into),
        lease_reclaim_count: e.lease_reclaim_count,
        tags,
        lane: e.lane,
        payload: e.payload,
        result: e.result,
    }
}

fn emit_lease(
    tx: &Tx,
    wakes: &mut Wakes,
    exec: &ExecRow,
    attempt: &AttemptRow,
    event: LeaseEventKind,
    now: i64,
) -> Result<()> {
    tx.lease_event(exec, attempt, event, now)?;
    wakes.add(Topic::LeaseEvents);
    Ok(())
}

fn emit_completion(
    tx: &Tx,
    wakes: &mut Wakes,
    exec: &ExecRow,
    outcome: TerminalOutcome,
    now: i64,
) -> Result<()> {
    tx.completion_event(exec, outcome, now)?;
    wakes.add(Topic::Completions);
    Ok(())
}

/// Saves an attempt that just ended and its execution, revokes the lease in the outbox and
/// closes the attempt's stream.
fn save_ended(tx: &Tx, f: &Fenced, reason: CloseReason, now: i64, wakes: &mut Wakes) -> Result<()> {
    tx.upsert_attempt(&f.attempt)?;
    tx.update_exec(&f.exec)?;
    emit_lease(tx, wakes, &f.exec, &f.attempt, LeaseEventKind::Revoked, now)?;
    close_stream(tx, (f.attempt.execution_id, f.attempt.attempt_index), reason, now, wakes)
}

/// Closes a stream (the first close wins) and wakes its waiters after commit.
fn close_stream(tx: &Tx, key: StreamKey, reason: CloseReason, now: i64, wakes: &mut Wakes) -> Result<()> {
    tx.close_stream(&key, reason, now)?;
    wakes.add(Topic::Stream(key));
    Ok(())
}

/// An execution is about to become terminal without a live attempt to end: close the stream a
/// tail may be waiting on for its next output (see [`lifecycle::pending_attempt_index`]).
fn close_pending_stream(
    tx: &Tx,
    exec: &ExecRow,
    reason: CloseReason,
    now: i64,
    wakes: &mut Wakes,
) -> Result<()> {
    match lifecycle::pending_attempt_index(exec) {
        Some(index) => close_stream(tx, (exec.id, index), reason, now, wakes),
        None => Ok(()),
    }
}

fn cancel_exec(
    tx: &Tx,
    mut exec: ExecRow,
    reason: Option<&str>,
    by: &str,
    now: i64,
    wakes: &mut Wakes,
) -> Result<()> {
    if exec.phase == LifecyclePhase::Terminal {
        if exec.terminal_outcome == Some(TerminalOutcome::Cancelled) {
            return Ok(());
        }
        return Err(EngineError::invalid(format!(
            "execution {} is already terminal ({}); only a live execution can be cancelled",
            exec.id,
            exec.public_state.as_str()
        )));
    }
    if let Some(mut attempt) = tx.attempt(&exec.id, exec.attempt_index)?.filter(|a| a.outcome.is_none()) {
        // Bump the epoch as the reference does, so the holder's handle fails with lease_conflict.
        lifecycle::end_attempt(&mut attempt, AttemptOutcome::Cancelled, now);
        attempt.worker_instance_id = None;
        attempt.lease_epoch = lifecycle::next_epoch(attempt.lease_epoch)?;
        tx.upsert_attempt(&attempt)?;
        emit_lease(tx, wakes, &exec, &attempt, LeaseEventKind::Revoked, now)?;
    }
    // The current attempt's stream closes even if no attempt ever started on it, and so does
    // the next one when a reclaim was pending, so a tail waiting there ends.
    close_stream(tx, (exec.id, exec.attempt_index), CloseReason::AttemptCancelled, now, wakes)?;
    close_pending_stream(tx, &exec, CloseReason::AttemptCancelled, now, wakes)?;
    lifecycle::make_terminal(&mut exec, TerminalOutcome::Cancelled, now);
    exec.cancellation_reason = exec.cancellation_reason.take().or(reason.map(Into::into));
    exec.cancelled_by = exec.cancelled_by.take().or(Some(by.into()));
    tx.update_exec(&exec)?;
    emit_completion(tx, wakes, &exec, TerminalOutcome::Cancelled, now)
}

/// docs/API.md decision 4: an expired lease ends its attempt (`lease_expired`); the execution is
/// reclaimed by the next claim, or fails once it was reclaimed `RECLAIM_CAP` times. Returns how
/// many executions were made reclaimable.
fn expire_leases(tx: &Tx, now: i64, wakes: &mut Wakes) -> Result<u32> {
    let mut reclaimable = 0;
    for (id, index) in tx.expired_leases(now)? {
        // Listed a moment ago in this same transaction, so it exists.
        let Some(mut attempt) = tx.attempt(&id, index)? else { continue };
        lifecycle::end_attempt(&mut attempt, AttemptOutcome::InterruptedReclaimed, now);
        tx.upsert_attempt(&attempt)?;
        close_stream(tx, (id, index), CloseReason::LeaseExpired, now, wakes)?;
        let Some(mut exec) = tx.exec(&id)? else { continue };
        if exec.phase != LifecyclePhase::Active || exec.attempt_index != index {
            continue;
        }
        emit_lease(tx, wakes, &exec, &attempt, LeaseEventKind::Expired, now)?;
        if exec.lease_reclaim_count >= RECLAIM_CAP {
            exec.raw_fields.insert(
                "last_failure_message".into(),
                format!("lease expired after {RECLAIM_CAP} reclaims; the execution is failed").into(),
            );
            lifecycle::interrupt(&mut exec, now);
            close_pending_stream(tx, &exec, CloseReason::AttemptFailure, now, wakes)?;
            lifecycle::make_terminal(&mut exec, TerminalOutcome::Failed, now);
            emit_completion(tx, wakes, &exec, TerminalOutcome::Failed, now)?;
        } else {
            lifecycle::interrupt(&mut exec, now);
            reclaimable += 1;
        }
        tx.update_exec(&exec)?;
    }
    Ok(reclaimable)
}
