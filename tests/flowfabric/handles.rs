//! Handles are ff-core `Handle`s in the shared v2 codec, tagged SQLite: ff-core's own decoder
//! reads them, other backends' handles are refused by tag, and damaged bytes are corruption.

use crate::common::*;
use ff_core::backend::{BackendTag, Frame, FrameKind, Handle, HandleKind, HandleOpaque};
use ff_core::engine_error::{EngineError, ValidationKind};
use ff_core::handle_codec;
use ff_core::types::{AttemptIndex, LaneId, WorkerInstanceId};

fn validation(e: EngineError) -> (ValidationKind, String) {
    match e {
        EngineError::Validation { kind, detail } => (kind, detail),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn minted_handles_decode_with_the_ff_core_codec() {
    run(async {
        let (b, _) = backend().await;
        let id = create(&b, "codec").await;
        let h = claim(&b, "codec").await;
        let decoded = handle_codec::decode(&h.opaque).expect("ff-core reads our handles");
        assert_eq!(
            (decoded.tag, h.backend, h.kind),
            (BackendTag::Sqlite, BackendTag::Sqlite, HandleKind::Fresh)
        );
        let p = decoded.payload;
        assert_eq!((p.execution_id, p.attempt_index, p.lease_epoch.0), (id, AttemptIndex(0), 1));
        assert_eq!((p.lease_ttl_ms, p.lane_id), (30_000, LaneId::new("codec")));
        assert_eq!(p.worker_instance_id, WorkerInstanceId::new("w1-i1"));
        // Re-encoding with ff-core gives back the same bytes, so the handle is usable as is.
        assert_eq!(handle_codec::encode(BackendTag::Sqlite, &p_clone(&h)), h.opaque);
    })
}

fn p_clone(h: &Handle) -> handle_codec::HandlePayload {
    handle_codec::decode(&h.opaque).unwrap().payload
}

#[test]
fn handles_of_other_backends_are_refused() {
    run(async {
        let (b, _) = backend().await;
        let (_, h) = started(&b).await;
        let valkey = Handle::new(BackendTag::Valkey, h.kind, h.opaque.clone());
        let (kind, detail) = validation(b.complete(&valkey, None).await.unwrap_err());
        assert_eq!(kind, ValidationKind::HandleFromOtherBackend);
        assert!(detail.contains("expected=Sqlite actual=Valkey"), "{detail}");
        // A SQLite-tagged handle whose embedded tag says Postgres is refused too.
        let embedded = handle_codec::encode(BackendTag::Postgres, &p_clone(&h));
        let forged = Handle::new(BackendTag::Sqlite, h.kind, embedded);
        let (kind, detail) = validation(b.renew(&forged).await.unwrap_err());
        assert_eq!(kind, ValidationKind::HandleFromOtherBackend);
        assert!(detail.contains("Postgres"), "{detail}");
        b.complete(&h, None).await.unwrap();
    })
}

#[test]
fn damaged_handles_are_corruption() {
    run(async {
        let (b, _) = backend().await;
        let (_, h) = started(&b).await;
        let bytes = h.opaque.as_bytes();
        let truncated = Handle::new(h.backend, h.kind, HandleOpaque::new(bytes[..bytes.len() - 3].into()));
        let mut longer = bytes.to_vec();
        longer.push(0);
        let padded = Handle::new(h.backend, h.kind, HandleOpaque::new(longer.into()));
        let resumed = Handle::new(h.backend, HandleKind::Resumed, h.opaque.clone());
        for bad in [truncated, padded, resumed] {
            let (kind, _) = validation(
                b.append_frame(&bad, Frame::new(b"x".to_vec(), FrameKind::Stdout)).await.unwrap_err(),
            );
            assert_eq!(kind, ValidationKind::Corruption);
        }
        b.complete(&h, None).await.unwrap();
    })
}

#[test]
fn an_unknown_attempt_is_not_found() {
    run(async {
        let (b, _) = backend().await;
        let (_, h) = started(&b).await;
        let mut payload = p_clone(&h);
        payload.attempt_index = AttemptIndex(7);
        let other = Handle::new(h.backend, h.kind, handle_codec::encode(BackendTag::Sqlite, &payload));
        let err = b.renew(&other).await.unwrap_err();
        assert!(matches!(err, EngineError::NotFound { entity: "attempt" }), "{err:?}");
    })
}
