//! Stream operations: append (durable, summary, best-effort), range reads, one-shot tail reads
//! and summary reads. Appends fence like every handle operation and wake the stream's waiters
//! after commit.

use super::cursor::{check_limit, Cursor};
use super::fence::Purpose;
use super::{summary, trim, validate, Engine, StreamKey, Topic};
use crate::base64;
use crate::error::{EngineError, ErrorCode, Result};
use crate::model::*;
use crate::store::Tx;
use serde_json::{json, Value};

impl Engine {
    pub fn append_frame(&self, token: &str, spec: &FrameSpec) -> Result<AppendResult> {
        self.with_live_attempt(token, Purpose::Append, |tx, live, now, wakes| {
            let patch = check_frame(spec)?;
            let fields_json = frame_fields_json(spec)?;
            let key = (live.attempt.execution_id, live.attempt.attempt_index);
            let appended = append(tx, &key, live.stream, spec, &fields_json, patch.as_ref(), now)?;
            wakes.add(Topic::Stream(key));
            Ok(appended)
        })
    }

    pub fn read_stream(
        &self,
        execution_id: &str,
        attempt_index: u32,
        spec: &ReadSpec,
    ) -> Result<StreamFrames> {
        let id = ExecutionId::parse(execution_id)?;
        let from = Cursor::parse(&spec.from, "from")?.lower();
        let to = Cursor::parse(&spec.to, "to")?.upper();
        let limit = check_limit(spec.limit)?;
        let now = self.now()?;
        let key = (id, attempt_index);
        self.read(|tx| {
            let frames = tx.frames_range(&key, from, to, now, limit)?;
            with_markers(tx, &key, frames)
        })
    }

    /// Frames strictly after `after` as they are now, with the close markers: one snapshot.
    pub(crate) fn peek(
        &self,
        key: &StreamKey,
        after: (i64, i64),
        visibility: Visibility,
        limit: i64,
    ) -> Result<StreamFrames> {
        let now = self.now()?;
        self.read(|tx| {
            let frames =
                tx.frames_after(key, after, now, visibility == Visibility::ExcludeBestEffort, limit)?;
            with_markers(tx, key, frames)
        })
    }

    pub fn read_summary(&self, execution_id: &str, attempt_index: u32) -> Result<Option<Summary>> {
        let id = ExecutionId::parse(execution_id)?;
        self.read(|tx| tx.summary(&(id, attempt_index)))
    }
}

/// Checks a frame's inputs; returns the parsed patch of a summary frame.
fn check_frame(spec: &FrameSpec) -> Result<Option<Value>> {
    validate::blob("payload", &spec.payload, validate::MAX_FRAME_BYTES)?;
    if let Some(t) = spec.frame_type.as_deref().filter(|t| !t.is_empty()) {
        validate::name("frameType", t, 256)?;
    }
    if let Some(c) = &spec.correlation_id {
        validate::text("correlationId", c, 256)?;
    }
    match spec.mode {
        AppendMode::BestEffort { ttl_ms } => {
            validate::int_range("bestEffort.ttlMs", ttl_ms as i64, 1, u32::MAX as i64)?;
            Ok(None)
        }
        AppendMode::Summary => summary::parse_patch(&spec.payload).map(Some),
        AppendMode::Durable => Ok(None),
    }
}

fn with_markers(tx: &Tx, key: &StreamKey, frames: Vec<Frame>) -> Result<StreamFrames> {
    let meta = tx.stream_meta(key)?;
    let (closed_at_ms, closed_reason) = meta.map_or((None, None), |m| (m.closed_at_ms, m.closed_reason));
    Ok(StreamFrames { frames, closed_at_ms, closed_reason })
}

/// The stored `fields` object ([`FrameFields`], the shape readers get back): payload as UTF-8
/// text or, for bytes that are not UTF-8, standard base64 with `encoding: "base64"` so they
/// round-trip exactly.
fn frame_fields(spec: &FrameSpec) -> FrameFields {
    let (payload, encoding) = match std::str::from_utf8(&spec.payload) {
        Ok(text) => (text.to_string(), Encoding::Utf8),
        Err(_) => (base64::encode(&spec.payload), Encoding::Base64),
    };
    let frame_type = match &spec.frame_type {
        Some(t) if !t.is_empty() => t.clone(),
        _ => spec.kind.default_frame_type().to_string(),
    };
    FrameFields {
        correlation_id: spec.correlation_id.clone(),
        encoding,
        frame_type,
        payload,
        source: "worker".into(),
    }
}

fn frame_fields_json(spec: &FrameSpec) -> Result<String> {
    serde_json::to_string(&frame_fields(spec))
        .map_err(|e| EngineError::invalid(format!("frame fields cannot be stored: {e}")))
}

/// The next frame id: after the stream's last id even if the clock stepped back, and never
/// `0-0`, the conventional "from the beginning" cursor (a clock at 0 starts at `0-1`).
pub(crate) fn next_id(meta: &StreamMeta, now: i64) -> Result<(i64, i64)> {
    let ts = now.max(meta.last_ts_ms);
    let seq = if ts == meta.last_ts_ms {
        meta.last_seq.checked_add(1).ok_or_else(|| {
            EngineError::new(
                ErrorCode::Corruption,
                "stored stream bookkeeping is damaged: frame seq overflows",
            )
        })?
    } else {
        0
    };
    Ok((ts, if ts == 0 { seq.max(1) } else { seq }))
}

/// Appends one frame to the stream `key`, whose bookkeeping `stored` the fence has just read.
fn append(
    tx: &Tx,
    key: &StreamKey,
    stored: Option<StreamMeta>,
    spec: &FrameSpec,
    fields_json: &str,
    patch: Option<&Value>,
    now: i64,
) -> Result<AppendResult> {
    let mut meta = stored.unwrap_or_else(|| StreamMeta { last_seq: -1, ..Default::default() });
    if meta.closed_at_ms.is_some() {
        // The fence refuses appends to ended attempts; markers on a live attempt mean the rows
        // disagree, and the markers win.
        return Err(EngineError::new(
            ErrorCode::StreamClosed,
            format!("the stream of attempt {} of execution {} is closed", key.1, key.0),
        ));
    }
    let (ts, seq) = next_id(&meta, now)?;
    // Decision 7: best-effort frames expire 2 × ttl after they were written, whatever else the
    // stream holds; they are the only frames that ever go.
    if meta.best_effort_count > 0 {
        let gone = tx.delete_expired_frames(key, now)?;
        meta.forget_best_effort(gone);
    }
    let (mode, expires_at_ms) = match spec.mode {
        AppendMode::Durable => (FrameMode::Durable, None),
        AppendMode::Summary => (FrameMode::Summary, None),
        AppendMode::BestEffort { ttl_ms } => {
            (FrameMode::BestEffort, Some(ts.saturating_add(2 * ttl_ms as i64)))
        }
    };
    tx.insert_frame(
        key,
        &NewFrameRow { ts_ms: ts, seq, fields_json: fields_json.into(), mode, expires_at_ms },
    )?;
    meta.frame_count += 1;
    meta.last_ts_ms = ts;
    meta.last_seq = seq;

    let summary_version = patch.map(|p| apply_summary_patch(tx, key, p, ts)).transpose()?;
    if let AppendMode::BestEffort { ttl_ms } = spec.mode {
        meta.best_effort_count += 1;
        trim_best_effort(tx, key, &mut meta, ts, ttl_ms)?;
    }
    tx.save_stream_meta(key, &meta)?;
    Ok(AppendResult { id: format!("{ts}-{seq}"), frame_count: meta.frame_count, summary_version })
}

/// Merges a summary patch into the attempt's document; returns the new version.
fn apply_summary_patch(tx: &Tx, key: &StreamKey, patch: &Value, ts: i64) -> Result<u64> {
    let mut doc = tx.summary(key)?.unwrap_or(Summary {
        document: json!({}),
        version: 0,
        first_applied_ms: ts,
        last_updated_ms: ts,
    });
    summary::apply(&mut doc.document, patch);
    let text = summary::to_stored_text(&doc.document)?;
    doc.version = doc.version.saturating_add(1);
    doc.last_updated_ms = ts;
    tx.save_summary(key, &doc, &text)?;
    Ok(doc.version)
}

/// Updates the rate estimate and keeps only the newest K best-effort frames, sized as the
/// reference sizes its trim (decision 7: durable and summary frames are never trimmed).
fn trim_best_effort(tx: &Tx, key: &StreamKey, meta: &mut StreamMeta, ts: i64, ttl_ms: u32) -> Result<()> {
    let (ema, keep) = trim::best_effort_keep(meta.ema_rate_hz, meta.last_append_ts_ms, ts, ttl_ms);
    meta.ema_rate_hz = ema;
    meta.last_append_ts_ms = ts;
    meta.maxlen_applied_last = keep;
    let keep = keep as u64;
    if meta.best_effort_count > keep {
        let gone = tx.delete_oldest_best_effort(key, meta.best_effort_count - keep)?;
        meta.forget_best_effort(gone);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_even_when_the_clock_steps_back() {
        let mut meta = StreamMeta { last_seq: -1, ..Default::default() };
        let mut ids = Vec::new();
        for now in [100, 100, 101, 50, 50, 102] {
            let id = next_id(&meta, now).unwrap();
            (meta.last_ts_ms, meta.last_seq) = id;
            ids.push(id);
        }
        assert_eq!(ids, vec![(100, 0), (100, 1), (101, 0), (101, 1), (101, 2), (102, 0)]);
        let fresh = StreamMeta { last_seq: -1, ..Default::default() };
        assert_eq!(next_id(&fresh, 0).unwrap(), (0, 1), "0-0 is never minted");
        let damaged = StreamMeta { last_ts_ms: 5, last_seq: i64::MAX, ..Default::default() };
        assert_eq!(next_id(&damaged, 5).unwrap_err().code, ErrorCode::Corruption);
    }

    #[test]
    fn binary_payloads_are_stored_as_base64() {
        let spec = FrameSpec::durable(vec![0xff, 0x00, 0x80]);
        let fields: Value = serde_json::from_str(&frame_fields_json(&spec).unwrap()).unwrap();
        assert_eq!(fields["encoding"], "base64");
        assert_eq!(base64::decode(fields["payload"].as_str().unwrap()).unwrap(), vec![0xff, 0x00, 0x80]);
        let text: Value =
            serde_json::from_str(&frame_fields_json(&FrameSpec::durable("héllo")).unwrap()).unwrap();
        assert_eq!((text["encoding"].as_str(), text["payload"].as_str()), (Some("utf8"), Some("héllo")));
        assert_eq!(text["source"], "worker");
        assert!(text.get("correlation_id").is_none(), "absent, not null: {text}");
    }
}
