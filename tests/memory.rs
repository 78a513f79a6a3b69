//! Resource limits: one stream of many frames appended and read back with memory bounded.
//! `FF_STREAM_FRAMES` frames (20,000 in the test command, whose debug build appends about 4,000
//! a second; 1,000,000 in scripts/long-tests.sh, a release build)
//! go into a file database and into a memory one; the process's peak RSS over the run (VmHWM,
//! reset before each) is printed and held to a bound. This file has one test so that no other
//! test shares the process while it is measured.
#![cfg(all(not(target_arch = "wasm32"), target_os = "linux"))]

mod common;

use common::T0;
use ff_backend_wasm::model::*;
use ff_backend_wasm::{Engine, ManualHost, Store};
use std::rc::Rc;
use std::task::Poll;

const MIB: u64 = 1 << 20;
/// Frames appended per transaction (one commit per batch, as `groupCommit` does).
const BATCH: usize = 1000;

/// A field of /proc/self/status, in bytes.
fn status(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let line = text.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).expect("a number of kB") * 1024
}

/// Resets the peak RSS to the current RSS (Linux ≥ 4.0).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("clear_refs");
}

fn frames() -> usize {
    std::env::var("FF_STREAM_FRAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

/// Appends `n` frames to one attempt's stream, reads them all back twice (pages of 10,000 with
/// `readStream`, then a `tail` follower) checking order and count, and returns the peak RSS
/// growth over the run, and the engine.
fn stream_through(store: Store, n: usize) -> (u64, Engine) {
    let clock = Rc::new(ManualHost::new(T0));
    let engine = Engine::new(store, Box::new(clock.clone()));
    let id = engine.create_execution(&CreateSpec::default()).unwrap().execution_id;
    let claim = ClaimSpec {
        lane: "default".into(),
        capabilities: vec![],
        worker_id: "w".into(),
        worker_instance_id: "w".into(),
        lease_ttl_ms: u32::MAX as i64,
    };
    let handle = engine.claim(&claim).unwrap().unwrap();
    reset_peak();
    let baseline = status("VmRSS:");
    for batch in 0..n.div_ceil(BATCH) {
        clock.advance(1);
        engine
            .group(|| {
                for i in batch * BATCH..((batch + 1) * BATCH).min(n) {
                    let payload = format!("frame {i:07} of a long stream, about sixty bytes of text");
                    engine.append_frame(&handle.token, &FrameSpec::durable(payload))?;
                }
                Ok(())
            })
            .unwrap();
    }
    engine.complete(&handle.token, None).unwrap();

    let (mut read, mut from) = (0, "start".to_string());
    loop {
        let page =
            engine.read_stream(&id, 0, &ReadSpec { from: from.clone(), limit: 10_000, ..Default::default() });
        let page = page.unwrap();
        for frame in &page.frames {
            assert_eq!(&frame.fields.payload[6..13], format!("{read:07}"), "frame {read} out of order");
            read += 1;
        }
        let Some(last) = page.frames.last() else { break };
        from = format!("{}-{}", last.ts_ms, last.seq + 1);
    }
    assert_eq!(read, n, "readStream paged through every frame");

    let follower =
        engine.follow_stream(&id, 0, &TailSpec { limit: 10_000, ..TailSpec::after("0-0") }).unwrap();
    let mut tailed = 0;
    loop {
        let mut next = std::pin::pin!(follower.next(&engine));
        match common::poll_once(next.as_mut()) {
            Poll::Ready(Ok(Some(_))) => tailed += 1,
            Poll::Ready(Ok(None)) => break,
            other => panic!("the tail of a closed stream answered {other:?}"),
        }
    }
    assert_eq!(tailed, n, "the tail yielded every frame, then ended");
    (status("VmHWM:").saturating_sub(baseline), engine)
}

#[test]
fn a_long_stream_is_written_and_read_back_in_bounded_memory() {
    let n = frames();
    let dir = std::env::temp_dir().join(format!("ff-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stream.db");
    let (file_growth, engine) = stream_through(Store::open_file(&path).unwrap(), n);
    drop(engine);
    let file_size = std::fs::metadata(&path).unwrap().len();
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!(
        "file storage: {n} frames, file {} MiB, peak RSS growth {} MiB",
        file_size / MIB,
        file_growth / MIB
    );
    // On a file the working set does not grow with the stream: SQLite's page cache (2 MiB by
    // default), one page of 10,000 frames, and the allocator's slack.
    assert!(file_growth <= 48 * MIB, "file storage grew {} MiB for {n} frames", file_growth / MIB);

    let (memory_growth, engine) = stream_through(Store::open_memory(None).unwrap(), n);
    let size = engine.export_image().unwrap().len() as u64;
    eprintln!(
        "memory storage: {n} frames, database {} MiB, peak RSS growth {} MiB",
        size / MIB,
        memory_growth / MIB
    );
    // In memory the database is the memory: its size, plus the same bounded working set.
    assert!(
        memory_growth <= size + size / 4 + 48 * MIB,
        "memory storage grew {} MiB for a {} MiB database",
        memory_growth / MIB,
        size / MIB
    );
}
