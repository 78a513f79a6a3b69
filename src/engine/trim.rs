//! Best-effort retention, as the reference sizes it: an exponential moving average of the
//! append rate decides how many frames K cover two TTLs, clamped to [64, 16384]; the stream
//! keeps its newest K frames.

pub const FLOOR: i64 = 64;
pub const CEILING: i64 = 16_384;
pub const ALPHA: f64 = 0.2;

/// New `(ema_rate_hz, K)` after an append at `ts`, given the previous average and append time.
pub fn best_effort_keep(ema_prev: f64, last_ts: i64, ts: i64, ttl_ms: u32) -> (f64, i64) {
    let instant_hz = if last_ts > 0 && ts > last_ts { 1000.0 / (ts - last_ts) as f64 } else { 0.0 };
    let ema = ALPHA * instant_hz + (1.0 - ALPHA) * ema_prev;
    let raw = (ema * ttl_ms as f64 / 1000.0).ceil() * 2.0;
    let keep = if raw.is_finite() { (raw as i64).clamp(FLOOR, CEILING) } else { CEILING };
    (ema, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_append_keeps_the_floor() {
        assert_eq!(best_effort_keep(0.0, 0, 1000, 5000), (0.0, FLOOR));
    }

    #[test]
    fn fast_streams_keep_more_up_to_the_ceiling() {
        // 1 kHz for a while with a 60 s ttl saturates the ceiling.
        let (mut ema, mut keep, mut ts) = (0.0, 0, 1_000);
        for _ in 0..200 {
            let last = ts;
            ts += 1;
            (ema, keep) = best_effort_keep(ema, last, ts, 60_000);
        }
        assert!(ema > 900.0, "{ema}");
        assert_eq!(keep, CEILING);
        // 10 Hz steady state, 10 s ttl: about 100 Hz·s × 2 = 200 frames.
        let (mut ema, mut ts) = (10.0, 1_000);
        for _ in 0..50 {
            let last = ts;
            ts += 100;
            (ema, keep) = best_effort_keep(ema, last, ts, 10_000);
        }
        assert_eq!(keep, 200);
    }
}
