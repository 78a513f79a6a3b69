//! The execution lifecycle on host SQLite: the reference checklist (hot path, typed
//! complete/fail/renew, reclaim, cancel, reads), adapted to docs/API.md's decisions.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use ff_backend_wasm::engine::token;
use ff_backend_wasm::engine::RECLAIM_CAP;
use ff_backend_wasm::model::*;
use ff_backend_wasm::{Engine, ErrorCode, Store};

fn forge_epoch(h: &Handle, epoch: u64) -> String {
    let mut data = token::decode(&h.token).unwrap();
    data.lease_epoch = epoch;
    token::encode(&data)
}

fn claim_spec(worker: &str, caps: &[&str]) -> ClaimSpec {
    ClaimSpec {
        lane: "default".into(),
        capabilities: caps.iter().map(|c| c.to_string()).collect(),
        worker_id: worker.into(),
        worker_instance_id: worker.into(),
        lease_ttl_ms: 30_000,
    }
}

// ---- hot path ----

#[test]
fn claim_happy_path_mints_handle_and_transitions_state() {
    let f = fixture();
    let id = f.create(CreateSpec { capabilities: vec!["capA".into()], ..Default::default() });
    let h = f.claim_as("w1", &["capA", "capB"]).unwrap();
    assert_eq!(
        (h.execution_id.as_str(), h.attempt_index, h.lease_epoch, h.kind),
        (id.as_str(), 0, 1, HandleKind::Fresh)
    );
    let info = f.info(&id);
    assert_eq!((info.lifecycle_phase, info.public_state), (LifecyclePhase::Active, PublicState::Active));
    assert_eq!(
        f.sql_rows("SELECT outcome FROM ff_attempt WHERE attempt_index = 0"),
        vec![vec!["NULL".to_string()]]
    );
}

#[test]
fn claim_returns_none_when_no_eligible_rows() {
    let f = fixture();
    assert!(f.claim_as("w1", &[]).is_none());
}

#[test]
fn claim_capability_mismatch_skips_and_returns_none() {
    let f = fixture();
    let id = f.create(CreateSpec { capabilities: vec!["capA".into(), "capB".into()], ..Default::default() });
    assert!(f.claim_as("w1", &["capA"]).is_none());
    assert_eq!(f.info(&id).public_state, PublicState::Waiting);
}

#[test]
fn claim_capabilities_match_whole_names_only() {
    let f = fixture();
    let id = f.create(CreateSpec { capabilities: vec!["gpu".into(), "b".into()], ..Default::default() });
    // Neither a prefix, a longer name, nor names joined by the separator the claim query uses
    // (U+001F) holds "gpu" and "b".
    assert!(f.claim_as("w1", &["gp", "b"]).is_none());
    assert!(f.claim_as("w1", &["gpus", "b"]).is_none());
    assert!(f.claim_as("w1", &["gpu\u{1f}b"]).is_none());
    assert!(f.claim_as("w1", &["x\u{1f}gpu\u{1f}b\u{1f}y"]).is_none());
    assert_eq!(f.info(&id).public_state, PublicState::Waiting);
    assert_eq!(f.claim_as("w1", &["b", "other", "gpu"]).unwrap().execution_id, id);
}

#[test]
fn claim_walks_past_capability_mismatch_to_match_lower_priority() {
    let f = fixture();
    let high = f.create(CreateSpec { priority: 10, capabilities: vec!["capB".into()], ..Default::default() });
    let low = f.create(CreateSpec { priority: 0, capabilities: vec!["capA".into()], ..Default::default() });
    assert_eq!(f.claim_as("w1", &["capA"]).unwrap().execution_id, low);
    assert_eq!(f.info(&high).lifecycle_phase, LifecyclePhase::Runnable);
}

#[test]
fn claim_walks_past_many_mismatches_without_a_candidate_cap() {
    let f = fixture();
    for _ in 0..200 {
        f.create(CreateSpec { priority: 5, capabilities: vec!["gpu".into()], ..Default::default() });
    }
    let target = f.create(CreateSpec { priority: 0, ..Default::default() });
    assert_eq!(f.claim_as("cpu-worker", &[]).unwrap().execution_id, target);
    assert!(f.claim_as("cpu-worker", &[]).is_none());
    assert!(f.claim_as("gpu-worker", &["gpu"]).is_some());
}

#[test]
fn claim_orders_by_priority_then_age_then_insertion() {
    let f = fixture();
    let a = f.create(CreateSpec { priority: 1, ..Default::default() });
    f.clock.advance(10);
    let b = f.create(CreateSpec { priority: 7, ..Default::default() });
    let c = f.create(CreateSpec { priority: 7, ..Default::default() });
    f.clock.advance(10);
    let d = f.create(CreateSpec { priority: -3, ..Default::default() });
    let e = f.create(CreateSpec { priority: 7, ..Default::default() });
    let order: Vec<String> = (0..5).map(|_| f.claim().execution_id).collect();
    assert_eq!(order, vec![b, c, e, a, d]);
}

#[test]
fn claim_only_takes_its_own_lane() {
    let f = fixture();
    let id = f.create(CreateSpec { lane: "gpu-lane".into(), ..Default::default() });
    assert!(f.claim_as("w1", &[]).is_none());
    let h = f.engine.claim(&ClaimSpec { lane: "gpu-lane".into(), ..claim_spec("w1", &[]) }).unwrap().unwrap();
    assert_eq!(h.execution_id, id);
}

#[test]
fn complete_writes_terminal_and_clears_lease() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.engine.complete(&h.token, Some(b"out".to_vec())).unwrap();
    let info = f.info(&id);
    assert_eq!((info.lifecycle_phase, info.public_state), (LifecyclePhase::Terminal, PublicState::Completed));
    assert_eq!(info.terminal_outcome, Some(TerminalOutcome::Success));
    assert_eq!(info.result.as_deref(), Some(&b"out"[..]));
    assert_eq!(
        f.sql_rows("SELECT outcome, lease_expires_at_ms FROM ff_attempt"),
        vec![vec!["success".to_string(), "NULL".to_string()]]
    );
    assert_eq!(f.completion_events(), vec!["success"]);
}

#[test]
fn complete_fence_mismatch_returns_contention_and_rolls_back_cleanly() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    let err = f.engine.complete(&forge_epoch(&h, 999), None).unwrap_err();
    assert_eq!(err.code, ErrorCode::LeaseConflict);
    assert!(err.is_retryable());
    assert!(err.message.contains("999"), "{}", err.message);
    f.engine.complete(&h.token, None).unwrap();
    assert_eq!(f.info(&id).public_state, PublicState::Completed);
}

#[test]
fn handle_from_valkey_rejected_on_complete() {
    let f = fixture();
    f.create_default();
    let h = f.claim();
    let mut bytes = ff_backend_wasm::base64::decode(&h.token).unwrap();
    bytes[3] = 0x01;
    let err = f.engine.complete(&ff_backend_wasm::base64::encode(&bytes), None).unwrap_err();
    assert_eq!(err.code, ErrorCode::HandleFromOtherBackend);
    assert!(err.message.contains("Valkey"));
}

#[test]
fn forged_and_truncated_tokens_are_validation_errors() {
    let f = fixture();
    f.create_default();
    let h = f.claim();
    assert_eq!(code(f.engine.renew("")), "corruption");
    assert_eq!(code(f.engine.renew("%%%")), "corruption");
    assert_eq!(code(f.engine.renew(&h.token[..h.token.len() - 8])), "corruption");
    let mut other = token::decode(&h.token).unwrap();
    other.execution_id = ff_backend_wasm::model::ExecutionId::from_random([9; 16]);
    assert_eq!(code(f.engine.renew(&token::encode(&other))), "attempt");
}

#[test]
fn tokens_in_turn_are_each_decoded_as_themselves() {
    // The engine keeps the last decoding: alternating, forged and refused tokens must each
    // still be judged on their own text.
    let f = fixture();
    f.create_default();
    f.create_default();
    let (a, b) = (f.claim(), f.claim());
    let forged = forge_epoch(&a, 7);
    for _ in 0..2 {
        f.engine.renew(&a.token).unwrap();
        assert_eq!(code(f.engine.renew(&forged)), "lease_conflict");
        assert_eq!(code(f.engine.renew("%%%")), "corruption");
        f.engine.renew(&b.token).unwrap();
    }
    f.engine.complete(&a.token, None).unwrap();
    assert_eq!(code(f.engine.renew(&a.token)), "execution_not_active");
    f.engine.renew(&b.token).unwrap();
}

#[test]
fn fail_transient_schedules_retry_and_reruns_runnable() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    let out = f.engine.fail(&h.token, "flaky", FailClass::Transient).unwrap();
    assert_eq!(out, FailOutcome::RetryScheduled { delay_until_ms: T0 + 1000, next_attempt_index: 1 });
    let info = f.info(&id);
    assert_eq!(
        (info.lifecycle_phase, info.public_state, info.attempt_index),
        (LifecyclePhase::Runnable, PublicState::Delayed, 1)
    );
    assert_eq!(info.last_failure.as_deref(), Some("flaky"));
    assert_eq!(
        f.sql_rows("SELECT outcome FROM ff_attempt WHERE attempt_index = 0"),
        vec![vec!["retry".to_string()]]
    );
    assert!(f.claim_as("w1", &[]).is_none(), "not claimable during backoff");
    f.clock.advance(1000);
    let h2 = f.claim();
    assert_eq!((h2.attempt_index, h2.lease_epoch), (1, 1));
    assert!(f.read_all(&id, 1).frames.is_empty(), "a retry starts a new stream");
}

#[test]
fn fail_permanent_writes_terminal_failed() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    assert_eq!(
        f.engine.fail(&h.token, "bad input", FailClass::Permanent).unwrap(),
        FailOutcome::TerminalFailed
    );
    let info = f.info(&id);
    assert_eq!((info.lifecycle_phase, info.public_state), (LifecyclePhase::Terminal, PublicState::Failed));
    assert_eq!(f.completion_events(), vec!["failed"]);
    assert_eq!(f.sql_rows("SELECT outcome FROM ff_attempt"), vec![vec!["failed".to_string()]]);
}

#[test]
fn timeout_and_cancelled_classifications_never_retry() {
    for class in [FailClass::Timeout, FailClass::Cancelled, FailClass::Permanent] {
        let f = fixture();
        f.create_default();
        let h = f.claim();
        assert_eq!(f.engine.fail(&h.token, "x", class).unwrap(), FailOutcome::TerminalFailed, "{class:?}");
    }
}

#[test]
fn claim_and_complete_emit_lease_events() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.engine.complete(&h.token, None).unwrap();
    assert_eq!(f.lease_events(&id), vec!["acquired", "revoked"]);
}

#[test]
fn progress_writes_and_preserves_partial_updates() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.engine.progress(&h.token, Some(10.0), Some("starting")).unwrap();
    f.engine.progress(&h.token, Some(75.0), None).unwrap();
    let p = f.info(&id);
    assert_eq!((p.progress.percent, p.progress.message.as_deref()), (Some(75.0), Some("starting")));
    f.engine.progress(&h.token, None, Some("winding down")).unwrap();
    let p = f.info(&id);
    assert_eq!((p.progress.percent, p.progress.message.as_deref()), (Some(75.0), Some("winding down")));
}

#[test]
fn progress_partial_update_leaves_absent_field_absent_and_both_none_is_no_op() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.engine.progress(&h.token, None, None).unwrap();
    assert_eq!(f.info(&id).progress.percent, None);
    f.engine.progress(&h.token, Some(25.0), None).unwrap();
    assert_eq!(f.info(&id).progress.message, None);
    let raw = &f.sql_rows("SELECT json_type(raw_fields, '$.progress.message') FROM ff_exec_core")[0][0];
    assert_eq!(raw, "NULL", "absent, not JSON null");
}

#[test]
fn progress_rejects_out_of_range_percent() {
    let f = fixture();
    f.create_default();
    let h = f.claim();
    for bad in [-1.0, 100.5, f64::NAN, f64::INFINITY] {
        let err = f.engine.progress(&h.token, Some(bad), None).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
    }
}

#[test]
fn fence_mismatch_is_lease_conflict_for_every_handle_operation() {
    let f = fixture();
    f.create_default();
    let h = f.claim();
    let forged = forge_epoch(&h, 7);
    assert_eq!(code(f.engine.progress(&forged, Some(1.0), None)), "lease_conflict");
    assert_eq!(code(f.engine.renew(&forged)), "lease_conflict");
    assert_eq!(code(f.engine.append_frame(&forged, &FrameSpec::durable("x"))), "lease_conflict");
    assert_eq!(code(f.engine.fail(&forged, "x", FailClass::Transient)), "lease_conflict");
    assert_eq!(code(f.engine.cancel(&CancelTarget::Handle(forged), None)), "lease_conflict");
}

#[test]
fn renew_advances_lease_expiry_and_emits_event() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.clock.advance(5);
    let r = f.engine.renew(&h.token).unwrap();
    assert_eq!(r, Renewal { lease_epoch: 1, expires_at_ms: T0 + 5 + 30_000 });
    let stored = &f.sql_rows("SELECT lease_expires_at_ms FROM ff_attempt")[0][0];
    assert_eq!(stored, &r.expires_at_ms.to_string());
    assert_eq!(f.lease_events(&id), vec!["acquired", "renewed"]);
}

#[test]
fn renew_after_expiry_is_lease_expired_and_after_terminal_is_not_active() {
    let f = fixture();
    f.create_default();
    let h = f.claim();
    f.clock.advance(30_000);
    assert_eq!(code(f.engine.renew(&h.token)), "lease_expired");
    assert_eq!(code(f.engine.complete(&h.token, None)), "lease_expired");

    let g = fixture();
    g.create_default();
    let h = g.claim();
    g.engine.complete(&h.token, None).unwrap();
    assert_eq!(code(g.engine.renew(&h.token)), "execution_not_active");
}

// ---- typed complete / fail / renew, as handle operations ----

#[test]
fn second_complete_with_the_same_handle_is_contention() {
    let f = fixture();
    f.create_default();
    let h = f.claim();
    f.engine.complete(&h.token, None).unwrap();
    let err = f.engine.complete(&h.token, None).unwrap_err();
    assert_eq!(err.code, ErrorCode::ExecutionNotActive);
    assert!(err.is_retryable());
    assert_eq!(f.completion_events(), vec!["success"], "no duplicate event");
}

#[test]
fn fail_terminal_when_no_retries_left_in_the_policy() {
    let f = fixture();
    let id = f.create(CreateSpec {
        retry_policy: Some(RetryPolicy { max_retries: 0, backoff: Backoff::Fixed { delay_ms: 10 } }),
        ..Default::default()
    });
    let h = f.claim();
    assert_eq!(f.engine.fail(&h.token, "boom", FailClass::Transient).unwrap(), FailOutcome::TerminalFailed);
    assert_eq!(f.info(&id).public_state, PublicState::Failed);
    assert_eq!(f.completion_events(), vec!["failed"]);
}

#[test]
fn fail_schedules_fixed_backoff_retries_until_the_budget_is_spent() {
    let f = fixture();
    let id = f.create(CreateSpec {
        retry_policy: Some(RetryPolicy { max_retries: 3, backoff: Backoff::Fixed { delay_ms: 500 } }),
        ..Default::default()
    });
    for n in 1..=3u32 {
        let h = f.claim();
        let out = f.engine.fail(&h.token, "again", FailClass::InfraCrash).unwrap();
        assert_eq!(
            out,
            FailOutcome::RetryScheduled { delay_until_ms: f.clock.get() + 500, next_attempt_index: n }
        );
        assert_eq!(
            f.sql_rows("SELECT json_extract(raw_fields, '$.retry_count') FROM ff_exec_core")[0][0],
            n.to_string()
        );
        f.clock.advance(500);
    }
    let h = f.claim();
    assert_eq!(f.engine.fail(&h.token, "last", FailClass::Transient).unwrap(), FailOutcome::TerminalFailed);
    assert_eq!(f.info(&id).attempt_index, 3);
}

#[test]
fn default_policy_backs_off_exponentially_then_fails() {
    let f = fixture();
    let id = f.create_default();
    let mut delays = Vec::new();
    loop {
        let h = f.claim();
        match f.engine.fail(&h.token, "x", FailClass::Transient).unwrap() {
            FailOutcome::RetryScheduled { delay_until_ms, .. } => {
                delays.push(delay_until_ms - f.clock.get());
                f.clock.set(delay_until_ms);
            }
            FailOutcome::TerminalFailed => break,
        }
    }
    assert_eq!(delays, vec![1000, 2000, 4000]);
    assert_eq!(f.info(&id).public_state, PublicState::Failed);
}

// ---- lease expiry and reclaim ----

#[test]
fn expired_lease_is_reclaimed_by_the_next_claim_at_a_new_attempt_index() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.append(&h, "before expiry");
    f.clock.advance(30_001);
    let h2 = f.claim_as("w2", &[]).expect("reclaimed");
    assert_eq!((h2.kind, h2.attempt_index, h2.lease_epoch), (HandleKind::Reclaimed, 1, 2));
    let info = f.info(&id);
    assert_eq!((info.lease_reclaim_count, info.attempt_index), (1, 1));
    assert_eq!(
        f.sql_rows("SELECT attempt_index, outcome FROM ff_attempt ORDER BY attempt_index"),
        vec![vec!["0".to_string(), "interrupted_reclaimed".into()], vec!["1".to_string(), "NULL".into()]]
    );
    let old = f.read_all(&id, 0);
    assert_eq!(old.closed_reason.as_deref(), Some("lease_expired"));
    assert_eq!(payloads(&old), vec!["before expiry"]);
    assert_eq!(code(f.engine.complete(&h.token, None)), "execution_not_active");
    assert_eq!(code(f.engine.append_frame(&h.token, &FrameSpec::durable("late"))), "stream_closed");
    assert_eq!(f.lease_events(&id), vec!["acquired", "expired", "reclaimed"]);
}

#[test]
fn reclaim_expired_reports_how_many_and_live_leases_are_untouched() {
    let f = fixture();
    f.create_default();
    f.create_default();
    let a = f.claim();
    f.clock.advance(10_000);
    let b = f.claim();
    assert_eq!(f.engine.reclaim_expired().unwrap(), 0);
    f.clock.advance(20_000); // a expires now, b has 10 s left
    assert_eq!(f.engine.reclaim_expired().unwrap(), 1);
    assert_eq!(code(f.engine.renew(&a.token)), "execution_not_active");
    f.engine.renew(&b.token).unwrap();
    assert_eq!(f.engine.reclaim_expired().unwrap(), 0);
}

#[test]
fn lease_epoch_grows_across_reclaims() {
    let f = fixture();
    f.create_default();
    let mut epochs = vec![f.claim().lease_epoch];
    for _ in 0..3 {
        f.clock.advance(30_000);
        epochs.push(f.claim().lease_epoch);
    }
    assert_eq!(epochs, vec![1, 2, 3, 4]);
}

#[test]
fn reclaim_cap_fails_the_execution() {
    let f = fixture();
    let id = f.create_default();
    f.claim();
    for n in 1..=RECLAIM_CAP {
        f.clock.advance(30_000);
        let h = f.claim();
        assert_eq!((h.kind, h.attempt_index), (HandleKind::Reclaimed, n));
    }
    f.clock.advance(30_000);
    assert_eq!(f.engine.reclaim_expired().unwrap(), 0, "failed at the cap, not made reclaimable");
    assert!(f.claim_as("w1", &[]).is_none());
    let info = f.info(&id);
    assert_eq!((info.public_state, info.lease_reclaim_count), (PublicState::Failed, RECLAIM_CAP));
    assert!(info.last_failure.unwrap().contains("reclaim"));
    assert_eq!(f.completion_events(), vec!["failed"]);
}

// ---- cancel ----

#[test]
fn operator_cancel_of_a_claimed_execution() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.engine.cancel(&CancelTarget::Execution(id.clone()), Some("stop")).unwrap();
    let info = f.info(&id);
    assert_eq!((info.lifecycle_phase, info.public_state), (LifecyclePhase::Terminal, PublicState::Cancelled));
    assert_eq!(info.terminal_outcome, Some(TerminalOutcome::Cancelled));
    assert_eq!(f.lease_events(&id), vec!["acquired", "revoked"]);
    assert_eq!(f.completion_events(), vec!["cancelled"]);
    assert_eq!(f.read_all(&id, 0).closed_reason.as_deref(), Some("attempt_cancelled"));
    assert_eq!(code(f.engine.complete(&h.token, None)), "lease_conflict");
    let row = &f.sql_rows("SELECT cancellation_reason, cancelled_by FROM ff_exec_core")[0];
    assert_eq!(row, &vec!["stop".to_string(), "operator_override".into()]);
}

#[test]
fn cancel_is_idempotent_and_works_before_any_claim() {
    let f = fixture();
    let id = f.create_default();
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    assert_eq!(f.info(&id).public_state, PublicState::Cancelled);
    assert!(f.claim_as("w1", &[]).is_none());
    assert_eq!(f.completion_events(), vec!["cancelled"]);
}

#[test]
fn lease_holder_cancels_with_its_handle() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.engine.cancel(&CancelTarget::Handle(h.token.clone()), Some("not needed")).unwrap();
    assert_eq!(f.info(&id).public_state, PublicState::Cancelled);
    assert_eq!(f.sql_rows("SELECT cancelled_by FROM ff_exec_core")[0][0], "lease_holder");
    assert_eq!(code(f.engine.cancel(&CancelTarget::Handle(h.token), None)), "lease_conflict");
}

#[test]
fn cancel_refuses_other_terminal_states_and_unknown_executions() {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    f.engine.complete(&h.token, None).unwrap();
    let err = f.engine.cancel(&CancelTarget::Execution(id), None).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("completed"), "{}", err.message);
    let missing = "{fp:0}:00000000-0000-4000-8000-000000000000".to_string();
    assert_eq!(code(f.engine.cancel(&CancelTarget::Execution(missing), None)), "execution");
}

// ---- create and reads ----

#[test]
fn create_is_idempotent_on_the_execution_id() {
    let f = fixture();
    let id = "{fp:0}:3F2504E0-4F89-41D3-9A0C-0305E82C3301";
    let first = f
        .engine
        .create_execution(&CreateSpec { execution_id: Some(id.into()), priority: 3, ..Default::default() })
        .unwrap();
    assert_eq!(
        (first.execution_id.as_str(), first.created),
        ("{fp:0}:3f2504e0-4f89-41d3-9a0c-0305e82c3301", true)
    );
    let again = f
        .engine
        .create_execution(&CreateSpec { execution_id: Some(id.into()), priority: 9, ..Default::default() })
        .unwrap();
    assert!(!again.created);
    assert_eq!(f.info(&first.execution_id).priority, 3, "nothing changed");
    assert_eq!(f.sql_rows("SELECT lane_id FROM ff_lane_registry"), vec![vec!["default".to_string()]]);
}

#[test]
fn create_stores_capabilities_tags_and_namespace() {
    let f = fixture();
    let id = f.create(CreateSpec {
        capabilities: vec!["capB".into(), "capA".into(), "capA".into()],
        namespace: "billing".into(),
        kind: "invoice".into(),
        tags: [("cairn.instance_id".to_string(), "i-1".to_string())].into(),
        ..Default::default()
    });
    assert_eq!(
        f.sql_rows("SELECT capability FROM ff_execution_capabilities ORDER BY capability"),
        vec![vec!["capA".to_string()], vec!["capB".to_string()]]
    );
    let info = f.info(&id);
    assert_eq!((info.namespace.as_str(), info.kind.as_str()), ("billing", "invoice"));
    assert_eq!(info.tags, [("cairn.instance_id".to_string(), "i-1".to_string())].into());
    f.claim_as("w", &["capA", "capB"]).unwrap();
    assert_eq!(
        f.sql_rows("SELECT namespace, instance_tag FROM ff_lease_event"),
        vec![vec!["billing".to_string(), "i-1".into()]]
    );
}

#[test]
fn create_rejects_bad_input_naming_the_value() {
    let f = fixture();
    let bad = [
        CreateSpec { execution_id: Some("nope".into()), ..Default::default() },
        CreateSpec { lane: "".into(), ..Default::default() },
        CreateSpec { priority: 1 << 40, ..Default::default() },
        CreateSpec { delay_until_ms: Some(-5), ..Default::default() },
        CreateSpec { capabilities: vec!["a\u{0}b".into()], ..Default::default() },
        CreateSpec {
            retry_policy: Some(RetryPolicy {
                max_retries: 1,
                backoff: Backoff::Exponential { initial_delay_ms: 1, max_delay_ms: 1, multiplier: 0.5 },
            }),
            ..Default::default()
        },
    ];
    for spec in bad {
        let err = f.engine.create_execution(&spec).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{spec:?}");
    }
    assert!(f.sql_rows("SELECT * FROM ff_exec_core").is_empty(), "nothing written");
}

#[test]
fn claim_rejects_bad_options() {
    let f = fixture();
    for spec in [
        ClaimSpec { lease_ttl_ms: 0, ..claim_spec("w", &[]) },
        ClaimSpec { lease_ttl_ms: -5, ..claim_spec("w", &[]) },
        ClaimSpec { worker_id: "".into(), ..claim_spec("w", &[]) },
    ] {
        assert_eq!(f.engine.claim(&spec).unwrap_err().code, ErrorCode::InvalidInput);
    }
}

#[test]
fn delayed_executions_become_claimable_at_their_time() {
    let f = fixture();
    let id = f.create(CreateSpec { delay_until_ms: Some(T0 + 5_000), ..Default::default() });
    assert_eq!(f.info(&id).public_state, PublicState::Delayed);
    f.clock.advance(4_999);
    assert!(f.claim_as("w1", &[]).is_none());
    f.clock.advance(1);
    assert_eq!(f.info(&id).public_state, PublicState::Waiting);
    assert_eq!(f.claim().execution_id, id);
}

#[test]
fn reads_follow_the_execution_through_its_life() {
    let f = fixture();
    assert!(f.engine.get_execution("{fp:0}:00000000-0000-4000-8000-000000000000").unwrap().is_none());
    assert_eq!(f.engine.get_execution("garbage").unwrap_err().code, ErrorCode::InvalidInput);
    let id = f.create(CreateSpec { payload: Some(b"in".to_vec()), ..Default::default() });
    let fresh = f.info(&id);
    assert_eq!(
        (fresh.public_state, fresh.started_at_ms, fresh.result.clone()),
        (PublicState::Waiting, None, None)
    );
    assert_eq!(fresh.payload.as_deref(), Some(&b"in"[..]));
    f.clock.advance(7);
    let h = f.claim();
    let active = f.info(&id);
    assert_eq!(
        (active.public_state, active.started_at_ms, active.terminal_outcome),
        (PublicState::Active, Some(T0 + 7), None)
    );
    f.engine.fail(&h.token, "x", FailClass::Transient).unwrap();
    f.clock.advance(5_000);
    f.claim();
    assert_eq!(f.info(&id).started_at_ms, Some(T0 + 7), "set once");
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    let done = f.info(&id);
    assert_eq!(
        (done.lifecycle_phase, done.terminal_outcome, done.terminal_at_ms),
        (LifecyclePhase::Terminal, Some(TerminalOutcome::Cancelled), Some(T0 + 5_007))
    );
}

#[test]
fn the_injected_clock_drives_every_timestamp() {
    let f = fixture();
    f.clock.set(42_000);
    let id = f.create_default();
    f.clock.set(43_000);
    let h = f.claim();
    f.clock.set(44_000);
    let a = f.append(&h, "x");
    f.engine.complete(&h.token, None).unwrap();
    let info = f.info(&id);
    assert_eq!(
        (info.created_at_ms, info.started_at_ms, info.terminal_at_ms),
        (42_000, Some(43_000), Some(44_000))
    );
    assert_eq!(a.id, "44000-0");
    assert_eq!(
        f.sql_rows("SELECT lease_ttl_ms, started_at_ms FROM ff_attempt")[0],
        vec!["30000".to_string(), "43000".into()]
    );
}

#[test]
fn an_image_with_a_negative_schema_version_is_refused_not_a_crash() {
    let f = fixture();
    f.create_default();
    let mut image = f.engine.export_image().unwrap();
    image[60..64].copy_from_slice(&(-1i32).to_be_bytes()); // user_version: a signed field
    let err = Store::open_memory(Some(&image)).err().expect("refused");
    assert_eq!((err.kind().as_str(), err.code), ("storage", ErrorCode::StorageUnavailable));
    assert!(err.message.contains("-1"), "{}", err.message);
}

#[test]
fn export_image_round_trips_into_a_new_store() {
    let f = fixture();
    let id = f.create(CreateSpec { payload: Some(b"keep me".to_vec()), ..Default::default() });
    let h = f.claim();
    f.append(&h, "frame");
    let image = f.engine.export_image().unwrap();
    assert!(image.starts_with(b"SQLite format 3\0"));
    let copy = Engine::new(
        Store::open_memory(Some(&image)).unwrap(),
        Box::new(ff_backend_wasm::ManualHost::new(T0)),
    );
    let info = copy.get_execution(&id).unwrap().unwrap();
    assert_eq!(info.payload.as_deref(), Some(&b"keep me"[..]));
    assert_eq!(copy.read_stream(&id, 0, &ReadSpec::default()).unwrap().frames.len(), 1);
    let bad = Store::open_memory(Some(b"not a database at all")).err().unwrap();
    assert_eq!(bad.code, ErrorCode::InvalidInput);
}

#[test]
fn closed_engine_rejects_every_call() {
    let f = fixture();
    let id = f.create_default();
    assert!(f.engine.close().is_some());
    assert!(f.engine.close().is_none(), "idempotent");
    assert_eq!(code(f.engine.get_execution(&id)), "closed");
    assert_eq!(code(f.engine.create_execution(&CreateSpec::default())), "closed");
    assert_eq!(code(f.engine.export_image()), "closed");
}
