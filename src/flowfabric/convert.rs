//! FlowFabric values to engine inputs and engine results to FlowFabric values. Plain functions,
//! no engine calls: the caller's side of the channel converts inputs, the engine thread
//! converts results.

use super::errors::{corrupt, invalid, FfResult};
use crate::base64;
use crate::engine::token::{self, TokenData};
use crate::error::{EngineError as Own, ErrorCode};
use crate::model;
use ff_core::backend::{
    BackendTag, FailureClass, Frame, FrameKind, Handle, HandleKind, HandleOpaque, PatchKind, StreamMode,
    SummaryDocument, TailVisibility,
};
use ff_core::contracts::{StreamCursor, StreamFrame, StreamFrames};
use ff_core::policy::{BackoffStrategy, ExecutionPolicy};
use ff_core::types::{ExecutionId, TimestampMs};
use std::collections::BTreeMap;

/// A FlowFabric handle as the engine takes it: the engine's token (base64 of one kind byte and
/// the v2 handle codec bytes, which are exactly a FlowFabric handle's opaque bytes) and its
/// decoded fields, for error details.
pub struct Token {
    pub text: String,
    pub data: TokenData,
}

/// Decodes a handle before anything else runs, as the reference does: another backend's tag is
/// `HandleFromOtherBackend`, undecodable bytes are `Corruption`.
pub fn token(handle: &Handle) -> Result<Token, Own> {
    if handle.backend != BackendTag::Sqlite {
        return Err(Own::new(
            ErrorCode::HandleFromOtherBackend,
            format!("handle belongs to another backend: expected=Sqlite actual={:?}", handle.backend),
        ));
    }
    // The engine's kind bytes; it mints only fresh and reclaimed handles.
    let kind = match handle.kind {
        HandleKind::Fresh => 1u8,
        HandleKind::Reclaimed => 4,
        other => {
            let detail = format!("handle kind {other:?} is never minted by this backend");
            return Err(Own::new(ErrorCode::Corruption, detail));
        }
    };
    let mut bytes = vec![kind];
    bytes.extend_from_slice(handle.opaque.as_bytes());
    let text = base64::encode(&bytes);
    let data = token::decode(&text)?;
    Ok(Token { text, data })
}

/// The FlowFabric handle of an engine handle: the token's bytes after its kind byte.
pub fn handle(h: &model::Handle) -> FfResult<Handle> {
    let bytes = base64::decode(&h.token).ok_or_else(|| corrupt("a minted handle token is not base64"))?;
    let opaque = bytes.get(1..).ok_or_else(|| corrupt("a minted handle token is empty"))?;
    let kind = match h.kind {
        model::HandleKind::Fresh => HandleKind::Fresh,
        model::HandleKind::Reclaimed => HandleKind::Reclaimed,
    };
    Ok(Handle::new(BackendTag::Sqlite, kind, HandleOpaque::new(opaque.into())))
}

pub fn execution_id(text: &str) -> FfResult<ExecutionId> {
    ExecutionId::parse(text).map_err(|e| corrupt(format!("stored execution id {text:?}: {e}")))
}

pub fn millis(ms: i64) -> TimestampMs {
    TimestampMs::from_millis(ms)
}

/// The engine's retry policy from FlowFabric's (the engine has no jitter nor error categories).
pub fn retry_policy(policy: Option<&ExecutionPolicy>) -> Option<model::RetryPolicy> {
    let retry = policy?.retry_policy.as_ref()?;
    let backoff = match retry.backoff {
        BackoffStrategy::Fixed { delay_ms } => model::Backoff::Fixed { delay_ms },
        BackoffStrategy::Exponential { initial_delay_ms, max_delay_ms, multiplier, .. } => {
            model::Backoff::Exponential { initial_delay_ms, max_delay_ms, multiplier }
        }
    };
    Some(model::RetryPolicy { max_retries: retry.max_retries, backoff })
}

pub fn fail_class(class: FailureClass) -> model::FailClass {
    match class {
        FailureClass::Permanent => model::FailClass::Permanent,
        FailureClass::InfraCrash => model::FailClass::InfraCrash,
        FailureClass::Timeout => model::FailClass::Timeout,
        FailureClass::Cancelled => model::FailClass::Cancelled,
        // Transient, and classes added later: the reference retries what it does not know.
        _ => model::FailClass::Transient,
    }
}

/// A frame to append. Best-effort frames keep only their ttl: the engine sizes and expires
/// best-effort retention itself (docs/API.md decision 7).
pub fn frame(frame: Frame) -> Result<model::FrameSpec, Own> {
    let kind = match frame.kind {
        FrameKind::Stdout => model::FrameKind::Stdout,
        FrameKind::Stderr => model::FrameKind::Stderr,
        FrameKind::Blob => model::FrameKind::Blob,
        // Event, and kinds added later (which the reference stores as "event").
        _ => model::FrameKind::Event,
    };
    let mode = match frame.mode {
        StreamMode::Durable => model::AppendMode::Durable,
        StreamMode::DurableSummary { patch_kind: PatchKind::JsonMergePatch } => model::AppendMode::Summary,
        StreamMode::BestEffortLive { config } => model::AppendMode::BestEffort { ttl_ms: config.ttl_ms },
        other => return Err(Own::invalid(format!("stream mode {other:?} is not supported by this backend"))),
    };
    Ok(model::FrameSpec {
        payload: frame.bytes,
        kind,
        frame_type: Some(frame.frame_type).filter(|t| !t.is_empty()),
        correlation_id: frame.correlation_id,
        mode,
    })
}

/// A stream cursor in the engine's grammar (`"start"`, `"end"`, `"<ms>"`, `"<ms>-<seq>"`).
pub fn cursor(c: &StreamCursor) -> FfResult<String> {
    match c {
        StreamCursor::Start => Ok("start".into()),
        StreamCursor::End => Ok("end".into()),
        StreamCursor::At(text) if text == "start" || text == "end" => {
            Err(invalid(format!("bad stream cursor '{text}': At needs an id, use Start or End")))
        }
        StreamCursor::At(text) => Ok(text.clone()),
    }
}

pub fn visibility(v: TailVisibility) -> FfResult<model::Visibility> {
    match v {
        TailVisibility::All => Ok(model::Visibility::All),
        TailVisibility::ExcludeBestEffort => Ok(model::Visibility::ExcludeBestEffort),
        other => Err(invalid(format!("tail visibility {other:?} is not supported by this backend"))),
    }
}

/// A count from the trait as the engine's signed limit; a value too large for it is still
/// out of the engine's range, and refused there.
pub fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Frames as FlowFabric returns them: the reference's string fields (`frame_type`, `payload`,
/// `encoding`, `source`, `correlation_id` when set) plus `mode`, as the Valkey engine stores it.
pub fn stream_frames(found: model::StreamFrames) -> StreamFrames {
    let frames = found.frames.into_iter().map(stream_frame).collect();
    StreamFrames { frames, closed_at: found.closed_at_ms.map(millis), closed_reason: found.closed_reason }
}

fn stream_frame(f: model::Frame) -> StreamFrame {
    let encoding = match f.fields.encoding {
        model::Encoding::Utf8 => "utf8",
        model::Encoding::Base64 => "base64",
    };
    let mut fields = BTreeMap::new();
    fields.insert("frame_type".to_string(), f.fields.frame_type);
    fields.insert("payload".to_string(), f.fields.payload);
    fields.insert("encoding".to_string(), encoding.to_string());
    fields.insert("source".to_string(), f.fields.source);
    fields.insert("mode".to_string(), f.mode.as_str().to_string());
    if let Some(c) = f.fields.correlation_id {
        fields.insert("correlation_id".to_string(), c);
    }
    StreamFrame { id: f.id, fields }
}

pub fn summary(s: model::Summary) -> FfResult<SummaryDocument> {
    let json = serde_json::to_vec(&s.document).map_err(|e| corrupt(format!("summary document: {e}")))?;
    let ms = |t: i64| u64::try_from(t).map_err(|_| corrupt(format!("summary time {t} is negative")));
    Ok(SummaryDocument::new(
        json,
        s.version,
        PatchKind::JsonMergePatch,
        ms(s.last_updated_ms)?,
        ms(s.first_applied_ms)?,
    ))
}
