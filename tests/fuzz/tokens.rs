//! The handle-token decoder (src/engine/token.rs) on arbitrary text, arbitrary bytes, and
//! mutated real tokens, alone and through every handle operation of an engine.

use super::common::{fixture, Fixture};
use super::{config, only};
use ff_backend_wasm::base64;
use ff_backend_wasm::engine::token::{self, TokenData};
use ff_backend_wasm::engine::Purpose;
use ff_backend_wasm::model::*;
use ff_backend_wasm::ErrorCode;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

/// What decoding may answer besides a token: docs/API.md's two codes for bad handles.
const DECODE: &[ErrorCode] = &[ErrorCode::Corruption, ErrorCode::HandleFromOtherBackend];
/// What a handle operation may answer for a bad or stale handle, or for its other arguments.
const HANDLE_OP: &[ErrorCode] = &[
    ErrorCode::Corruption,
    ErrorCode::HandleFromOtherBackend,
    ErrorCode::Attempt,
    ErrorCode::Execution,
    ErrorCode::LeaseConflict,
    ErrorCode::ExecutionNotActive,
    ErrorCode::LeaseExpired,
    ErrorCode::StreamClosed,
];

fn check_decode(text: &str) -> Result<(), TestCaseError> {
    let decoded = token::decode(text);
    only(&decoded, DECODE, "decode").map_err(TestCaseError::fail)?;
    let _ = token::looks_like_token(text);
    if let Ok(data) = decoded {
        // Whatever decodes is a token this backend could have minted: it encodes back to the
        // same bytes (base64 may differ only in how it was padded).
        let again = base64::decode(&token::encode(&data)).expect("our own base64");
        prop_assert_eq!(Some(again), base64::decode(text));
    }
    Ok(())
}

fn any_token() -> impl Strategy<Value = TokenData> {
    let text = || ".{0,12}";
    (
        any::<[u8; 16]>(),
        any::<u32>(),
        text(),
        text(),
        any::<u64>(),
        any::<u64>(),
        text(),
        text(),
        any::<bool>(),
    )
        .prop_map(
            |(id, attempt_index, attempt_id, lease_id, lease_epoch, lease_ttl_ms, lane, worker, fresh)| {
                TokenData {
                    kind: if fresh { HandleKind::Fresh } else { HandleKind::Reclaimed },
                    execution_id: ExecutionId::from_random(id),
                    attempt_index,
                    attempt_id,
                    lease_id,
                    lease_epoch,
                    lease_ttl_ms,
                    lane,
                    worker_instance_id: worker,
                }
            },
        )
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Cut { at: usize },
    Insert { at: usize, byte: u8 },
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip { at, bit } if !bytes.is_empty() => bytes[at % len] ^= 1 << (bit % 8),
            Mutation::Set { at, byte } if !bytes.is_empty() => bytes[at % len] = byte,
            Mutation::Cut { at } => bytes.truncate(at % len),
            Mutation::Insert { at, byte } => bytes.insert(at % (bytes.len() + 1), byte),
            _ => {}
        }
    }
    bytes
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let one = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
    ];
    prop::collection::vec(one, 1..4)
}

#[test]
fn arbitrary_text_and_bytes_never_decode_into_a_panic() {
    let mut runner = TestRunner::new(config(4.0));
    let input = prop_oneof![
        any::<String>(),
        "[A-Za-z0-9+/=]{0,200}",
        prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| base64::encode(&b)),
    ];
    runner.run(&input, |text| check_decode(&text)).unwrap();
}

#[test]
fn tokens_round_trip_and_mutated_ones_decode_or_are_refused() {
    let mut runner = TestRunner::new(config(4.0));
    runner
        .run(&(any_token(), mutations()), |(data, mutations)| {
            prop_assert_eq!(token::decode(&token::encode(&data)).ok(), Some(data.clone()));
            let bytes = base64::decode(&token::encode(&data)).expect("our own base64");
            check_decode(&base64::encode(&mutate(bytes, &mutations)))
        })
        .unwrap();
}

/// A live handle to mutate, in an engine where its neighbours are in other states.
fn engine_with_handles() -> (Fixture, Handle, Vec<Handle>) {
    let f = fixture();
    let mut dead = Vec::new();
    for _ in 0..3 {
        f.create_default();
    }
    let done = f.claim();
    f.engine.complete(&done.token, None).unwrap();
    dead.push(done);
    let cancelled = f.claim();
    f.engine.cancel(&CancelTarget::Handle(cancelled.token.clone()), None).unwrap();
    dead.push(cancelled);
    let live = f.claim();
    (f, live, dead)
}

#[test]
fn mutated_handles_through_every_handle_operation_fail_only_as_documented() {
    let (f, live, dead) = engine_with_handles();
    let mut runner = TestRunner::new(config(1.0));
    let pick = 0..=dead.len();
    runner
        .run(&(pick, mutations()), |(which, mutations)| {
            let original = if which == dead.len() { &live } else { &dead[which] };
            let bytes = mutate(base64::decode(&original.token).expect("a token"), &mutations);
            let forged = base64::encode(&bytes);
            let e = &f.engine;
            let results = [
                e.check_handle(&forged, Purpose::Lease).map(|_| ()),
                e.check_handle(&forged, Purpose::Append).map(|_| ()),
                e.renew(&forged).map(|_| ()),
                e.progress(&forged, Some(1.0), None),
                e.append_frame(&forged, &FrameSpec::durable("x")).map(|_| ()),
            ];
            for (n, r) in results.iter().enumerate() {
                only(r, HANDLE_OP, &format!("operation {n}")).map_err(TestCaseError::fail)?;
                if let Err(err) = r {
                    // Messages end up in logs: never any part of a token.
                    for window in forged.as_bytes().windows(24).step_by(8) {
                        let window = std::str::from_utf8(window).expect("base64 is ASCII");
                        prop_assert!(!err.message.contains(window), "{} shows the token", err.message);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}
