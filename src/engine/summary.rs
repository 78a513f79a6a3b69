//! Summary patches: RFC 7396 JSON merge patch (the `json-patch` crate's `merge`) plus the
//! FlowFabric rules of docs/API.md decision 6: the patch must be an object, at most 16 levels of
//! objects below the root, and the string `"__ff_null__"` stands for a literal `null`.

use crate::error::{EngineError, Result};
use serde_json::Value;

pub const NULL_SENTINEL: &str = "__ff_null__";
pub const MAX_DEPTH: usize = 16;
/// Largest summary document kept, serialized: 1 MiB. Patches are small, but they add up.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Parses and checks a patch before anything is written.
pub fn parse_patch(bytes: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| EngineError::invalid("summary patch is not UTF-8 text; it must be a JSON object"))?;
    let patch: Value = serde_json::from_str(text)
        .map_err(|e| EngineError::invalid(format!("summary patch not valid JSON: {e}")))?;
    if !patch.is_object() {
        return Err(EngineError::invalid(format!(
            "summary patch must be a JSON object, got {}",
            type_name(&patch)
        )));
    }
    let depth = object_depth(&patch);
    if depth > MAX_DEPTH {
        return Err(EngineError::invalid(format!(
            "summary patch nests objects {depth} levels below the root; the limit is {MAX_DEPTH}"
        )));
    }
    Ok(patch)
}

/// Serializes a merged document for storage, refusing one that grew past
/// [`MAX_DOCUMENT_BYTES`] (the append rolls back).
pub fn to_stored_text(doc: &Value) -> Result<String> {
    let text = doc.to_string();
    let len = text.len();
    if len > MAX_DOCUMENT_BYTES {
        return Err(EngineError::new(
            crate::error::ErrorCode::RetentionLimitExceeded,
            format!("the summary document would be {len} bytes; the limit is {MAX_DOCUMENT_BYTES}"),
        ));
    }
    Ok(text)
}

/// Merges `patch` into `doc`, then turns every sentinel string into `null`.
pub fn apply(doc: &mut Value, patch: &Value) {
    json_patch::merge(doc, patch);
    replace_sentinel(doc);
}

fn replace_sentinel(v: &mut Value) {
    match v {
        Value::String(s) if s == NULL_SENTINEL => *v = Value::Null,
        Value::Array(items) => items.iter_mut().for_each(replace_sentinel),
        Value::Object(map) => map.values_mut().for_each(replace_sentinel),
        _ => {}
    }
}

/// Levels of objects below this value (arrays are transparent): `{}` is 0, `{"a":{}}` is 1,
/// `{"a":[{}]}` is 1.
fn object_depth(v: &Value) -> usize {
    let level_of = |child: &Value| object_depth(child) + child.is_object() as usize;
    match v {
        Value::Object(map) => map.values().map(level_of).max().unwrap_or(0),
        Value::Array(items) => items.iter().map(level_of).max().unwrap_or(0),
        _ => 0,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(doc: Value, patch: &str) -> Value {
        let mut doc = doc;
        apply(&mut doc, &parse_patch(patch.as_bytes()).unwrap());
        doc
    }

    #[test]
    fn null_deletes_and_sentinel_stores_null() {
        assert_eq!(merged(json!({"x": 1, "y": 2}), r#"{"x": null}"#), json!({"y": 2}));
        assert_eq!(merged(json!({}), r#"{"x": "__ff_null__"}"#), json!({"x": null}));
        assert_eq!(
            merged(json!({}), r#"{"a": ["__ff_null__", {"b": "__ff_null__"}]}"#),
            json!({"a": [null, {"b": null}]})
        );
    }

    #[test]
    fn nested_objects_merge_and_arrays_replace() {
        let doc = json!({"a": {"b": 1, "c": [1, 2]}});
        assert_eq!(merged(doc, r#"{"a": {"d": 2, "c": [3]}}"#), json!({"a": {"b": 1, "c": [3], "d": 2}}));
        assert_eq!(merged(json!({"a": 5}), r#"{"a": {"b": 1}}"#), json!({"a": {"b": 1}}));
    }

    #[test]
    fn non_object_patches_and_bad_json_are_rejected() {
        for bad in ["[1]", "3", "\"s\"", "null", "true", "{", ""] {
            assert!(parse_patch(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(parse_patch(&[0xff, 0xfe]).unwrap_err().message.contains("UTF-8"));
    }

    #[test]
    fn depth_is_capped_at_sixteen_levels_below_the_root() {
        let nest = |levels: usize| format!("{}1{}", r#"{"a":"#.repeat(levels + 1), "}".repeat(levels + 1));
        assert!(parse_patch(nest(16).as_bytes()).is_ok());
        let err = parse_patch(nest(17).as_bytes()).unwrap_err();
        assert!(err.message.contains("17 levels"), "{}", err.message);
        let through_arrays = format!("{{\"a\":[{}]}}", nest(16));
        assert!(parse_patch(through_arrays.as_bytes()).is_err());
    }
}
