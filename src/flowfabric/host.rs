//! Clocks for the engine thread. The engine reads time and randomness only through a
//! [`Host`]; a [`super::WasmBackend`] moves its host onto the engine thread, so a host given to
//! it must be `Send`, and a clock a test keeps moving from outside must be shared safely:
//! [`ManualClock`] is the thread-safe counterpart of [`crate::ManualHost`].

use crate::error::{EngineError, Result};
use crate::host::Host;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The machine's clock and the operating system's random bytes: what `open_in_memory` and
/// `open_file` use.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemHost;

impl Host for SystemHost {
    fn now_ms(&self) -> Result<i64> {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| EngineError::invalid("the system clock reads before 1970"))?;
        i64::try_from(since.as_millis()).map_err(|_| EngineError::invalid("the system clock is out of range"))
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            // The OS source failing is practically unheard of; ids must still be minted, and
            // they only need to be unique, so fall back to a time-seeded generator.
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
            splitmix_fill(&FALLBACK_SEED, nanos, buf);
        }
    }
}

static FALLBACK_SEED: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);

/// A clock tests set and move by hand from any thread, with deterministic "random" bytes.
/// Clones share the same time: keep one, hand another to [`super::WasmBackend::open_with`].
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
    seed: Arc<AtomicU64>,
}

impl ManualClock {
    pub fn new(start_ms: i64) -> Self {
        ManualClock { now: Arc::new(AtomicI64::new(start_ms)), seed: Arc::new(AtomicU64::new(1)) }
    }

    pub fn get(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }

    pub fn set(&self, ms: i64) {
        self.now.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Host for ManualClock {
    fn now_ms(&self) -> Result<i64> {
        Ok(self.get())
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        splitmix_fill(&self.seed, 0, buf);
    }
}

/// splitmix64 over a shared counter: well spread, and unique per call.
fn splitmix_fill(seed: &AtomicU64, salt: u64, buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let mut z = seed.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) ^ salt;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
}
