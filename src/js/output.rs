//! Engine results as plain, structured-cloneable JS objects (camelCase, `null` for absent).

use crate::model::*;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

/// A plain object under construction.
pub struct Obj(Object);

impl Obj {
    pub fn new() -> Self {
        Obj(Object::new())
    }

    pub fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        let _ = Reflect::set(&self.0, &key.into(), &value.into());
        self
    }

    pub fn opt<T: Into<JsValue>>(self, key: &str, value: Option<T>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self.set(key, JsValue::NULL),
        }
    }

    pub fn num(self, key: &str, value: impl Into<f64>) -> Self {
        self.set(key, value.into())
    }

    pub fn build(self) -> JsValue {
        self.0.into()
    }
}

fn bytes(b: Option<Vec<u8>>) -> JsValue {
    b.map_or(JsValue::NULL, |b| Uint8Array::from(b.as_slice()).into())
}

fn ms(v: Option<i64>) -> Option<f64> {
    v.map(|t| t as f64)
}

pub fn created(c: Created) -> JsValue {
    Obj::new().set("executionId", c.execution_id).set("created", c.created).build()
}

pub fn execution(e: Option<ExecutionInfo>) -> JsValue {
    let Some(e) = e else { return JsValue::NULL };
    let mut progress = Obj::new();
    if let Some(p) = e.progress_percent {
        progress = progress.num("percent", p);
    }
    if let Some(m) = e.progress_message {
        progress = progress.set("message", m);
    }
    let tags = e.tags.into_iter().fold(Obj::new(), |o, (k, v)| o.set(&k, v));
    Obj::new()
        .set("executionId", e.execution_id)
        .set("lane", e.lane)
        .set("namespace", e.namespace)
        .set("kind", e.kind)
        .num("priority", e.priority as f64)
        .num("attemptIndex", e.attempt_index)
        .set("lifecyclePhase", e.lifecycle_phase.as_str())
        .set("publicState", e.public_state.as_str())
        .opt("terminalOutcome", e.terminal_outcome.map(|o| o.as_str()))
        .num("createdAtMs", e.created_at_ms as f64)
        .opt("startedAtMs", ms(e.started_at_ms))
        .opt("terminalAtMs", ms(e.terminal_at_ms))
        .opt("delayUntilMs", ms(e.delay_until_ms))
        .set("progress", progress.build())
        .set("payload", bytes(e.payload))
        .set("result", bytes(e.result))
        .opt("lastFailure", e.last_failure)
        .num("leaseReclaimCount", e.lease_reclaim_count)
        .set("tags", tags.build())
        .build()
}

pub fn handle(h: Option<Handle>) -> JsValue {
    let Some(h) = h else { return JsValue::NULL };
    Obj::new()
        .set("executionId", h.execution_id)
        .num("attemptIndex", h.attempt_index)
        .num("leaseEpoch", h.lease_epoch as f64)
        .set("kind", h.kind.as_str())
        .set("token", h.token)
        .build()
}

pub fn renewal(r: Renewal) -> JsValue {
    Obj::new().num("leaseEpoch", r.lease_epoch as f64).num("expiresAtMs", r.expires_at_ms as f64).build()
}

pub fn fail_outcome(o: FailOutcome) -> JsValue {
    match o {
        FailOutcome::RetryScheduled { delay_until_ms, next_attempt_index } => Obj::new()
            .set("outcome", "retry_scheduled")
            .num("delayUntilMs", delay_until_ms as f64)
            .num("nextAttemptIndex", next_attempt_index)
            .build(),
        FailOutcome::TerminalFailed => Obj::new().set("outcome", "terminal_failed").build(),
    }
}

pub fn appended(a: Appended) -> JsValue {
    Obj::new()
        .set("id", a.id)
        .num("frameCount", a.frame_count as f64)
        .opt("summaryVersion", a.summary_version.map(|v| v as f64))
        .build()
}

fn frame_json(f: Frame) -> serde_json::Value {
    let mut fields = serde_json::json!({
        "frame_type": f.frame_type,
        "payload": f.payload,
        "encoding": f.encoding.as_str(),
        "source": "worker",
    });
    if let Some(c) = f.correlation_id {
        fields["correlation_id"] = c.into();
    }
    serde_json::json!({ "id": f.id, "mode": f.mode.as_str(), "fields": fields })
}

/// Frames are built as one JSON text and parsed once by the JS engine: far fewer boundary
/// crossings than setting every property from wasm.
fn from_json(v: serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).expect("serde_json output is valid JSON")
}

pub fn frame(f: Frame) -> JsValue {
    from_json(frame_json(f))
}

pub fn stream_frames(s: StreamFrames) -> JsValue {
    from_json(serde_json::json!({
        "frames": s.frames.into_iter().map(frame_json).collect::<Vec<_>>(),
        "closedAtMs": s.closed_at_ms,
        "closedReason": s.closed_reason,
    }))
}

pub fn summary(s: Option<Summary>) -> JsValue {
    let Some(s) = s else { return JsValue::NULL };
    let document = from_json(s.document);
    Obj::new()
        .set("document", document)
        .num("version", s.version as f64)
        .num("firstAppliedMs", s.first_applied_ms as f64)
        .num("lastUpdatedMs", s.last_updated_ms as f64)
        .build()
}

/// `{ done, value }` for the tail iterator.
pub fn iter_result(value: Option<Frame>) -> JsValue {
    match value {
        Some(f) => Obj::new().set("done", false).set("value", frame(f)).build(),
        None => Obj::new().set("done", true).set("value", JsValue::UNDEFINED).build(),
    }
}
