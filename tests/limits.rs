//! Resource limits and refusals: ten thousand followers and tails dropped while waiting leave no
//! waiter behind; a file that is not a SQLite database, and a SQLite database of another
//! application, are refused with a clear error and left byte for byte as they were.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use ff_backend_wasm::model::*;
use ff_backend_wasm::{ErrorCode, Store};
use std::path::PathBuf;
use std::task::Poll;

const MANY: usize = 10_000;

#[test]
fn ten_thousand_dropped_followers_and_tails_leave_no_waiter() {
    let f = fixture();
    let id = f.create_default();
    let _h = f.claim();
    let engine = &f.engine;
    let stream = TailSpec::after("0-0");
    let everything = CompletionsSpec::default();
    let mut kept = Vec::new();
    for n in 0..MANY {
        // Each parks a waiter, then is dropped while waiting (or kept and dropped later).
        match n % 4 {
            0 => {
                let follower = engine.follow_stream(&id, 0, &stream).unwrap();
                let mut next = Box::pin(async move { follower.next(engine).await });
                assert!(poll_once(next.as_mut()).is_pending());
                kept.push(next);
            }
            1 => {
                let follower = engine.follow_completions(&everything).unwrap();
                let mut next = std::pin::pin!(follower.next(engine));
                assert!(poll_once(next.as_mut()).is_pending());
            }
            2 => {
                let timer = FakeTimer::default();
                let spec = TailSpec { block_ms: 30_000, ..TailSpec::after("0-0") };
                let mut tail = std::pin::pin!(engine.tail_stream(&id, 0, &spec, timer.sleep()));
                assert!(poll_once(tail.as_mut()).is_pending());
            }
            _ => drop(engine.follow_lease_history(&LeaseHistorySpec::default()).unwrap()),
        }
    }
    assert_eq!(engine.waiter_count(), MANY / 4, "the kept stream followers are the only waiters");
    drop(kept);
    assert_eq!(engine.waiter_count(), 0);
    // The engine still wakes and serves a new follower normally.
    let follower = engine.follow_stream(&id, 0, &stream).unwrap();
    let mut next = std::pin::pin!(follower.next(engine));
    assert!(poll_once(next.as_mut()).is_pending());
    f.append(&_h, "after all that");
    assert!(matches!(poll_once(next.as_mut()), Poll::Ready(Ok(Some(_)))));
}

/// A scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ff-limits-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, bytes: &[u8]) -> PathBuf {
        let path = self.0.join("db");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Everything in the directory: the file and any journal an open left behind.
    fn listing(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<_> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
            .collect();
        out.sort();
        out
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A SQLite database of some other program: its own tables and rows, as the sqlite3 CLI makes.
fn other_application(setup: &str) -> Vec<u8> {
    let scratch = Scratch::new("other");
    let path = scratch.0.join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(setup).unwrap();
    drop(conn);
    std::fs::read(&path).unwrap()
}

/// Opens `bytes` as a file and as an image; both must be refused (the file with `code`, the
/// image with `image_code`), the file and its directory exactly as they were, and the message
/// must say what is wrong.
fn refused(name: &str, bytes: &[u8], code: ErrorCode, image_code: ErrorCode, says: &str) {
    let scratch = Scratch::new(name);
    let path = scratch.file(bytes);
    let before = scratch.listing();
    let err = Store::open_file(&path).err().unwrap_or_else(|| panic!("{name}: the file opened"));
    assert_eq!(err.code, code, "{name}: {err}");
    assert!(err.message.contains(says), "{name}: {}", err.message);
    assert_eq!(scratch.listing(), before, "{name}: the file or its directory changed");
    let image = bytes.to_vec();
    let err = Store::open_memory(Some(&image)).err().unwrap_or_else(|| panic!("{name}: the image opened"));
    assert_eq!(err.code, image_code, "{name} as an image: {err}");
    assert_eq!(image, bytes);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_as_it_was() {
    refused(
        "text",
        b"hello, this is a text file and not a database at all\n".repeat(100).as_slice(),
        ErrorCode::Corruption,
        ErrorCode::InvalidInput,
        "not a database",
    );
    let mut noise = vec![0u8; 16_384];
    for (i, b) in noise.iter_mut().enumerate() {
        *b = (i * 2_654_435_761 % 251) as u8;
    }
    refused("noise", &noise, ErrorCode::Corruption, ErrorCode::InvalidInput, "not a database");
}

#[test]
fn a_database_of_another_application_is_refused_and_left_as_it_was() {
    let notes = other_application("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');");
    refused("notes", &notes, ErrorCode::StorageUnavailable, ErrorCode::StorageUnavailable, "\"notes\"");
    let versioned = other_application("CREATE TABLE accounts (id); PRAGMA user_version = 3;");
    refused(
        "versioned",
        &versioned,
        ErrorCode::StorageUnavailable,
        ErrorCode::StorageUnavailable,
        "version is 3",
    );
    let marked = other_application("PRAGMA application_id = 1234;");
    refused(
        "marked",
        &marked,
        ErrorCode::StorageUnavailable,
        ErrorCode::StorageUnavailable,
        "application_id",
    );
}

#[test]
fn this_packages_own_files_still_open_and_an_empty_file_becomes_one() {
    let scratch = Scratch::new("ours");
    let path = scratch.file(b"");
    let store = Store::open_file(&path).unwrap();
    drop(store);
    let image = std::fs::read(&path).unwrap();
    // SQLite's header: application_id at offset 68, big-endian.
    assert_eq!(&image[68..72], &0x4646_6277u32.to_be_bytes(), "marked as this package's");
    Store::open_file(&path).unwrap();
    Store::open_memory(Some(&image)).unwrap();
}
