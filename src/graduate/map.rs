//! Our stored rows as ff-backend-postgres 0.15 stores them: state literals, policy JSON,
//! raw_fields. Pure functions; docs/API.md ("Outgrowing the sandbox: what maps to what") lists
//! every mapping and why.
//!
//! The literals chosen are the ones upstream's own write paths produce for the same situation
//! (claim, cancel_execution, delay, the RFC-024 reclaim), so its readers and its claim treat a
//! graduated row exactly like one it wrote itself.

use crate::engine::RECLAIM_CAP;
use crate::model::{
    AttemptRow, AttemptState, Backoff, Eligibility, ExecRow, LifecyclePhase, TerminalOutcome,
};
use ff_core::policy::{BackoffStrategy, ExecutionPolicy, RetryPolicy, RoutingRequirements};
use serde_json::{json, Value};

/// The `ff_exec_core` state columns of one execution on Postgres.
#[derive(Debug, Clone, PartialEq)]
pub struct PgState {
    pub lifecycle_phase: &'static str,
    pub ownership_state: &'static str,
    pub eligibility_state: &'static str,
    pub public_state: &'static str,
    pub attempt_state: &'static str,
    pub blocking_reason: Option<String>,
    /// The attempt index the next claim takes (an interrupted execution's next one).
    pub attempt_index: u32,
    /// A delayed execution's time: what upstream's delayed promoter compares with `now`.
    pub deadline_at_ms: Option<i64>,
}

/// The state an execution has on Postgres, judged at graduation time `now`. Every lease has
/// ended by then (the source checks refuse or end live ones), so no row is `active`.
pub fn state(e: &ExecRow, now: i64) -> Result<PgState, String> {
    let terminal = |lifecycle_phase, public_state, attempt_state| PgState {
        lifecycle_phase,
        ownership_state: "unowned",
        eligibility_state: "not_applicable",
        public_state,
        attempt_state,
        blocking_reason: None,
        attempt_index: e.attempt_index,
        deadline_at_ms: None,
    };
    match e.phase {
        LifecyclePhase::Terminal => match e.terminal_outcome {
            Some(TerminalOutcome::Success) => Ok(terminal("terminal", "completed", "attempt_terminal")),
            Some(TerminalOutcome::Failed) => Ok(terminal("terminal", "failed", "attempt_terminal")),
            // Upstream's cancel_execution literals: its readers derive `Cancelled` from the
            // `cancelled` phase, whether or not an attempt ever ran.
            Some(TerminalOutcome::Cancelled) => Ok(terminal("cancelled", "cancelled", "cancelled")),
            None => Err(format!("execution {} is terminal without an outcome", e.id)),
        },
        LifecyclePhase::Active => Err(format!("execution {} is active without a live lease", e.id)),
        LifecyclePhase::Runnable => runnable(e, now),
    }
}

fn runnable(e: &ExecRow, now: i64) -> Result<PgState, String> {
    let (attempt_state, attempt_index) = match e.attempt_state {
        AttemptState::PendingFirstAttempt => ("pending_first_attempt", e.attempt_index),
        AttemptState::PendingRetryAttempt => ("pending_retry_attempt", e.attempt_index),
        // Upstream's claim takes the stored index as it is; our reclaim runs at the next one
        // (as upstream's RFC-024 reclaim does), with a stream of its own.
        AttemptState::AttemptInterrupted => {
            let next = e.attempt_index.checked_add(1);
            (
                "attempt_interrupted",
                next.ok_or_else(|| format!("execution {}: attempt index overflows", e.id))?,
            )
        }
        other => return Err(format!("execution {} is runnable in attempt state {}", e.id, other.as_str())),
    };
    let delayed_until = match e.eligibility {
        Eligibility::EligibleNow => None,
        Eligibility::NotEligibleUntilTime => match e.delay_until_ms {
            // Its time has passed: eligible now, since Postgres 0.15 promotes nothing by itself.
            Some(t) if t <= now => None,
            Some(t) => Some(t),
            None => return Err(format!("execution {} is delayed without a time", e.id)),
        },
        Eligibility::NotApplicable => return Err(format!("execution {} is runnable but not eligible", e.id)),
    };
    let retry = e.attempt_state == AttemptState::PendingRetryAttempt;
    Ok(match delayed_until {
        Some(t) => PgState {
            lifecycle_phase: "runnable",
            ownership_state: "unowned",
            eligibility_state: "not_eligible_until_time",
            public_state: "delayed",
            attempt_state,
            blocking_reason: Some(e.blocking_reason.clone().unwrap_or_else(|| {
                if retry { "waiting_for_retry_backoff" } else { "waiting_for_delay" }.to_string()
            })),
            attempt_index,
            deadline_at_ms: Some(t),
        },
        None => PgState {
            lifecycle_phase: "runnable",
            ownership_state: "unowned",
            eligibility_state: "eligible_now",
            public_state: "waiting",
            attempt_state,
            blocking_reason: None,
            attempt_index,
            deadline_at_ms: None,
        },
    })
}

/// `ff_exec_core.policy`: upstream's `ExecutionPolicy` as JSON. The retry policy is the one our
/// engine applied (the default one when none was given, docs/API.md decision 3), the reclaim cap
/// is ours (100, upstream's default too), and the required capabilities are also kept as
/// upstream's routing requirements.
pub fn policy(e: &ExecRow, capabilities: &[String]) -> Result<Value, String> {
    let retry = e.retry_policy.clone().unwrap_or_default();
    let backoff = match retry.backoff {
        Backoff::Fixed { delay_ms } => BackoffStrategy::Fixed { delay_ms },
        Backoff::Exponential { initial_delay_ms, max_delay_ms, multiplier } => {
            BackoffStrategy::Exponential { initial_delay_ms, max_delay_ms, multiplier, jitter: false }
        }
    };
    let mut policy = ExecutionPolicy {
        priority: priority(e)?,
        retry_policy: Some(RetryPolicy {
            max_retries: retry.max_retries,
            backoff,
            retryable_categories: Vec::new(),
        }),
        max_reclaim_count: RECLAIM_CAP,
        ..ExecutionPolicy::default()
    };
    if !capabilities.is_empty() {
        let required_capabilities = capabilities.iter().cloned().collect();
        policy.routing_requirements =
            Some(RoutingRequirements { required_capabilities, ..Default::default() });
    }
    serde_json::to_value(&policy).map_err(|err| format!("execution {}: policy: {err}", e.id))
}

/// `ff_exec_core.priority` is an `integer`; ours was checked to fit when it was created.
pub fn priority(e: &ExecRow) -> Result<i32, String> {
    i32::try_from(e.priority)
        .map_err(|_| format!("execution {}: priority {} is out of range", e.id, e.priority))
}

/// `ff_exec_core.raw_fields`: ours already uses upstream's keys (namespace, execution_kind,
/// creator_identity, tags, last_mutation_at, retry_count, last_failure_message, progress_pct,
/// progress_message, lease_expired_at_ms). Added: the defaults our reads assume, the attempt
/// count upstream's describe reports (ours never updated it), and when the row graduated.
pub fn raw_fields(e: &ExecRow, attempts_started: u32, graduated_at: i64) -> Value {
    let mut raw = e.raw_fields.clone();
    raw.entry("namespace").or_insert_with(|| json!("default"));
    raw.entry("execution_kind").or_insert_with(|| json!("task"));
    raw.entry("tags").or_insert_with(|| json!({}));
    raw.entry("last_mutation_at").or_insert_with(|| json!(e.created_at_ms.to_string()));
    raw.insert("total_attempt_count".into(), json!(attempts_started.to_string()));
    raw.insert("graduated_at".into(), json!(graduated_at.to_string()));
    Value::Object(raw)
}

/// `ff_attempt.outcome`: our literals are upstream's (`success`, `retry`, `failed`,
/// `cancelled`, and `interrupted_reclaimed`, which its RFC-024 reclaim writes). An attempt still
/// live has none, and cannot graduate.
pub fn attempt_outcome(a: &AttemptRow) -> Result<&'static str, String> {
    a.outcome
        .map(|o| o.as_str())
        .ok_or_else(|| format!("attempt {} of execution {} is still live", a.attempt_index, a.execution_id))
}

/// `ff_attempt.raw_fields`: the lease ttl, which upstream keeps only in its handles.
pub fn attempt_raw_fields(a: &AttemptRow) -> Value {
    json!({ "lease_ttl_ms": a.lease_ttl_ms.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::host::ManualHost;
    use crate::model::{CancelTarget, ClaimSpec, CreateSpec, FailClass, RetryPolicy as OurRetry};
    use crate::store::Store;
    use std::rc::Rc;

    const T0: i64 = 1_780_000_000_000;

    fn engine() -> (Engine, Rc<ManualHost>) {
        let host = Rc::new(ManualHost::new(T0));
        (Engine::new(Store::open_memory(None).unwrap(), Box::new(host.clone())), host)
    }

    fn create(e: &Engine, spec: CreateSpec) -> String {
        e.create_execution(&spec).unwrap().execution_id
    }

    fn claim(e: &Engine, ttl: i64) -> String {
        let spec = ClaimSpec {
            lane: "default".into(),
            capabilities: vec!["gpu".into()],
            worker_id: "w".into(),
            worker_instance_id: "w-1".into(),
            lease_ttl_ms: ttl,
        };
        e.claim(&spec).unwrap().expect("work").token
    }

    fn row(e: &Engine, id: &str) -> ExecRow {
        e.inspect_execution(id).unwrap().unwrap().0
    }

    fn literals(s: &PgState) -> [&str; 5] {
        [s.lifecycle_phase, s.ownership_state, s.eligibility_state, s.public_state, s.attempt_state]
    }

    #[test]
    fn waiting_delayed_and_due_executions() {
        let (e, host) = engine();
        let waiting = create(&e, CreateSpec::default());
        let delayed = create(&e, CreateSpec { delay_until_ms: Some(T0 + 60_000), ..Default::default() });
        let s = state(&row(&e, &waiting), T0).unwrap();
        assert_eq!(literals(&s), ["runnable", "unowned", "eligible_now", "waiting", "pending_first_attempt"]);
        let s = state(&row(&e, &delayed), T0).unwrap();
        assert_eq!(
            literals(&s),
            ["runnable", "unowned", "not_eligible_until_time", "delayed", "pending_first_attempt"]
        );
        assert_eq!(
            (s.blocking_reason.as_deref(), s.deadline_at_ms),
            (Some("waiting_for_delay"), Some(T0 + 60_000))
        );
        host.set(T0 + 60_000);
        let due = state(&row(&e, &delayed), T0 + 60_000).unwrap();
        assert_eq!(
            (due.eligibility_state, due.public_state, due.deadline_at_ms),
            ("eligible_now", "waiting", None)
        );
    }

    #[test]
    fn retries_failures_and_interruptions() {
        let (e, host) = engine();
        let fixed = OurRetry { max_retries: 1, backoff: Backoff::Fixed { delay_ms: 5_000 } };
        let id = create(&e, CreateSpec { retry_policy: Some(fixed), ..Default::default() });
        e.fail(&claim(&e, 30_000), "boom", FailClass::Transient).unwrap();
        let s = state(&row(&e, &id), T0).unwrap();
        assert_eq!(
            (s.attempt_state, s.attempt_index, s.deadline_at_ms),
            ("pending_retry_attempt", 1, Some(T0 + 5_000))
        );
        assert_eq!(s.blocking_reason.as_deref(), Some("waiting_for_retry_backoff"));
        host.set(T0 + 5_000);
        e.fail(&claim(&e, 30_000), "boom", FailClass::Transient).unwrap();
        let s = state(&row(&e, &id), T0 + 5_000).unwrap();
        assert_eq!(literals(&s), ["terminal", "unowned", "not_applicable", "failed", "attempt_terminal"]);

        let interrupted = create(&e, CreateSpec::default());
        claim(&e, 1_000);
        host.advance(2_000);
        assert_eq!(e.reclaim_expired().unwrap(), 1);
        let s = state(&row(&e, &interrupted), host.get()).unwrap();
        assert_eq!(
            (s.attempt_state, s.attempt_index, s.eligibility_state),
            ("attempt_interrupted", 1, "eligible_now")
        );
    }

    #[test]
    fn completed_and_cancelled_executions() {
        let (e, _) = engine();
        let done = create(&e, CreateSpec::default());
        e.complete(&claim(&e, 30_000), Some(b"ok".to_vec())).unwrap();
        assert_eq!(state(&row(&e, &done), T0).unwrap().public_state, "completed");
        let cancelled = create(&e, CreateSpec::default());
        e.cancel(&CancelTarget::Execution(cancelled.clone()), Some("no")).unwrap();
        let s = state(&row(&e, &cancelled), T0).unwrap();
        assert_eq!(literals(&s), ["cancelled", "unowned", "not_applicable", "cancelled", "cancelled"]);
    }

    #[test]
    fn a_live_lease_does_not_map() {
        let (e, _) = engine();
        let id = create(&e, CreateSpec::default());
        claim(&e, 30_000);
        assert!(state(&row(&e, &id), T0).unwrap_err().contains("active"));
        let attempt = e.inspect_execution(&id).unwrap().unwrap().1.unwrap();
        assert!(attempt_outcome(&attempt).unwrap_err().contains("still live"));
    }

    #[test]
    fn policy_keeps_the_applied_retry_policy_and_the_capabilities() {
        let (e, _) = engine();
        let id = create(&e, CreateSpec { priority: 7, ..Default::default() });
        let p = policy(&row(&e, &id), &["gpu".into(), "fast".into()]).unwrap();
        let back: ExecutionPolicy = serde_json::from_value(p).unwrap();
        assert_eq!(back.priority, 7);
        let retry = back.retry_policy.unwrap();
        assert_eq!(retry.max_retries, 3, "our default policy, made explicit");
        assert_eq!(
            retry.backoff,
            BackoffStrategy::Exponential {
                initial_delay_ms: 1000,
                max_delay_ms: 60_000,
                multiplier: 2.0,
                jitter: false
            }
        );
        let caps = back.routing_requirements.unwrap().required_capabilities;
        assert_eq!(caps.into_iter().collect::<Vec<_>>(), ["fast", "gpu"]);
        assert_eq!(back.max_reclaim_count, RECLAIM_CAP);
    }

    #[test]
    fn raw_fields_add_the_attempt_count_and_keep_ours() {
        let (e, _) = engine();
        let mut spec = CreateSpec::default();
        spec.tags.insert("customer".into(), "acme".into());
        let id = create(&e, spec);
        let raw = raw_fields(&row(&e, &id), 2, T0 + 1);
        assert_eq!(raw["total_attempt_count"], "2");
        assert_eq!(raw["graduated_at"], (T0 + 1).to_string());
        assert_eq!(raw["tags"]["customer"], "acme");
        assert_eq!(
            (raw["namespace"].as_str(), raw["last_mutation_at"].as_str()),
            (Some("default"), Some(&*T0.to_string()))
        );
    }
}
