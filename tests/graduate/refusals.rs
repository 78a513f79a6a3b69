//! Each refusal exits 1 with a message naming what is wrong and leaves the target exactly as
//! it was; the flags that accept what was refused then copy it. Reads of the graduated data go
//! through upstream's `PostgresBackend` and the trait; the "unchanged" checks compare
//! [`fingerprint`]s (every table's rows and every sequence).

use crate::*;
use ff_backend_postgres::PostgresBackend;
use ff_core::backend::{BackendConfig, CapabilitySet, ClaimPolicy, ScannerFilter};
use ff_core::engine_backend::EngineBackend;
use ff_core::handle_codec;
use ff_core::state::{AttemptState, PublicState};
use ff_core::stream_events::LeaseHistoryEvent;
use ff_core::stream_subscribe::encode_postgres_event_cursor;
use ff_core::types::{ExecutionId, LaneId, WorkerId, WorkerInstanceId};
use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

/// Runs ff-graduate, expecting a refusal whose message holds every one of `says`, and checks
/// that `url`'s database is unchanged by it.
async fn refused(url: &str, args: &[&str], says: &[&str]) {
    let before = fingerprint(url).await;
    let mut all = args.to_vec();
    all.extend(["--to", url]);
    let out = graduate(&all).await;
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{said}{}", stdout(&out));
    assert!(said.starts_with("ff-graduate: refused: "), "{said}");
    for s in says {
        assert!(said.contains(s), "expected {s:?} in: {said}");
    }
    assert!(said.contains("the target was not changed"), "{said}");
    assert_eq!(fingerprint(url).await, before, "the target changed: {said}");
}

async fn copied(url: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--to", url]);
    let out = graduate(&all).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

async fn postgres(url: &str) -> Arc<dyn EngineBackend> {
    PostgresBackend::connect(BackendConfig::postgres(url)).await.unwrap()
}

/// The next lease event, or `None` if none comes within 10 s (the subscription connects and
/// replays in a task of its own, so the first one may take a moment).
async fn next(events: &mut ff_core::stream_events::LeaseHistorySubscription) -> Option<LeaseHistoryEvent> {
    let item =
        tokio::time::timeout(Duration::from_secs(10), poll_fn(|cx| events.as_mut().poll_next(cx))).await;
    Some(item.ok()??.expect("a lease event, not an error"))
}

fn id(manifest: &Value, name: &str) -> ExecutionId {
    ExecutionId::parse(manifest["ids"][name].as_str().unwrap()).unwrap()
}

#[test]
#[ignore = "needs Postgres: run scripts/test-graduate.sh"]
fn a_live_lease_is_refused_by_name_unless_it_is_expired_as_an_expiry_would() {
    run(async {
        let dir = TempDir::create();
        let file = dir.join("live.sqlite");
        let manifest = sandbox(&file, &["--live-lease"]);
        let live = id(&manifest, "live");
        let from = ["--from", file.to_str().unwrap()];
        refused(&empty_database().await, &from, &["hold a live lease", live.as_str(), "--expire-leases"])
            .await;

        let url = migrated_database().await;
        let report = copied(&url, &[from[0], from[1], "--expire-leases"]).await;
        assert!(report.contains(&format!("ended live ones (--expire-leases): {live}")), "{report}");
        let pg = postgres(&url).await;
        let info = pg.read_execution_info(&live).await.unwrap().unwrap();
        assert_eq!(
            (info.public_state, info.state_vector.attempt_state),
            (PublicState::Waiting, AttemptState::AttemptInterrupted)
        );
        assert_eq!(info.current_attempt_index, 1);
        // The expiry is in the lease history, as the sandbox's own expiry writes it.
        let mut events =
            pg.subscribe_lease_history(encode_postgres_event_cursor(0), &ScannerFilter::NOOP).await.unwrap();
        let expired = loop {
            match next(&mut events).await {
                Some(LeaseHistoryEvent::Expired { execution_id, .. }) if execution_id == live => break true,
                Some(_) => continue,
                None => break false,
            }
        };
        assert!(expired, "an expired lease event for {live}");
        let policy = ClaimPolicy::new(WorkerId::new("w"), WorkerInstanceId::new("w-1"), 30_000, None);
        let handle =
            pg.claim(&LaneId::new("live"), &CapabilitySet::new(Vec::<String>::new()), policy).await.unwrap();
        let claimed = handle_codec::decode(&handle.unwrap().opaque).unwrap().payload;
        assert_eq!((claimed.execution_id, claimed.attempt_index.0), (live, 1));
    })
}

#[test]
#[ignore = "needs Postgres: run scripts/test-graduate.sh"]
fn a_clock_far_from_real_time_is_refused_unless_accepted() {
    run(async {
        let dir = TempDir::create();
        let ahead = dir.join("ahead.sqlite");
        sandbox(&ahead, &["--skew-ms", &(3 * DAY_MS).to_string()]);
        let behind = dir.join("behind.sqlite");
        // 2019-06-01, whatever today is.
        let skew = 1_559_347_200_000
            - std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        let manifest = sandbox(&behind, &["--skew-ms", &skew.to_string()]);
        let empty = empty_database().await;
        let (ahead, behind) = (ahead.to_str().unwrap(), behind.to_str().unwrap());
        refused(
            &empty,
            &["--from", ahead],
            &["ff_stream_frame.ts_ms (frame ids) reaches", "more than a day after now", "--accept-clock"],
        )
        .await;
        refused(&empty, &["--from", behind], &["goes back to 2019-06-01", "before 2020", "--accept-clock"])
            .await;

        let url = migrated_database().await;
        let report = copied(&url, &["--from", behind, "--accept-clock"]).await;
        assert!(report.contains("clock accepted (--accept-clock)"), "{report}");
        let pg = postgres(&url).await;
        assert_eq!(
            pg.read_execution_state(&id(&manifest, "completed")).await.unwrap(),
            Some(PublicState::Completed)
        );
        let report = copied(&migrated_database().await, &["--from", ahead, "--accept-clock"]).await;
        assert!(report.contains("more than a day after now"), "{report}");
    })
}

#[test]
#[ignore = "needs Postgres: run scripts/test-graduate.sh"]
fn damaged_foreign_and_unknown_files_are_refused() {
    run(async {
        let dir = TempDir::create();
        let good = dir.join("good.sqlite");
        sandbox(&good, &[]);
        let bytes = std::fs::read(&good).unwrap();
        let variant = |name: &str, edit: &dyn Fn(&mut Vec<u8>)| {
            let mut copy = bytes.clone();
            edit(&mut copy);
            let path = dir.join(name);
            std::fs::write(&path, copy).unwrap();
            path.to_str().unwrap().to_string()
        };
        // Pages after the first overwritten with a pattern: b-trees no longer parse.
        let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
        let damaged = variant("damaged.sqlite", &|b| b[page * 2..page * 4].fill(0x5a));
        // SQLite's header field `user_version` (offset 60, big-endian) holds our schema version.
        let version = |v: i32| move |b: &mut Vec<u8>| b[60..64].copy_from_slice(&v.to_be_bytes());
        let newer = variant("newer.sqlite", &version(99));
        let unversioned = variant("unversioned.sqlite", &version(0));
        let negative = variant("negative.sqlite", &version(-1));
        let text = variant("notes.txt", &|b| *b = b"not a database at all\n".repeat(10));

        let url = empty_database().await;
        refused(&url, &["--from", &damaged], &["integrity check failed"]).await;
        refused(&url, &["--from", &newer], &["schema version 99, newer than this build knows"]).await;
        refused(&url, &["--from", &unversioned], &["schema version 0: an empty database"]).await;
        refused(&url, &["--from", &negative], &["schema version -1, which ff-backend-wasm never writes"])
            .await;
        refused(&url, &["--from", &text], &["not a SQLite database"]).await;
        let missing = dir.join("missing.sqlite");
        refused(&url, &["--from", missing.to_str().unwrap()], &["cannot read"]).await;
        assert!(fingerprint(&url).await.is_empty(), "no table was created");
    })
}

#[test]
#[ignore = "needs Postgres: run scripts/test-graduate.sh"]
fn an_empty_target_is_prepared_others_follow_and_a_second_copy_is_refused() {
    run(async {
        let dir = TempDir::create();
        let (first, second) = (dir.join("first.sqlite"), dir.join("second.sqlite"));
        let manifest = sandbox(&first, &[]);
        sandbox(&second, &[]);
        let url = empty_database().await;
        copied(&url, &["--from", first.to_str().unwrap()]).await;
        let pg = postgres(&url).await;
        let completed = id(&manifest, "completed");
        assert_eq!(pg.read_execution_state(&completed).await.unwrap(), Some(PublicState::Completed));
        // Another sandbox joins the same target: its events are numbered after the first's.
        let report = copied(&url, &["--from", second.to_str().unwrap()]).await;
        assert!(report.contains("ff_exec_core                          10"), "{report}");
        let mut events =
            pg.subscribe_lease_history(encode_postgres_event_cursor(0), &ScannerFilter::NOOP).await.unwrap();
        let mut cursors = Vec::new();
        while let Some(e) = next(&mut events).await {
            cursors.push(u64::from_be_bytes(e.cursor().as_bytes()[1..].try_into().unwrap()));
            if cursors.len() == 28 {
                break;
            }
        }
        assert_eq!(cursors, (1..=cursors.len() as u64).collect::<Vec<_>>(), "one sequence, no gap, no clash");
        assert_eq!(cursors.len(), 28);
        refused(
            &url,
            &["--from", first.to_str().unwrap()],
            &["already holds 10 of the sandbox's executions", completed.as_str()],
        )
        .await;
    })
}
