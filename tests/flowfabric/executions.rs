//! Creating and reading executions: create (duplicates, delays), describe, info, state,
//! context, tags, namespace, and `list_executions` paging in id order.

use crate::common::*;
use ff_core::contracts::{CreateExecutionResult, ListExecutionsPage};
use ff_core::engine_error::{EngineError, ValidationKind};
use ff_core::partition::{Partition, PartitionFamily, PartitionKey};
use ff_core::state::{BlockingReason, EligibilityState, PublicState};
use ff_core::types::{AttemptIndex, ExecutionId, TimestampMs};

fn invalid(e: EngineError) -> bool {
    matches!(e, EngineError::Validation { kind: ValidationKind::InvalidInput, .. })
}

fn partition(index: u16) -> PartitionKey {
    PartitionKey::from(Partition { family: PartitionFamily::Execution, index })
}

#[test]
fn create_then_describe() {
    run(async {
        let (b, clock) = backend().await;
        let mut args = create_args(&new_id(), "describe");
        args.tags.insert("customer".into(), "acme".into());
        args.namespace = ff_core::types::Namespace::new("tenant-a");
        let id = create_with(&b, args).await;
        let s = b.describe_execution(&id).await.unwrap().expect("a snapshot");
        assert_eq!((s.lane_id.as_str(), s.namespace.as_str()), ("describe", "tenant-a"));
        assert_eq!(
            (s.public_state, s.created_at, s.last_mutation_at),
            (PublicState::Waiting, TimestampMs(T0), TimestampMs(T0))
        );
        assert_eq!((s.total_attempt_count, s.current_lease.is_none()), (0, true));
        assert_eq!(s.tags.get("customer").map(String::as_str), Some("acme"));
        clock.advance(10);
        let h = claim(&b, "describe").await;
        let s = b.describe_execution(&id).await.unwrap().unwrap();
        let lease = s.current_lease.expect("the claim's lease");
        assert_eq!((lease.lease_epoch.0, lease.worker_instance_id.as_str()), (1, "w1-i1"));
        assert_eq!((lease.attempt_index, lease.expires_at), (AttemptIndex(0), TimestampMs(T0 + 10 + 30_000)));
        assert_eq!(
            (s.public_state, s.total_attempt_count, s.last_mutation_at),
            (PublicState::Active, 1, TimestampMs(T0 + 10))
        );
        b.complete(&h, None).await.unwrap();
        assert!(b.describe_execution(&id).await.unwrap().unwrap().current_lease.is_none());
        assert!(b.describe_execution(&new_id()).await.unwrap().is_none());
    })
}

#[test]
fn a_second_create_with_the_same_id_is_a_duplicate() {
    run(async {
        let (b, _) = backend().await;
        let id = new_id();
        let first = b.create_execution(create_args(&id, "dup")).await.unwrap();
        assert_eq!(
            first,
            CreateExecutionResult::Created { execution_id: id.clone(), public_state: PublicState::Waiting }
        );
        let mut changed = create_args(&id, "another-lane");
        changed.priority = 99;
        assert_eq!(
            b.create_execution(changed).await.unwrap(),
            CreateExecutionResult::Duplicate { execution_id: id.clone() }
        );
        let info = b.read_execution_info(&id).await.unwrap().unwrap();
        assert_eq!((info.lane_id.as_str(), info.priority), ("dup", 0), "nothing changed");
    })
}

#[test]
fn a_delayed_execution_becomes_claimable_at_its_time() {
    run(async {
        let (b, clock) = backend().await;
        let mut args = create_args(&new_id(), "later");
        args.delay_until = Some(TimestampMs(T0 + 1_000));
        let id = args.execution_id.clone();
        let created = b.create_execution(args).await.unwrap();
        assert_eq!(
            created,
            CreateExecutionResult::Created { execution_id: id.clone(), public_state: PublicState::Delayed }
        );
        let info = b.read_execution_info(&id).await.unwrap().unwrap();
        assert_eq!(info.state_vector.eligibility_state, EligibilityState::NotEligibleUntilTime);
        assert_eq!(info.state_vector.blocking_reason, BlockingReason::WaitingForDelay);
        assert!(claim_caps(&b, "later", &[]).await.is_none());
        clock.advance(1_000);
        let info = b.read_execution_info(&id).await.unwrap().unwrap();
        assert_eq!(
            (info.public_state, info.state_vector.eligibility_state),
            (PublicState::Waiting, EligibilityState::EligibleNow)
        );
        assert_eq!(info.state_vector.blocking_reason, BlockingReason::None);
        assert!(claim_caps(&b, "later", &[]).await.is_some());
    })
}

#[test]
fn context_tags_namespace_and_attempt_index() {
    run(async {
        let (b, _) = backend().await;
        let mut args = create_args(&new_id(), "ctx");
        args.tags.insert("app.stage".into(), "resize".into());
        let id = create_with(&b, args).await;
        let ctx = b.read_execution_context(&id).await.unwrap();
        assert_eq!((ctx.input_payload.as_slice(), ctx.execution_kind.as_str()), (&b"hello"[..], "op"));
        assert_eq!(ctx.tags.get("app.stage").map(String::as_str), Some("resize"));
        assert_eq!(b.get_execution_tag(&id, "app.stage").await.unwrap().as_deref(), Some("resize"));
        assert_eq!(b.get_execution_tag(&id, "app.missing").await.unwrap(), None);
        assert!(invalid(b.get_execution_tag(&id, "NoDot").await.unwrap_err()), "FlowFabric's tag key rule");
        assert_eq!(b.get_execution_namespace(&id).await.unwrap().as_deref(), Some("default"));
        assert_eq!(b.read_current_attempt_index(&id).await.unwrap(), AttemptIndex(0));
        let missing = new_id();
        assert!(invalid(b.read_execution_context(&missing).await.unwrap_err()));
        assert!(invalid(b.read_current_attempt_index(&missing).await.unwrap_err()));
        assert_eq!(b.get_execution_namespace(&missing).await.unwrap(), None);
        assert_eq!(b.read_execution_state(&missing).await.unwrap(), None);
        assert!(b.read_execution_info(&missing).await.unwrap().is_none());
        assert_eq!(b.get_execution_result(&missing).await.unwrap(), None);
    })
}

#[test]
fn only_partition_zero_exists() {
    run(async {
        let (b, _) = backend().await;
        let elsewhere = ExecutionId::parse("{fp:7}:00000000-0000-4000-8000-000000000001").unwrap();
        assert!(invalid(b.create_execution(create_args(&elsewhere, "p")).await.unwrap_err()));
        assert!(invalid(b.read_execution_state(&elsewhere).await.unwrap_err()));
        assert!(invalid(b.list_executions(partition(1), None, 10).await.unwrap_err()));
    })
}

#[test]
fn list_executions_pages_in_id_order() {
    run(async {
        let (b, _) = backend().await;
        let ids: Vec<ExecutionId> = (0..5).map(|_| new_id()).collect();
        // Created out of order: listing follows the ids, not creation.
        for id in ids.iter().rev() {
            create_with(&b, create_args(id, "list")).await;
        }
        let page = |cursor, limit| b.list_executions(partition(0), cursor, limit);
        let first = page(None, 2).await.unwrap();
        assert_eq!(first, ListExecutionsPage::new(ids[..2].to_vec(), Some(ids[1].clone())));
        let second = page(first.next_cursor.clone(), 2).await.unwrap();
        assert_eq!(second, ListExecutionsPage::new(ids[2..4].to_vec(), Some(ids[3].clone())));
        let last = page(second.next_cursor.clone(), 2).await.unwrap();
        assert_eq!(last, ListExecutionsPage::new(ids[4..].to_vec(), None));
        assert_eq!(page(None, 0).await.unwrap(), ListExecutionsPage::new(Vec::new(), None));
        assert_eq!(page(None, 50_000).await.unwrap().executions, ids, "a large limit is capped, not refused");
    })
}
