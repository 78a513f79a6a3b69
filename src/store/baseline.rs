//! The storage limit that benchmarks compare the engine against: one-row `INSERT`
//! transactions through the same SQLite build, connection and storage (OPFS, memory, a
//! Durable Object) as the engine's own writes, into a scratch table dropped afterwards.

use super::{sql, Store};
use crate::error::Result;
use rusqlite::params;

/// The row each transaction inserts: 100 bytes, the benchmark's frame payload.
const BODY: [u8; 100] = [b'x'; 100];

impl Store {
    /// Runs `count` transactions of one 100-byte `INSERT` each. The caller times it.
    pub fn raw_inserts(&self, count: u32) -> Result<()> {
        self.write(|tx| tx.exec_one(sql::CREATE_BENCH_RAW, []).map(drop))?;
        for _ in 0..count {
            self.write(|tx| tx.exec_one(sql::INSERT_BENCH_RAW, params![&BODY[..]]).map(drop))?;
        }
        self.write(|tx| tx.exec_one(sql::DROP_BENCH_RAW, []).map(drop))
    }
}
