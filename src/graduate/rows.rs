//! Our rows as lines of `COPY ... FROM STDIN` text for upstream's tables: one statement and one
//! encoder per table, columns in the statement's order. docs/API.md lists what maps to what.
//! (Postgres SQL for upstream's schema, kept here for the reason target.rs gives.)

use super::copy::CopyText;
use super::plan::Plan;
use super::{refused, Error};
use crate::base64;
use crate::store::export::StoredFrame;

pub const EXEC: &str = "COPY ff_exec_core (partition_key, execution_id, flow_id, lane_id, \
     required_capabilities, attempt_index, lifecycle_phase, ownership_state, eligibility_state, \
     public_state, attempt_state, blocking_reason, cancellation_reason, cancelled_by, priority, \
     created_at_ms, terminal_at_ms, deadline_at_ms, payload, result, policy, raw_fields, \
     started_at_ms, lease_reclaim_count) FROM STDIN";

pub fn executions(plan: &Plan) -> CopyText {
    let mut c = CopyText::default();
    for e in &plan.executions {
        let (row, s) = (&e.row, &e.state);
        c.int(0);
        c.text(&row.id.uuid_text());
        c.null();
        c.text(&row.lane);
        c.text_array(&e.capabilities);
        c.int(i64::from(s.attempt_index));
        for literal in
            [s.lifecycle_phase, s.ownership_state, s.eligibility_state, s.public_state, s.attempt_state]
        {
            c.text(literal);
        }
        c.opt_text(s.blocking_reason.as_deref());
        c.opt_text(row.cancellation_reason.as_deref());
        c.opt_text(row.cancelled_by.as_deref());
        c.int(row.priority);
        c.int(row.created_at_ms);
        c.opt_int(row.terminal_at_ms);
        c.opt_int(s.deadline_at_ms);
        c.bytea(row.payload.as_deref());
        c.bytea(row.result.as_deref());
        c.text(&e.policy.to_string());
        c.text(&e.raw_fields.to_string());
        c.opt_int(row.started_at_ms);
        c.int(i64::from(row.lease_reclaim_count));
        c.end_row();
    }
    c
}

pub const ATTEMPT: &str = "COPY ff_attempt (partition_key, execution_id, attempt_index, worker_id, \
     worker_instance_id, lease_epoch, lease_expires_at_ms, started_at_ms, terminal_at_ms, outcome, \
     raw_fields) FROM STDIN";

pub fn attempts(plan: &Plan) -> CopyText {
    let mut c = CopyText::default();
    for a in &plan.attempts {
        c.int(0);
        c.text(&a.execution_id.uuid_text());
        c.int(i64::from(a.attempt_index));
        c.opt_text(a.worker_id.as_deref());
        c.opt_text(a.worker_instance_id.as_deref());
        c.int(a.lease_epoch as i64);
        c.opt_int(a.lease_expires_at_ms);
        c.opt_int(a.started_at_ms);
        c.opt_int(a.terminal_at_ms);
        // Checked when the plan was built: every attempt has ended.
        c.opt_text(a.outcome.map(|o| o.as_str()));
        c.text(&super::map::attempt_raw_fields(a).to_string());
        c.end_row();
    }
    c
}

pub const SUMMARY: &str = "COPY ff_stream_summary (partition_key, execution_id, attempt_index, \
     document_json, version, patch_kind, last_updated_ms, first_applied_ms) FROM STDIN";

pub fn summaries(plan: &Plan) -> Result<CopyText, Error> {
    let mut c = CopyText::default();
    for ((id, index), s) in &plan.summaries {
        let document =
            serde_json::to_string(&s.document).map_err(|e| refused(format!("summary of {id}: {e}")))?;
        c.int(0);
        c.text(&id.uuid_text());
        c.int(i64::from(*index));
        c.text(&document);
        c.int(s.version as i64);
        c.text("json-merge-patch");
        c.int(s.last_updated_ms);
        c.int(s.first_applied_ms);
        c.end_row();
    }
    Ok(c)
}

pub const META: &str = "COPY ff_stream_meta (partition_key, execution_id, attempt_index, ema_rate_hz, \
     last_append_ts_ms, maxlen_applied_last) FROM STDIN";

pub fn stream_meta(plan: &Plan) -> CopyText {
    let mut c = CopyText::default();
    for ((id, index), m) in &plan.stream_meta {
        c.int(0);
        c.text(&id.uuid_text());
        c.int(i64::from(*index));
        c.float(m.ema_rate_hz);
        c.int(m.last_append_ts_ms);
        c.int(m.maxlen_applied_last.clamp(0, i64::from(i32::MAX)));
        c.end_row();
    }
    c
}

// `event_id` is an identity column there; COPY writes the given values, as INSERT's
// OVERRIDING SYSTEM VALUE would.
pub const COMPLETION: &str = "COPY ff_completion_event (partition_key, event_id, execution_id, flow_id, \
     outcome, namespace, instance_tag, occurred_at_ms, committed_at_ms, dispatched_at_ms) FROM STDIN";

pub fn completions(plan: &Plan, base: i64) -> CopyText {
    let mut c = CopyText::default();
    for e in &plan.completions {
        c.int(0);
        c.int(e.event_id + base);
        c.text(&e.execution_id.uuid_text());
        c.null();
        c.text(e.outcome.as_str());
        c.opt_text(e.namespace.as_deref());
        c.opt_text(e.instance_tag.as_deref());
        c.int(e.occurred_at_ms);
        c.int(e.committed_at_ms);
        // Dispatched: sandbox executions belong to no flow, so no dependency waits on them.
        c.opt_int(e.dispatched_at_ms.or(Some(e.committed_at_ms)));
        c.end_row();
    }
    c
}

pub const LEASE_EVENT: &str = "COPY ff_lease_event (event_id, execution_id, lease_id, event_type, \
     occurred_at_ms, partition_key, namespace, instance_tag) FROM STDIN";

pub fn lease_events(plan: &Plan, base: i64) -> CopyText {
    let mut c = CopyText::default();
    for e in &plan.lease_events {
        c.int(e.event_id + base);
        c.text(&e.execution_id.uuid_text());
        c.opt_text(e.lease_id.as_deref());
        c.text(e.event.as_str());
        c.int(e.occurred_at_ms);
        c.int(0);
        c.opt_text(e.namespace.as_deref());
        c.opt_text(e.instance_tag.as_deref());
        c.end_row();
    }
    c
}

pub fn frame_row(c: &mut CopyText, f: &StoredFrame) -> Result<(), Error> {
    c.int(0);
    c.text(&f.key.0.uuid_text());
    c.int(i64::from(f.key.1));
    c.int(f.ts_ms);
    c.int(f.seq);
    // jsonb cannot hold U+0000 (the JSON escape `\u0000`), which a UTF-8 payload may contain.
    if f.fields_json.contains("\\u0000") {
        c.text(&without_nul(f)?);
    } else {
        c.text(&f.fields_json);
    }
    c.text(f.mode.as_str());
    c.int(f.created_at_ms);
    c.end_row();
    Ok(())
}

/// The frame's fields with a payload holding U+0000 stored base64-encoded (`encoding:
/// "base64"`, as our own non-UTF-8 payloads are), so its bytes still round-trip.
fn without_nul(f: &StoredFrame) -> Result<String, Error> {
    let where_ = || format!("frame {}-{} of {} attempt {}", f.ts_ms, f.seq, f.key.0, f.key.1);
    let mut fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&f.fields_json)
        .map_err(|e| refused(format!("{} does not parse: {e}", where_())))?;
    if fields.get("encoding").and_then(|e| e.as_str()) == Some("utf8") {
        if let Some(payload) = fields.get("payload").and_then(|p| p.as_str()) {
            let encoded = base64::encode(payload.as_bytes());
            fields.insert("payload".into(), encoded.into());
            fields.insert("encoding".into(), "base64".into());
        }
    }
    let text = serde_json::Value::Object(fields).to_string();
    if text.contains("\\u0000") {
        return Err(refused(format!(
            "{} holds U+0000 outside its payload, which jsonb cannot store",
            where_()
        )));
    }
    Ok(text)
}
