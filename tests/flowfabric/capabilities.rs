//! The capability match: `capabilities()` names this backend and its `Supports` flags agree
//! with the methods, each flag checked against a call (true: works; false: `Unavailable`).
//! Required methods without a meaning here return `Unavailable` naming the operation.

use crate::common::*;
use ff_core::backend::{
    CancelFlowPolicy, CancelFlowWait, Frame, FrameKind, PrepareOutcome, ScannerFilter, StreamMode,
    UsageDimensions,
};
use ff_core::contracts::{
    CancelExecutionArgs, CancelFlowArgs, ChangePriorityArgs, ListPendingWaitpointsArgs, ListWorkersArgs,
    ReplayExecutionArgs, RevokeLeaseArgs, SeedWaitpointHmacSecretArgs,
};
use ff_core::engine_error::EngineError;
use ff_core::stream_subscribe::StreamCursor;
use ff_core::types::{BudgetId, CancelSource, FlowId, LaneId, QuotaPolicyId, TimestampMs, WorkerInstanceId};
use std::time::Duration;

fn unavailable<T>(result: Result<T, EngineError>, op: &str) {
    match result {
        Err(EngineError::Unavailable { op: named }) => assert_eq!(named, op),
        Err(other) => panic!("{op}: expected Unavailable, got {other:?}"),
        Ok(_) => panic!("{op}: expected Unavailable, got a result"),
    }
}

fn available<T>(result: Result<T, EngineError>, op: &str) {
    if let Err(e) = result {
        panic!("{op} is advertised but failed: {e:?}");
    }
}

#[test]
fn identity_and_label() {
    run(async {
        let (b, clock) = backend().await;
        let caps = b.capabilities();
        assert_eq!((caps.identity.family, b.backend_label()), ("wasm", "wasm"));
        let v = caps.identity.version;
        assert_eq!((v.major, v.minor, v.patch), (0, 1, 0));
        assert_eq!(b.server_time_ms().await.unwrap(), T0 as u64, "the injected clock");
        clock.advance(250);
        assert_eq!(b.server_time_ms().await.unwrap(), T0 as u64 + 250);
        b.ping().await.unwrap();
        assert_eq!(b.prepare().await.unwrap(), PrepareOutcome::NoOp);
        assert!(b.as_any().downcast_ref::<ff_backend_wasm::flowfabric::WasmBackend>().is_some());
    })
}

#[test]
fn every_supports_flag_agrees_with_its_method() {
    run(async {
        let (b, _) = backend().await;
        let s = b.capabilities().supports;
        let (id, h) = started(&b).await;
        let now = TimestampMs::from_millis(T0);

        // Advertised: each works.
        assert!(s.read_execution_state && s.read_execution_info && s.get_execution_result);
        available(b.read_execution_state(&id).await, "read_execution_state");
        available(b.read_execution_info(&id).await, "read_execution_info");
        available(b.get_execution_result(&id).await, "get_execution_result");
        assert!(s.stream_durable_summary && s.stream_best_effort_live);
        let summary =
            Frame::new(br#"{"a":1}"#.to_vec(), FrameKind::Event).with_mode(StreamMode::durable_summary());
        available(b.append_frame(&h, summary).await, "append_frame (summary)");
        let live =
            Frame::new(b"tick".to_vec(), FrameKind::Event).with_mode(StreamMode::best_effort_live(5_000));
        available(b.append_frame(&h, live).await, "append_frame (best effort)");
        assert!(s.subscribe_completion && s.subscribe_lease_history && s.prepare);
        available(
            b.subscribe_completion(StreamCursor::empty(), &ScannerFilter::NOOP).await,
            "subscribe_completion",
        );
        available(
            b.subscribe_lease_history(StreamCursor::empty(), &ScannerFilter::NOOP).await,
            "subscribe_lease_history",
        );
        assert!(s.cancel_execution);
        let cancel = CancelExecutionArgs {
            execution_id: id.clone(),
            reason: "capability check".into(),
            source: CancelSource::OperatorOverride,
            lease_id: None,
            lease_epoch: None,
            attempt_id: None,
            now,
        };
        available(b.cancel_execution(cancel).await, "cancel_execution");

        // Not advertised: each is Unavailable.
        assert!(!s.change_priority && !s.replay_execution && !s.revoke_lease);
        let lane = LaneId::new("default");
        let priority = ChangePriorityArgs { execution_id: id.clone(), new_priority: 1, lane_id: lane, now };
        unavailable(b.change_priority(priority).await, "change_priority");
        unavailable(
            b.replay_execution(ReplayExecutionArgs { execution_id: id.clone(), now }).await,
            "replay_execution",
        );
        let revoke = RevokeLeaseArgs {
            execution_id: id.clone(),
            expected_lease_id: None,
            worker_instance_id: WorkerInstanceId::new("w1-i1"),
            reason: "x".into(),
        };
        unavailable(b.revoke_lease(revoke).await, "revoke_lease");
        assert!(!s.subscribe_signal_delivery && !s.subscribe_instance_tags);
        unavailable(
            b.subscribe_signal_delivery(StreamCursor::empty(), &ScannerFilter::NOOP).await,
            "subscribe_signal_delivery",
        );
        unavailable(b.subscribe_instance_tags(StreamCursor::empty()).await, "subscribe_instance_tags");
        assert!(!s.seed_waitpoint_hmac_secret && !s.list_pending_waitpoints);
        unavailable(
            b.seed_waitpoint_hmac_secret(SeedWaitpointHmacSecretArgs::new("k", "00")).await,
            "seed_waitpoint_hmac_secret",
        );
        unavailable(
            b.list_pending_waitpoints(ListPendingWaitpointsArgs::new(id.clone())).await,
            "list_pending_waitpoints",
        );
        assert!(
            !s.cancel_flow_header
                && !s.ack_cancel_member
                && !s.cancel_flow_wait_timeout
                && !s.cancel_flow_wait_indefinite
        );
        let flow = FlowId::new();
        let header = CancelFlowArgs {
            flow_id: flow.clone(),
            reason: "x".into(),
            cancellation_policy: "cancel_all".into(),
            now,
        };
        unavailable(b.cancel_flow_header(header).await, "cancel_flow_header");
        unavailable(b.ack_cancel_member(&flow, &id).await, "ack_cancel_member");
        unavailable(
            b.cancel_flow(&flow, CancelFlowPolicy::CancelAll, CancelFlowWait::WaitIndefinite).await,
            "cancel_flow",
        );
        assert!(
            !s.budget_admin
                && !s.quota_admin
                && !s.read_budget_usage_and_limits
                && !s.read_quota_policy_limits
        );
        unavailable(b.get_budget_status(&BudgetId::new()).await, "get_budget_status");
        unavailable(b.read_budget_usage_and_limits(&BudgetId::new()).await, "read_budget_usage_and_limits");
        unavailable(b.read_quota_policy_limits(&QuotaPolicyId::new()).await, "read_quota_policy_limits");
        assert!(!s.list_workers && !s.register_worker && !s.heartbeat_worker && !s.mark_worker_dead);
        unavailable(b.list_workers(ListWorkersArgs::new()).await, "list_workers");
        assert!(!s.claim_for_worker && !s.issue_reclaim_grant && !s.rotate_waitpoint_hmac_secret_all);
        assert!(!s.release_admission && !s.block_execution_for_admission && !s.list_expired_leases);
    })
}

#[test]
fn required_methods_without_a_meaning_here_are_unavailable() {
    run(async {
        let (b, _) = backend().await;
        let (_, h) = started(&b).await;
        unavailable(b.create_waitpoint(&h, "wp", Duration::from_secs(1)).await, "create_waitpoint");
        unavailable(b.observe_signals(&h).await, "observe_signals");
        unavailable(b.delay(&h, TimestampMs::from_millis(T0 + 1)).await, "delay");
        unavailable(b.wait_children(&h).await, "wait_children");
        unavailable(b.describe_flow(&FlowId::new()).await, "describe_flow");
        unavailable(b.report_usage(&h, &BudgetId::new(), UsageDimensions::new()).await, "report_usage");
        // None of them touched the lease.
        b.complete(&h, None).await.unwrap();
    })
}
