//! Listing executions and following the outboxes on host SQLite: `listExecutions` pages,
//! `completions()` and `leaseHistory()` followers (replay, resume, from now, filters, release,
//! fan-out), and the outbox matrix each operation writes.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use ff_backend_wasm::engine::{Feed, Follower};
use ff_backend_wasm::model::*;
use std::pin::pin;
use std::task::Poll;

fn list(f: &Fixture, spec: ListSpec) -> ExecutionPage {
    f.engine.list_executions(&spec).unwrap()
}

fn ids(page: &ExecutionPage) -> Vec<String> {
    page.executions.iter().map(|e| e.execution_id.clone()).collect()
}

/// Everything a follower yields right now, without waiting.
fn drain<F: Feed>(f: &Fixture, follower: &Follower<F>) -> Vec<F::Item> {
    let mut out = Vec::new();
    loop {
        let mut next = pin!(follower.next(&f.engine));
        match poll_once(next.as_mut()) {
            Poll::Ready(Ok(Some(item))) => out.push(item),
            Poll::Ready(Ok(None)) | Poll::Pending => return out,
            Poll::Ready(Err(e)) => panic!("{e}"),
        }
    }
}

fn completions(f: &Fixture, after: Option<&str>) -> Follower<ff_backend_wasm::engine::CompletionFeed> {
    f.engine
        .follow_completions(&CompletionsSpec { after: after.map(Into::into), ..Default::default() })
        .unwrap()
}

// ---- listExecutions ----

#[test]
fn list_executions_pages_in_creation_order_with_an_opaque_cursor() {
    let f = fixture();
    let created: Vec<String> =
        (0..7).map(|i| f.create(CreateSpec { priority: i % 3, ..Default::default() })).collect();
    let first = list(&f, ListSpec { limit: 3, ..Default::default() });
    assert_eq!(ids(&first), created[..3]);
    let second = list(&f, ListSpec { limit: 3, after: first.next_cursor.clone(), ..Default::default() });
    assert_eq!(ids(&second), created[3..6]);
    let last = list(&f, ListSpec { limit: 3, after: second.next_cursor.clone(), ..Default::default() });
    assert_eq!(ids(&last), created[6..]);
    assert_eq!(last.next_cursor, None, "null on the last page");
    let exact = list(&f, ListSpec { limit: 7, ..Default::default() });
    assert_eq!((exact.executions.len(), exact.next_cursor), (7, None), "no empty extra page");
}

#[test]
fn list_executions_is_stable_under_concurrent_inserts() {
    let f = fixture();
    let a = f.create_default();
    let b = f.create_default();
    let page = list(&f, ListSpec { limit: 1, ..Default::default() });
    assert_eq!(ids(&page), vec![a.clone()]);
    let c = f.create_default();
    let rest = list(&f, ListSpec { limit: 100, after: page.next_cursor, ..Default::default() });
    assert_eq!(ids(&rest), vec![b, c], "nothing at or before the cursor reappears; later ones do");
}

#[test]
fn list_executions_filters_by_lane_and_public_state() {
    let f = fixture();
    let gpu = f.create(CreateSpec { lane: "gpu".into(), ..Default::default() });
    let cpu = f.create_default();
    let delayed = f.create(CreateSpec { delay_until_ms: Some(T0 + 5_000), ..Default::default() });
    let done = f.create(CreateSpec { priority: 9, ..Default::default() });
    let h = f.claim();
    assert_eq!(h.execution_id, done);
    f.engine.complete(&h.token, None).unwrap();
    let lane = |l: &str| ids(&list(&f, ListSpec { lane: Some(l.into()), ..Default::default() }));
    assert_eq!(lane("gpu"), vec![gpu.clone()]);
    assert_eq!(lane("default"), vec![cpu.clone(), delayed.clone(), done.clone()]);
    let state = |s| ids(&list(&f, ListSpec { public_state: Some(s), ..Default::default() }));
    assert_eq!(state(PublicState::Waiting), vec![gpu.clone(), cpu.clone()]);
    assert_eq!(state(PublicState::Delayed), vec![delayed.clone()]);
    assert_eq!(state(PublicState::Completed), vec![done]);
    f.clock.advance(5_000);
    assert_eq!(state(PublicState::Waiting), vec![gpu, cpu, delayed], "a delay that passed reads as waiting");
    assert!(state(PublicState::Delayed).is_empty());
}

#[test]
fn list_executions_rejects_bad_limits_and_cursors() {
    let f = fixture();
    for limit in [0, 1001, -1] {
        let err = f.engine.list_executions(&ListSpec { limit, ..Default::default() }).unwrap_err();
        assert!(err.message.contains("limit"), "{}", err.message);
    }
    for after in ["x", "-1", "", "1.5"] {
        let spec = ListSpec { after: Some(after.into()), ..Default::default() };
        assert_eq!(code(f.engine.list_executions(&spec)), "invalid_input", "{after}");
    }
}

// ---- completions ----

#[test]
fn every_terminal_outcome_appears_in_completions_exactly_once() {
    let f = fixture();
    let replay = completions(&f, Some("0"));
    let ok = f.create(CreateSpec { priority: 3, ..Default::default() });
    let failed = f.create(CreateSpec {
        priority: 2,
        retry_policy: Some(RetryPolicy { max_retries: 0, backoff: Backoff::Fixed { delay_ms: 0 } }),
        ..Default::default()
    });
    let cancelled = f.create(CreateSpec { priority: 1, ..Default::default() });
    let h = f.claim();
    f.engine.complete(&h.token, None).unwrap();
    let h = f.claim();
    assert_eq!(f.engine.fail(&h.token, "boom", FailClass::Transient).unwrap(), FailOutcome::TerminalFailed);
    f.engine.cancel(&CancelTarget::Execution(cancelled.clone()), None).unwrap();
    f.engine.cancel(&CancelTarget::Execution(cancelled.clone()), None).unwrap(); // idempotent: no second event
    let seen: Vec<(String, TerminalOutcome)> =
        drain(&f, &replay).into_iter().map(|e| (e.execution_id, e.outcome)).collect();
    assert_eq!(
        seen,
        vec![
            (ok, TerminalOutcome::Success),
            (failed, TerminalOutcome::Failed),
            (cancelled, TerminalOutcome::Cancelled)
        ]
    );
}

#[test]
fn completions_from_now_replay_and_resume() {
    let f = fixture();
    let early = f.create_default();
    f.engine.cancel(&CancelTarget::Execution(early.clone()), None).unwrap();
    let from_now = completions(&f, None);
    let replay = completions(&f, Some("0"));
    let later = f.create_default();
    f.engine.cancel(&CancelTarget::Execution(later.clone()), None).unwrap();
    let now_seen = drain(&f, &from_now);
    assert_eq!(now_seen.iter().map(|e| &e.execution_id).collect::<Vec<_>>(), vec![&later]);
    let all = drain(&f, &replay);
    assert_eq!(all.iter().map(|e| &e.execution_id).collect::<Vec<_>>(), vec![&early, &later]);
    let resumed = completions(&f, Some(&all[0].cursor));
    assert_eq!(drain(&f, &resumed).iter().map(|e| &e.execution_id).collect::<Vec<_>>(), vec![&later]);
    assert!(drain(&f, &completions(&f, Some(&all[1].cursor))).is_empty());
    assert_eq!(all[1].at_ms, T0);
    assert_eq!((all[1].lane.as_str(), all[1].namespace.as_str()), ("default", "default"));
}

#[test]
fn completions_filter_by_lane_and_namespace() {
    let f = fixture();
    let spec = |lane: Option<&str>, ns: Option<&str>| CompletionsSpec {
        after: Some("0".into()),
        lane: lane.map(Into::into),
        namespace: ns.map(Into::into),
    };
    let by_lane = f.engine.follow_completions(&spec(Some("gpu"), None)).unwrap();
    let by_ns = f.engine.follow_completions(&spec(None, Some("tenant-a"))).unwrap();
    let a = f.create(CreateSpec { lane: "gpu".into(), ..Default::default() });
    let b = f.create(CreateSpec { namespace: "tenant-a".into(), ..Default::default() });
    for id in [&a, &b] {
        f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    }
    assert_eq!(drain(&f, &by_lane).into_iter().map(|e| e.execution_id).collect::<Vec<_>>(), vec![a]);
    assert_eq!(drain(&f, &by_ns).into_iter().map(|e| e.execution_id).collect::<Vec<_>>(), vec![b]);
}

#[test]
fn a_waiting_completion_follower_wakes_after_commit_and_release_frees_it() {
    let f = fixture();
    let id = f.create_default();
    let follower = completions(&f, None);
    let mut pending = pin!(follower.next(&f.engine));
    assert!(poll_once(pending.as_mut()).is_pending());
    assert_eq!(f.engine.waiter_count(), 1);
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    assert!(matches!(poll_once(pending.as_mut()), Poll::Ready(Ok(Some(ref e))) if e.execution_id == id));
    let mut again = pin!(follower.next(&f.engine));
    assert!(poll_once(again.as_mut()).is_pending());
    follower.release();
    assert!(matches!(poll_once(again.as_mut()), Poll::Ready(Ok(None))));
    assert_eq!(f.engine.waiter_count(), 0);
}

#[test]
fn a_thousand_completion_followers_each_see_every_event() {
    let f = fixture();
    let followers: Vec<_> = (0..1000).map(|_| completions(&f, None)).collect();
    let mut waits: Vec<_> = followers.iter().map(|c| Box::pin(c.next(&f.engine))).collect();
    for w in &mut waits {
        assert!(poll_once(w.as_mut()).is_pending());
    }
    assert_eq!(f.engine.waiter_count(), 1000);
    let id = f.create_default();
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    for w in &mut waits {
        assert!(matches!(poll_once(w.as_mut()), Poll::Ready(Ok(Some(ref e))) if e.execution_id == id));
    }
    drop(waits);
    assert_eq!(f.engine.waiter_count(), 0);
}

#[test]
fn event_cursors_are_validated() {
    let f = fixture();
    for bad in ["", "x", "-3", "0-0"] {
        let spec = CompletionsSpec { after: Some(bad.into()), ..Default::default() };
        assert_eq!(code(f.engine.follow_completions(&spec).map(|_| ())), "invalid_input", "{bad:?}");
        let spec = LeaseHistorySpec { after: Some(bad.into()), ..Default::default() };
        assert_eq!(code(f.engine.follow_lease_history(&spec).map(|_| ())), "invalid_input", "{bad:?}");
    }
    let spec = LeaseHistorySpec { execution_id: Some("nope".into()), ..Default::default() };
    assert_eq!(code(f.engine.follow_lease_history(&spec).map(|_| ())), "invalid_input");
}

// ---- leaseHistory ----

fn lease_history(f: &Fixture, id: Option<&str>) -> Vec<(LeaseEventKind, u32, u64)> {
    let spec = LeaseHistorySpec { after: Some("0".into()), execution_id: id.map(Into::into) };
    let follower = f.engine.follow_lease_history(&spec).unwrap();
    drain(f, &follower).into_iter().map(|e| (e.event, e.attempt_index, e.lease_epoch)).collect()
}

#[test]
fn lease_history_follows_the_outbox_matrix_with_attempt_and_epoch() {
    use LeaseEventKind::*;
    let f = fixture();
    let id = f.create_default();
    let other = f.create_default();
    let h = f.claim();
    f.engine.renew(&h.token).unwrap();
    f.clock.advance(30_000);
    let h2 = f.claim_as("w2", &[]).unwrap(); // finds the expired lease, reclaims at attempt 1
    assert_eq!(h2.execution_id, id);
    f.engine.complete(&h2.token, None).unwrap();
    let h3 = f.claim();
    assert_eq!(h3.execution_id, other);
    f.engine.cancel(&CancelTarget::Execution(other.clone()), None).unwrap();
    assert_eq!(
        lease_history(&f, Some(&id)),
        vec![(Acquired, 0, 1), (Renewed, 0, 1), (Expired, 0, 1), (Reclaimed, 1, 2), (Revoked, 1, 2)]
    );
    assert_eq!(
        lease_history(&f, Some(&other)),
        vec![(Acquired, 0, 1), (Revoked, 0, 2)],
        "cancel bumps the epoch"
    );
    assert_eq!(lease_history(&f, None).len(), 7);
    let never_claimed = f.create_default();
    f.engine.cancel(&CancelTarget::Execution(never_claimed.clone()), None).unwrap();
    assert!(lease_history(&f, Some(&never_claimed)).is_empty(), "cancelling unclaimed work writes none");
}

#[test]
fn lease_history_from_now_sees_only_later_events() {
    let f = fixture();
    f.create_default();
    f.create_default();
    let h = f.claim();
    let spec = LeaseHistorySpec::default();
    let follower = f.engine.follow_lease_history(&spec).unwrap();
    assert!(drain(&f, &follower).is_empty());
    f.engine.renew(&h.token).unwrap();
    let seen = drain(&f, &follower);
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].event, seen[0].execution_id.clone()), (LeaseEventKind::Renewed, h.execution_id));
}
