//! Group commit on host SQLite: calls inside `Engine::group` share one transaction, each in its
//! own savepoint; wakeups wait for the commit; a failed group leaves nothing behind.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use ff_backend_wasm::engine::Topic;
use ff_backend_wasm::model::*;
use ff_backend_wasm::ErrorCode;

fn started() -> (Fixture, String, Handle) {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    (f, id, h)
}

#[test]
fn calls_in_a_group_commit_together_and_see_each_other() {
    let f = fixture();
    let ids = f
        .engine
        .group(|| {
            let a = f.create_default();
            let b = f.create_default();
            // Reads inside the group see the group's own writes.
            assert!(f.engine.get_execution(&a)?.is_some());
            Ok(vec![a, b])
        })
        .unwrap();
    for id in &ids {
        assert_eq!(f.info(id).public_state, PublicState::Waiting);
    }
}

#[test]
fn a_failing_call_in_a_group_undoes_only_itself() {
    let (f, id, h) = started();
    f.append_mode(&h, &format!(r#"{{"big":"{}"}}"#, "x".repeat(60_000)), AppendMode::Summary);
    f.engine
        .group(|| {
            f.append(&h, "kept 1");
            // This one inserts its frame row, then fails on the summary size cap: its savepoint
            // must take the frame back out.
            let mut grown = 0;
            let err = loop {
                let patch = format!(r#"{{"k{grown}":"{}"}}"#, "y".repeat(60_000));
                match f
                    .engine
                    .append_frame(&h.token, &FrameSpec::durable(patch).with_mode(AppendMode::Summary))
                {
                    Ok(_) => grown += 1,
                    Err(e) => break e,
                }
            };
            assert_eq!(err.code, ErrorCode::RetentionLimitExceeded);
            f.append(&h, "kept 2");
            Ok(())
        })
        .unwrap();
    let frames = f.read_all(&id, 0);
    let durable = payloads(&frames).into_iter().filter(|p| p.starts_with("kept")).collect::<Vec<_>>();
    assert_eq!(durable, vec!["kept 1", "kept 2"]);
    let summaries = frames.frames.iter().filter(|fr| fr.mode == FrameMode::Summary).count() as u64;
    assert_eq!(
        f.engine.read_summary(&id, 0).unwrap().unwrap().version,
        summaries,
        "no frame without its patch"
    );
}

#[test]
fn a_group_whose_body_fails_leaves_nothing_and_wakes_nobody() {
    let (f, id, h) = started();
    let sub = f.engine.notifier().subscribe(Topic::Stream((ExecutionId::parse(&id).unwrap(), 0)));
    let err = f
        .engine
        .group(|| {
            f.append(&h, "gone");
            f.create_default();
            Err::<(), _>(ff_backend_wasm::EngineError::invalid("the caller gave up"))
        })
        .unwrap_err();
    assert_eq!(err.message, "the caller gave up");
    assert!(f.read_all(&id, 0).frames.is_empty());
    assert_eq!(f.engine.list_executions(&ListSpec::default()).unwrap().executions.len(), 1);
    assert!(!sub.signal().is_fired());
}

#[test]
fn wakeups_of_a_group_fire_after_its_commit() {
    let (f, id, h) = started();
    let sub = f.engine.notifier().subscribe(Topic::Stream((ExecutionId::parse(&id).unwrap(), 0)));
    let completions = f.engine.notifier().subscribe(Topic::Completions);
    f.engine
        .group(|| {
            f.append(&h, "one");
            f.engine.complete(&h.token, None)?;
            assert!(!sub.signal().is_fired() && !completions.signal().is_fired(), "not before the commit");
            Ok(())
        })
        .unwrap();
    assert!(sub.signal().is_fired() && completions.signal().is_fired());
}

#[test]
fn groups_do_not_nest_and_exclusive_calls_are_refused_inside_one() {
    let f = fixture();
    f.engine
        .group(|| {
            assert_eq!(code(f.engine.group(|| Ok(()))), "invalid_input");
            assert_eq!(code(f.engine.export_image()), "invalid_input");
            assert!(f.engine.close().is_none(), "close waits for the group");
            Ok(())
        })
        .unwrap();
    assert!(!f.engine.is_closed());
    assert!(f.engine.export_image().is_ok());
}
