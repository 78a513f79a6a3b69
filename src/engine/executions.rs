//! Execution lifecycle operations: create, read, claim, renew, progress, complete, fail,
//! cancel and lease expiry. Each loads rows, applies `lifecycle` transitions and saves them in
//! one transaction, writing the reference's outbox rows alongside.

use super::fence::{self, Fenced, Purpose};
use super::lifecycle::{self, LeaseGrant, RECLAIM_CAP};
use super::token::{self, TokenData};
use super::validate::{self, MAX_BLOB_BYTES};
use super::{retry, Engine, Wakes};
use crate::error::{EngineError, ErrorCode, Result};
use crate::model::*;
use crate::store::Tx;

const NAME_MAX: usize = 256;
const TEXT_MAX: usize = 65_536;

impl Engine {
    pub fn create_execution(&self, spec: &CreateSpec) -> Result<Created> {
        validate::name("lane", &spec.lane, NAME_MAX)?;
        validate::name("namespace", &spec.namespace, NAME_MAX)?;
        validate::name("kind", &spec.kind, NAME_MAX)?;
        validate::int_range("priority", spec.priority, i32::MIN as i64, i32::MAX as i64)?;
        if spec.capabilities.len() > 256 {
            return Err(EngineError::invalid(format!(
                "capabilities has {} entries; the limit is 256",
                spec.capabilities.len()
            )));
        }
        for cap in &spec.capabilities {
            validate::name("capabilities[]", cap, NAME_MAX)?;
        }
        if spec.tags.len() > 256 {
            return Err(EngineError::invalid(format!(
                "tags has {} entries; the limit is 256",
                spec.tags.len()
            )));
        }
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
        let Some(e) = self.read(|tx| tx.exec(&id))? else { return Ok(None) };
        let tags = e
            .raw_fields
            .get("tags")
            .and_then(|t| t.as_object())
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
            .unwrap_or_default();
        Ok(Some(ExecutionInfo {
            execution_id: id.to_string(),
            lane: e.lane.clone(),
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
            progress_percent: e.raw_fields.get("progress_pct").and_then(|v| v.as_f64()),
            progress_message: e.raw_str("progress_message").map(Into::into),
            last_failure: e.raw_str("last_failure_message").map(Into::into),
            lease_reclaim_count: e.lease_reclaim_count,
            delay_until_ms: e.delay_until_ms,
            tags,
            payload: e.payload,
            result: e.result,
        }))
    }

    /// Takes the next eligible execution of a lane, or `None`. Never blocks. Expired leases are
    /// found first, so an interrupted execution is claimable in the same call.
    pub fn claim(&self, spec: &ClaimSpec) -> Result<Option<Handle>> {
        validate::name("lane", &spec.lane, NAME_MAX)?;
        validate::name("workerId", &spec.worker_id, NAME_MAX)?;
        validate::name("workerInstanceId", &spec.worker_instance_id, NAME_MAX)?;
        validate::int_range("leaseTtlMs", spec.lease_ttl_ms, 1, u32::MAX as i64)?;
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
            let (attempt, kind) = lifecycle::start_attempt(&mut exec, current.as_ref(), &grant, now);
            tx.upsert_attempt(&attempt)?;
            tx.update_exec(&exec)?;
            let event =
                if kind == HandleKind::Reclaimed { LeaseEvent::Reclaimed } else { LeaseEvent::Acquired };
            tx.lease_event(&exec, event, now)?;
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

    /// Runs a handle operation: decode, then fence and act inside one transaction. `act`
    /// checks its other inputs itself, after the fence: a dead or forged handle is reported
    /// as such (decision 2's order) even when the rest of the call is also wrong.
    pub(super) fn with_lease<T>(
        &self,
        token_text: &str,
        purpose: Purpose,
        act: impl FnOnce(&Tx, Fenced, i64, &mut Wakes) -> Result<T>,
    ) -> Result<T> {
        let token = fence::decode(token_text)?;
        let now = self.now()?;
        self.write(|tx, wakes| {
            let fenced = fence::check(tx, token, now, purpose)?;
            act(tx, fenced, now, wakes)
        })
    }

    pub fn renew(&self, token: &str) -> Result<Renewal> {
        self.with_lease(token, Purpose::Lease, |tx, mut f, now, _| {
            let expires = now.saturating_add(f.attempt.lease_ttl_ms);
            f.attempt.lease_expires_at_ms = Some(expires);
            tx.upsert_attempt(&f.attempt)?;
            tx.lease_event(&f.exec, LeaseEvent::Renewed, now)?;
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
            tx.completion_event(&f.exec, TerminalOutcome::Success, now)
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
                    let at = lifecycle::schedule_retry(&mut f.exec, delay_ms, now);
                    FailOutcome::RetryScheduled {
                        delay_until_ms: at,
                        next_attempt_index: f.exec.attempt_index,
                    }
                }
                None => {
                    lifecycle::end_attempt(&mut f.attempt, AttemptOutcome::Failed, now);
                    lifecycle::make_terminal(&mut f.exec, TerminalOutcome::Failed, now);
                    tx.completion_event(&f.exec, TerminalOutcome::Failed, now)?;
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

    /// Ends every attempt whose lease has expired; returns how many.
    pub fn reclaim_expired(&self) -> Result<u32> {
        let now = self.now()?;
        self.write(|tx, wakes| expire_leases(tx, now, wakes))
    }
}

/// Saves an attempt that just ended and its execution, revokes the lease in the outbox and
/// closes the attempt's stream.
fn save_ended(tx: &Tx, f: &Fenced, reason: CloseReason, now: i64, wakes: &mut Wakes) -> Result<()> {
    tx.upsert_attempt(&f.attempt)?;
    tx.update_exec(&f.exec)?;
    tx.lease_event(&f.exec, LeaseEvent::Revoked, now)?;
    close_stream(tx, &f.attempt, reason, now, wakes)
}

fn close_stream(
    tx: &Tx,
    attempt: &AttemptRow,
    reason: CloseReason,
    now: i64,
    wakes: &mut Wakes,
) -> Result<()> {
    let key = (attempt.execution_id, attempt.attempt_index);
    tx.close_stream(&key, reason, now)?;
    wakes.add(key);
    Ok(())
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
        attempt.lease_epoch += 1;
        tx.upsert_attempt(&attempt)?;
        tx.lease_event(&exec, LeaseEvent::Revoked, now)?;
    }
    // The current (or next) attempt's stream closes even if no attempt ever started on it, so
    // a tail waiting there ends instead of waiting forever.
    let key = (exec.id, exec.attempt_index);
    tx.close_stream(&key, CloseReason::AttemptCancelled, now)?;
    wakes.add(key);
    lifecycle::make_terminal(&mut exec, TerminalOutcome::Cancelled, now);
    exec.cancellation_reason = exec.cancellation_reason.take().or(reason.map(Into::into));
    exec.cancelled_by = exec.cancelled_by.take().or(Some(by.into()));
    tx.update_exec(&exec)?;
    tx.completion_event(&exec, TerminalOutcome::Cancelled, now)
}

/// API.md decision 4: an expired lease ends its attempt (`lease_expired`); the execution is
/// reclaimed by the next claim, or fails once it was reclaimed `RECLAIM_CAP` times. Returns how
/// many executions were made reclaimable.
fn expire_leases(tx: &Tx, now: i64, wakes: &mut Wakes) -> Result<u32> {
    let expired = tx.expired_leases(now)?;
    let mut reclaimable = 0;
    for (id, index) in &expired {
        let mut attempt = tx.attempt(id, *index)?.expect("listed attempt exists");
        lifecycle::end_attempt(&mut attempt, AttemptOutcome::InterruptedReclaimed, now);
        tx.upsert_attempt(&attempt)?;
        close_stream(tx, &attempt, CloseReason::LeaseExpired, now, wakes)?;
        let Some(mut exec) = tx.exec(id)? else { continue };
        if exec.phase != LifecyclePhase::Active || exec.attempt_index != *index {
            continue;
        }
        tx.lease_event(&exec, LeaseEvent::Expired, now)?;
        if exec.lease_reclaim_count >= RECLAIM_CAP {
            exec.raw_fields.insert(
                "last_failure_message".into(),
                format!("lease expired after {RECLAIM_CAP} reclaims; the execution is failed").into(),
            );
            lifecycle::make_terminal(&mut exec, TerminalOutcome::Failed, now);
            tx.completion_event(&exec, TerminalOutcome::Failed, now)?;
        } else {
            lifecycle::interrupt(&mut exec, now);
            reclaimable += 1;
        }
        tx.update_exec(&exec)?;
    }
    Ok(reclaimable)
}
