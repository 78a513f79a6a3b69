//! What the engine needs from the place it runs: the time and random bytes.
//!
//! Both are injected so that lease expiry, backoff and frame ids can be tested by stepping a
//! clock, and because `SystemTime::now()` panics on `wasm32-unknown-unknown`. Only this file and
//! the facade's `js/host.rs` may read time or randomness.

use crate::error::Result;
use std::cell::Cell;

pub trait Host {
    /// Unix milliseconds. A user-supplied clock may fail (throw, return NaN): that is an error.
    fn now_ms(&self) -> Result<i64>;
    /// Fills `buf` with unpredictable bytes (used for uuid v4).
    fn random_bytes(&self, buf: &mut [u8]);
}

/// A clock the test moves by hand, with a deterministic byte source.
pub struct ManualHost {
    now: Cell<i64>,
    seed: Cell<u64>,
}

impl ManualHost {
    pub fn new(start_ms: i64) -> Self {
        ManualHost { now: Cell::new(start_ms), seed: Cell::new(0x9e37_79b9_7f4a_7c15) }
    }

    pub fn set(&self, ms: i64) {
        self.now.set(ms);
    }

    pub fn advance(&self, ms: i64) {
        self.now.set(self.now.get() + ms);
    }

    pub fn get(&self) -> i64 {
        self.now.get()
    }
}

impl Host for ManualHost {
    fn now_ms(&self) -> Result<i64> {
        Ok(self.now.get())
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        // splitmix64: deterministic, well spread, good enough for test ids.
        for chunk in buf.chunks_mut(8) {
            let mut z = self.seed.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            self.seed.set(z);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

impl<T: Host + ?Sized> Host for std::rc::Rc<T> {
    fn now_ms(&self) -> Result<i64> {
        (**self).now_ms()
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        (**self).random_bytes(buf)
    }
}
