//! The summary rules of docs/API.md decision 6, written independently of the engine: RFC 7396
//! merge patches that must be objects at most 16 levels of objects below the root, `null`
//! deletes, the string `"__ff_null__"` stores a literal `null`, arrays replace.

use serde_json::{Map, Value};

const SENTINEL: &str = "__ff_null__";
const MAX_DEPTH: usize = 16;

/// The patch a payload holds, or `None` when the engine must refuse it.
pub fn parse_patch(payload: &str) -> Option<Value> {
    let value: Value = serde_json::from_str(payload).ok()?;
    (value.is_object() && depth(&value) <= MAX_DEPTH).then_some(value)
}

/// Levels of objects below `v`; arrays do not count as a level.
fn depth(v: &Value) -> usize {
    let below = |c: &Value| depth(c) + usize::from(c.is_object());
    match v {
        Value::Object(m) => m.values().map(below).max().unwrap_or(0),
        Value::Array(a) => a.iter().map(below).max().unwrap_or(0),
        _ => 0,
    }
}

/// RFC 7396 section 2, then the sentinel rule over the whole document.
pub fn apply(doc: &mut Value, patch: &Value) {
    merge(doc, patch);
    unsentinel(doc);
}

fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(fields) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else { unreachable!("made an object above") };
    for (key, value) in fields {
        if value.is_null() {
            map.remove(key);
        } else {
            merge(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

fn unsentinel(v: &mut Value) {
    match v {
        Value::String(s) if s == SENTINEL => *v = Value::Null,
        Value::Array(items) => items.iter_mut().for_each(unsentinel),
        Value::Object(map) => map.values_mut().for_each(unsentinel),
        _ => {}
    }
}
