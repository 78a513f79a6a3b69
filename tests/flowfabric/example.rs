//! Runs the `flowfabric_worker` example's logic on an in-memory backend and checks what it did.

use crate::worker_example::demo;
use ff_backend_wasm::flowfabric::WasmBackend;

#[test]
fn the_worker_example_runs_to_completion() {
    crate::common::run(async {
        let report = demo(WasmBackend::open_in_memory().await.unwrap()).await.unwrap();
        // Claims go by priority, then age: the retried job is older than the third one.
        assert_eq!(
            report.outcomes,
            [
                "completed resize photo 17",
                "retry flaky upload 4",
                "completed flaky upload 4",
                "completed encode video 3"
            ]
        );
        let expected_summaries = (1..=3).map(|step| format!(r#"{{"step":{step},"of":3}}"#));
        let mut expected = vec!["starting resize photo 17".to_string()];
        expected.extend(expected_summaries);
        expected.push("finished resize photo 17".into());
        assert_eq!(report.tailed, expected, "durable and summary frames, no best-effort ticks");
        assert_eq!(report.summary, r#"{"of":3,"step":3}"#);
    })
}
