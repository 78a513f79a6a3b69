//! The cursor parsers: stream cursors (src/engine/cursor.rs) in `readStream`, `tailStream` and
//! `tail`; outbox and list cursors (src/engine/events.rs) in `completions`, `leaseHistory` and
//! `listExecutions`; and execution ids wherever one is taken. Each answers exactly as its
//! grammar says, and a refusal is `validation/invalid_input` naming the option.

use super::common::{fixture, poll_once, FakeTimer, Fixture};
use super::{config, only};
use ff_backend_wasm::engine::Cursor;
use ff_backend_wasm::model::*;
use ff_backend_wasm::ErrorCode;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::task::Poll;

const INVALID: &[ErrorCode] = &[ErrorCode::InvalidInput];

/// Text shaped like cursors and ids, and text that is anything at all.
fn cursor_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{0,22}",
        "[0-9]{0,21}-[0-9]{0,21}",
        "[0-9 +-]{0,6}",
        Just("start".to_string()),
        Just("end".to_string()),
        (any::<i64>(), any::<i64>()).prop_map(|(a, b)| format!("{a}-{b}")),
        "\\{fp:[0-9]{0,6}\\}:[0-9a-fA-F-]{30,40}",
    ]
}

fn digits(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok()).flatten()
}

/// docs/API.md's grammar: "start", "end", "<ms>", "<ms>-<seq>", decimal and within i64.
fn expected_stream_cursor(text: &str) -> Option<Cursor> {
    match text {
        "start" => Some(Cursor::Start),
        "end" => Some(Cursor::End),
        _ => match text.split_once('-') {
            Some((ms, seq)) => Some(Cursor::At { ms: digits(ms)?, seq: Some(digits(seq)?) }),
            None => Some(Cursor::At { ms: digits(text)?, seq: None }),
        },
    }
}

fn started() -> (Fixture, String) {
    let f = fixture();
    let id = f.create_default();
    let h = f.claim();
    for n in 0..5 {
        f.append(&h, &format!("frame {n}"));
    }
    f.engine.cancel(&CancelTarget::Execution(id.clone()), None).unwrap();
    (f, id)
}

#[test]
fn stream_cursors_parse_exactly_their_grammar() {
    let mut runner = TestRunner::new(config(4.0));
    runner
        .run(&cursor_text(), |text| {
            let parsed = Cursor::parse(&text, "after");
            prop_assert_eq!(parsed.as_ref().ok().copied(), expected_stream_cursor(&text));
            if let Err(e) = &parsed {
                prop_assert!(e.code == ErrorCode::InvalidInput && e.message.starts_with("after "), "{e}");
            }
            if let Ok(c) = parsed {
                prop_assert!(c.lower() <= c.upper() || c == Cursor::End || c == Cursor::Start);
            }
            Ok(())
        })
        .unwrap();
    runner
        .run(&(0..=i64::MAX, 0..=i64::MAX), |(ms, seq)| {
            let parsed = Cursor::parse(&format!("{ms}-{seq}"), "from").ok();
            prop_assert_eq!(parsed, Some(Cursor::At { ms, seq: Some(seq) }));
            Ok(())
        })
        .unwrap();
}

#[test]
fn reads_and_tails_take_any_cursor_text() {
    let (f, id) = started();
    let mut runner = TestRunner::new(config(1.0));
    runner
        .run(&(cursor_text(), cursor_text(), 0..2u32), |(a, b, attempt)| {
            let read = f.engine.read_stream(&id, attempt, &ReadSpec { from: a.clone(), to: b, limit: 10 });
            only(&read, INVALID, "readStream").map_err(TestCaseError::fail)?;
            // Attempt 0's stream closed with the cancel: a tail answers at once, whatever it
            // was asked. (Attempt 1 never ran and never will; its stream stays open.)
            let timer = FakeTimer::default();
            let spec = TailSpec { block_ms: 5, ..TailSpec::after(&a) };
            let mut tail = std::pin::pin!(f.engine.tail_stream(&id, 0, &spec, timer.sleep()));
            match poll_once(tail.as_mut()) {
                Poll::Ready(r) => only(&r, INVALID, "tailStream").map_err(TestCaseError::fail)?,
                Poll::Pending => return Err(TestCaseError::fail("a tail of a closed stream waited")),
            }
            let follower = f.engine.follow_stream(&id, attempt, &TailSpec::after(&a));
            only(&follower, INVALID, "tail").map_err(TestCaseError::fail)?;
            let concrete = matches!(expected_stream_cursor(&a), Some(Cursor::At { .. }));
            prop_assert_eq!(follower.is_ok(), concrete);
            Ok(())
        })
        .unwrap();
}

#[test]
fn outbox_and_list_cursors_are_decimal_row_ids_and_nothing_else() {
    let (f, _) = started();
    let mut runner = TestRunner::new(config(2.0));
    runner
        .run(&cursor_text(), |text| {
            let valid = text.len() <= 19 && digits(&text).is_some();
            let completions = CompletionsSpec { after: Some(text.clone()), ..Default::default() };
            let completions = f.engine.follow_completions(&completions);
            let leases = LeaseHistorySpec { after: Some(text.clone()), execution_id: None };
            let leases = f.engine.follow_lease_history(&leases);
            let list =
                f.engine.list_executions(&ListSpec { after: Some(text.clone()), ..Default::default() });
            for (what, ok) in [
                ("completions", completions.is_ok()),
                ("leaseHistory", leases.is_ok()),
                ("list", list.is_ok()),
            ] {
                prop_assert_eq!(ok, valid, "{} after {:?}", what, text);
            }
            only(&completions, INVALID, "completions").map_err(TestCaseError::fail)?;
            only(&leases, INVALID, "leaseHistory").map_err(TestCaseError::fail)?;
            only(&list, INVALID, "listExecutions").map_err(TestCaseError::fail)?;
            if let Ok(follower) = completions {
                // A cursor far past the newest event is valid: nothing is there yet.
                let mut next = std::pin::pin!(follower.next(&f.engine));
                if let Poll::Ready(r) = poll_once(next.as_mut()) {
                    only(&r, INVALID, "completions next").map_err(TestCaseError::fail)?;
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn execution_ids_are_parsed_or_refused_wherever_one_is_taken() {
    let (f, _) = started();
    let mut runner = TestRunner::new(config(2.0));
    runner
        .run(&cursor_text(), |text| {
            let results = [
                f.engine.get_execution(&text).map(|_| ()),
                f.engine.read_summary(&text, 0).map(|_| ()),
                f.engine.read_stream(&text, 0, &ReadSpec::default()).map(|_| ()),
                f.engine.inspect_execution(&text).map(|_| ()),
                f.engine.execution_ids(Some(&text), 10).map(|_| ()),
                f.engine
                    .follow_lease_history(&LeaseHistorySpec { after: None, execution_id: Some(text.clone()) })
                    .map(|_| ()),
            ];
            for r in &results {
                only(r, INVALID, "an execution id").map_err(TestCaseError::fail)?;
            }
            let cancel = f.engine.cancel(&CancelTarget::Execution(text.clone()), None);
            only(&cancel, &[ErrorCode::InvalidInput, ErrorCode::Execution], "cancel")
                .map_err(TestCaseError::fail)
        })
        .unwrap();
}
