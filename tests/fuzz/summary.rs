//! Summary merge patches (src/engine/summary.rs) through `appendFrame(mode: summary)`: arbitrary
//! bytes, arbitrary JSON (nested past the 16-level limit and past the parser's own), and
//! mutated valid patches. Each is applied exactly as decision 6 says (tests/model/json.rs is the
//! independent rule) or refused with `invalid_input` writing nothing; never a panic, and the
//! stored document always reads back.

use super::common::fixture;
use super::{config, json, only};
use ff_backend_wasm::model::*;
use ff_backend_wasm::ErrorCode;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(Value::from),
        Just(Value::String("__ff_null__".into())),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(20, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (prop_oneof![Just("a".to_string()), Just("b".into()), ".{0,4}".prop_map(|s| s)], inner),
                0..4
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// `depth` brackets, each `{"k":` or `[`, around a leaf: past 16 levels of objects, and past
/// serde_json's recursion limit (128) too.
fn nested() -> impl Strategy<Value = String> {
    (prop::collection::vec(any::<bool>(), 0..400), any::<bool>()).prop_map(|(levels, wrap)| {
        let open: String = levels.iter().map(|&o| if o { "{\"k\":" } else { "[" }).collect();
        let close: String = levels.iter().rev().map(|&o| if o { "}" } else { "]" }).collect();
        let body = format!("{open}1{close}");
        if wrap {
            format!("{{\"top\":{body}}}")
        } else {
            body
        }
    })
}

fn patch_bytes() -> impl Strategy<Value = Vec<u8>> {
    let mutated = (json_value(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(v, at, byte)| {
        let mut bytes = serde_json::to_vec(&v).expect("a value serializes");
        let i = at.index(bytes.len());
        bytes[i] = byte;
        bytes
    });
    prop_oneof![
        4 => json_value().prop_map(|v| serde_json::to_vec(&v).expect("a value serializes")),
        2 => prop::collection::vec((".{0,3}", json_value()), 0..4).prop_map(|fields| {
            serde_json::to_vec(&Value::Object(fields.into_iter().collect())).expect("an object serializes")
        }),
        2 => nested().prop_map(String::into_bytes),
        1 => mutated,
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

#[test]
fn summary_patches_merge_as_decision_6_says_or_are_refused_whole() {
    let mut runner = TestRunner::new(config(1.0));
    runner
        .run(&prop::collection::vec(patch_bytes(), 1..5), |patches| {
            let f = fixture();
            let id = f.create_default();
            let h = f.claim();
            let mut model: Option<(Value, u64)> = None;
            for patch in patches {
                let spec = FrameSpec::durable(patch.clone()).with_mode(AppendMode::Summary);
                let appended = f.engine.append_frame(&h.token, &spec);
                only(
                    &appended,
                    &[ErrorCode::InvalidInput, ErrorCode::RetentionLimitExceeded],
                    "summary append",
                )
                .map_err(TestCaseError::fail)?;
                let expected = std::str::from_utf8(&patch).ok().and_then(json::parse_patch);
                prop_assert_eq!(
                    appended.is_ok(),
                    expected.is_some(),
                    "{:?}",
                    String::from_utf8_lossy(&patch)
                );
                if let (Ok(appended), Some(p)) = (appended, expected) {
                    let (doc, version) = model.get_or_insert_with(|| (Value::Object(Map::new()), 0));
                    json::apply(doc, &p);
                    *version += 1;
                    prop_assert_eq!(appended.summary_version, Some(*version));
                }
                let stored = f.engine.read_summary(&id, 0).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(stored.map(|s| (s.document, s.version)), model.clone());
            }
            Ok(())
        })
        .unwrap();
}
