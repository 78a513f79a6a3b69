//! The hot path (behaviour spec §6.1): claim, renew, progress, complete, fail with retry,
//! cancel, lease expiry and reclaim, and the fencing errors of each handle operation.

use crate::common::*;
use ff_core::backend::{FailOutcome, FailureClass, FailureReason, Frame, FrameKind, HandleKind};
use ff_core::contracts::{CancelExecutionArgs, CancelExecutionResult, StreamCursor};
use ff_core::engine_error::{ContentionKind, EngineError, StateKind, ValidationKind};
use ff_core::state::{LifecyclePhase, OwnershipState, PublicState, TerminalOutcome};
use ff_core::types::{AttemptIndex, CancelSource, TimestampMs};

fn frame(text: &str) -> Frame {
    Frame::new(text.as_bytes().to_vec(), FrameKind::Stdout)
}

fn lease_conflict(e: &EngineError) -> bool {
    matches!(e, EngineError::Contention(ContentionKind::LeaseConflict))
}

fn operator_cancel(id: &ff_core::types::ExecutionId) -> CancelExecutionArgs {
    CancelExecutionArgs {
        execution_id: id.clone(),
        reason: "operator says stop".into(),
        source: CancelSource::OperatorOverride,
        lease_id: None,
        lease_epoch: None,
        attempt_id: None,
        now: TimestampMs::from_millis(T0),
    }
}

#[test]
fn claim_happy_path_mints_handle_and_transitions_state() {
    run(async {
        let (b, _) = backend().await;
        let id = create(&b, "default").await;
        let h = claim(&b, "default").await;
        assert_eq!((h.backend, h.kind), (ff_core::backend::BackendTag::Sqlite, HandleKind::Fresh));
        let info = b.read_execution_info(&id).await.unwrap().unwrap();
        assert_eq!(info.state_vector.lifecycle_phase, LifecyclePhase::Active);
        assert_eq!(info.state_vector.ownership_state, OwnershipState::Leased);
        assert_eq!((info.public_state, info.current_attempt_index), (PublicState::Active, 0));
        assert_eq!(info.started_at.as_deref(), Some(T0.to_string().as_str()));
    })
}

#[test]
fn claim_returns_none_when_no_eligible_rows() {
    run(async {
        let (b, _) = backend().await;
        assert!(claim_caps(&b, "default", &[]).await.is_none());
        create(&b, "other-lane").await;
        assert!(claim_caps(&b, "default", &[]).await.is_none(), "claims are per lane");
    })
}

#[test]
fn claim_capability_mismatch_skips_and_returns_none() {
    run(async {
        let (b, _) = backend().await;
        let id = create_with(&b, with_caps(create_args(&new_id(), "caps"), &["capA", "capB"])).await;
        assert!(claim_caps(&b, "caps", &["capA"]).await.is_none());
        assert_eq!(b.read_execution_state(&id).await.unwrap(), Some(PublicState::Waiting));
        assert!(claim_caps(&b, "caps", &["capB", "capA", "extra"]).await.is_some());
    })
}

#[test]
fn claim_walks_past_capability_mismatch_to_match_lower_priority() {
    run(async {
        let (b, _) = backend().await;
        let mut high = with_caps(create_args(&new_id(), "prio"), &["capB"]);
        high.priority = 10;
        let high = create_with(&b, high).await;
        let low = create_with(&b, with_caps(create_args(&new_id(), "prio"), &["capA"])).await;
        let h = claim_caps(&b, "prio", &["capA"]).await.expect("the low-priority match");
        assert_eq!(b.read_execution_state(&low).await.unwrap(), Some(PublicState::Active));
        assert_eq!(b.read_execution_state(&high).await.unwrap(), Some(PublicState::Waiting));
        b.complete(&h, None).await.unwrap();
    })
}

#[test]
fn complete_writes_terminal_and_a_replay_is_not_active() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        b.complete(&h, Some(b"done".to_vec())).await.unwrap();
        let info = b.read_execution_info(&id).await.unwrap().unwrap();
        assert_eq!(info.state_vector.terminal_outcome, TerminalOutcome::Success);
        assert_eq!(info.public_state, PublicState::Completed);
        assert_eq!(b.get_execution_result(&id).await.unwrap().as_deref(), Some(&b"done"[..]));
        let payload = ff_core::handle_codec::decode(&h.opaque).unwrap().payload;
        match b.complete(&h, None).await.unwrap_err() {
            EngineError::Contention(ContentionKind::ExecutionNotActive {
                terminal_outcome,
                lease_epoch,
                lifecycle_phase,
                attempt_id,
            }) => {
                assert_eq!((terminal_outcome.as_str(), lifecycle_phase.as_str()), ("success", "terminal"));
                assert_eq!((lease_epoch, attempt_id), ("1".to_string(), payload.attempt_id.to_string()));
            }
            other => panic!("expected ExecutionNotActive, got {other:?}"),
        }
    })
}

#[test]
fn fence_mismatch_is_lease_conflict_for_every_handle_operation_and_changes_nothing() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let mut decoded = ff_core::handle_codec::decode(&h.opaque).unwrap();
        decoded.payload.lease_epoch = ff_core::types::LeaseEpoch::new(999);
        let opaque = ff_core::handle_codec::encode(decoded.tag, &decoded.payload);
        let stale = ff_core::backend::Handle::new(h.backend, h.kind, opaque);
        assert!(lease_conflict(&b.renew(&stale).await.unwrap_err()));
        assert!(lease_conflict(&b.progress(&stale, Some(10), None).await.unwrap_err()));
        assert!(lease_conflict(&b.append_frame(&stale, frame("x")).await.unwrap_err()));
        assert!(lease_conflict(&b.complete(&stale, None).await.unwrap_err()));
        let reason = FailureReason::new("x");
        assert!(lease_conflict(&b.fail(&stale, reason, FailureClass::Permanent).await.unwrap_err()));
        assert!(lease_conflict(&b.cancel(&stale, "x").await.unwrap_err()));
        // The genuine handle still works: nothing was written.
        let read =
            b.read_stream(&id, AttemptIndex(0), StreamCursor::Start, StreamCursor::End, 10).await.unwrap();
        assert!(read.frames.is_empty());
        b.complete(&h, None).await.unwrap();
    })
}

#[test]
fn fail_transient_schedules_retry_and_reruns_runnable() {
    run(async {
        let (b, clock) = backend().await;
        let id = create_with(&b, with_retries(create_args(&new_id(), "retry"), 1, 500)).await;
        let h0 = claim(&b, "retry").await;
        let outcome = b.fail(&h0, FailureReason::new("upstream 503"), FailureClass::Transient).await.unwrap();
        assert_eq!(outcome, FailOutcome::RetryScheduled { delay_until: TimestampMs::from_millis(T0 + 500) });
        assert_eq!(b.read_execution_state(&id).await.unwrap(), Some(PublicState::Delayed));
        assert_eq!(b.read_current_attempt_index(&id).await.unwrap(), AttemptIndex(1));
        assert!(claim_caps(&b, "retry", &[]).await.is_none(), "backing off");
        clock.advance(500);
        let h1 = claim(&b, "retry").await;
        let payload = ff_core::handle_codec::decode(&h1.opaque).unwrap().payload;
        assert_eq!((payload.attempt_index, payload.lease_epoch.0), (AttemptIndex(1), 1));
        // The policy allowed one retry: the second failure is final.
        let last = b.fail(&h1, FailureReason::new("again"), FailureClass::Transient).await.unwrap();
        assert_eq!(last, FailOutcome::TerminalFailed);
        assert_eq!(b.read_execution_state(&id).await.unwrap(), Some(PublicState::Failed));
    })
}

#[test]
fn fail_permanent_writes_terminal_failed() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        let outcome = b.fail(&h, FailureReason::new("bad input"), FailureClass::Permanent).await.unwrap();
        assert_eq!(outcome, FailOutcome::TerminalFailed);
        let info = b.read_execution_info(&id).await.unwrap().unwrap();
        assert_eq!(info.state_vector.lifecycle_phase, LifecyclePhase::Terminal);
        assert_eq!(info.state_vector.terminal_outcome, TerminalOutcome::Failed);
    })
}

#[test]
fn renew_advances_lease_expiry() {
    run(async {
        let (b, clock) = backend().await;
        let (id, h) = started(&b).await;
        clock.advance(1_000);
        let renewal = b.renew(&h).await.unwrap();
        assert_eq!((renewal.expires_at_ms, renewal.lease_epoch), ((T0 + 31_000) as u64, 1));
        let lease = b.describe_execution(&id).await.unwrap().unwrap().current_lease.expect("a live lease");
        assert_eq!(lease.expires_at, TimestampMs::from_millis(T0 + 31_000));
    })
}

#[test]
fn progress_accepts_partial_updates_and_checks_the_percent() {
    run(async {
        let (b, _) = backend().await;
        let (_, h) = started(&b).await;
        b.progress(&h, Some(42), Some("halfway".into())).await.unwrap();
        b.progress(&h, None, Some("winding down".into())).await.unwrap();
        b.progress(&h, None, None).await.unwrap();
        let err = b.progress(&h, Some(101), None).await.unwrap_err();
        assert!(matches!(err, EngineError::Validation { kind: ValidationKind::InvalidInput, .. }), "{err:?}");
    })
}

#[test]
fn an_expired_lease_fences_its_handle_and_the_execution_is_reclaimed() {
    run(async {
        let (b, clock) = backend().await;
        let id = create(&b, "expiry").await;
        let caps = ff_core::backend::CapabilitySet::default();
        let lane = ff_core::types::LaneId::new("expiry");
        let old = b.claim(&lane, &caps, policy("w1", 1_000)).await.unwrap().unwrap();
        clock.advance(1_001);
        assert!(matches!(b.renew(&old).await.unwrap_err(), EngineError::State(StateKind::LeaseExpired)));
        let new = b.claim(&lane, &caps, policy("w2", 30_000)).await.unwrap().expect("reclaimed");
        assert_eq!(new.kind, HandleKind::Reclaimed);
        let payload = ff_core::handle_codec::decode(&new.opaque).unwrap().payload;
        assert_eq!((payload.attempt_index, payload.lease_epoch.0), (AttemptIndex(1), 2));
        let err = b.complete(&old, None).await.unwrap_err();
        assert!(matches!(err, EngineError::Contention(ContentionKind::ExecutionNotActive { .. })), "{err:?}");
        let err = b.append_frame(&old, frame("late")).await.unwrap_err();
        assert!(matches!(err, EngineError::State(StateKind::StreamClosed)), "{err:?}");
        let zero =
            b.read_stream(&id, AttemptIndex(0), StreamCursor::Start, StreamCursor::End, 10).await.unwrap();
        assert_eq!(zero.closed_reason.as_deref(), Some("lease_expired"));
        b.complete(&new, None).await.unwrap();
    })
}

#[test]
fn the_holder_cancels_by_handle_and_the_handle_is_then_stale() {
    run(async {
        let (b, _) = backend().await;
        let (id, h) = started(&b).await;
        b.cancel(&h, "no longer needed").await.unwrap();
        assert_eq!(b.read_execution_state(&id).await.unwrap(), Some(PublicState::Cancelled));
        assert!(lease_conflict(&b.cancel(&h, "again").await.unwrap_err()), "the epoch moved on");
        let read =
            b.read_stream(&id, AttemptIndex(0), StreamCursor::Start, StreamCursor::End, 10).await.unwrap();
        assert_eq!(read.closed_reason.as_deref(), Some("attempt_cancelled"));
    })
}

#[test]
fn the_operator_cancels_by_execution_id() {
    run(async {
        let (b, _) = backend().await;
        let waiting = create(&b, "operator").await;
        let cancelled = CancelExecutionResult::Cancelled {
            execution_id: waiting.clone(),
            public_state: PublicState::Cancelled,
        };
        assert_eq!(b.cancel_execution(operator_cancel(&waiting)).await.unwrap(), cancelled);
        assert_eq!(b.cancel_execution(operator_cancel(&waiting)).await.unwrap(), cancelled, "idempotent");
        let (done, h) = started(&b).await;
        b.complete(&h, None).await.unwrap();
        let err = b.cancel_execution(operator_cancel(&done)).await.unwrap_err();
        assert!(matches!(err, EngineError::Validation { kind: ValidationKind::InvalidInput, .. }), "{err:?}");
        let missing = b.cancel_execution(operator_cancel(&new_id())).await.unwrap_err();
        assert!(matches!(missing, EngineError::NotFound { entity: "execution" }), "{missing:?}");
        let (live, holder) = started(&b).await;
        let as_holder = CancelExecutionArgs { source: CancelSource::LeaseHolder, ..operator_cancel(&live) };
        assert!(matches!(b.cancel_execution(as_holder).await.unwrap_err(), EngineError::Validation { .. }));
        b.cancel_execution(operator_cancel(&live)).await.unwrap();
        assert!(
            lease_conflict(&b.renew(&holder).await.unwrap_err()),
            "the operator's cancel fences the holder"
        );
    })
}
