//! Was the sandbox's clock near real time? Frame ids (`<ms>-<seq>`) and every timestamp come
//! from the clock `open({ now })` was given. Postgres stamps new frames, leases and events with
//! its own wall clock, so copied values far from it would sort wrongly against new ones: a frame
//! appended after graduation would get an id below older frames of a future-dated stream, and
//! delayed executions would come due at the wrong time.
//!
//! "Far" means before 2020-01-01T00:00:00Z (no sandbox predates this tool, so such a stamp is a
//! test clock) or more than a day after the real time of graduation.

use crate::store::export::ClockStamp;

/// 2020-01-01T00:00:00Z.
pub const EARLIEST_MS: i64 = 1_577_836_800_000;
/// How far past the real time a stamp may be.
pub const AHEAD_MS: i64 = 86_400_000;

/// Describes every column whose stamps are far from `real_now`; empty when the clock was near.
pub fn far_stamps(stamps: &[ClockStamp], real_now: i64) -> Vec<String> {
    let mut far = Vec::new();
    for s in stamps {
        if let Some(min) = s.min.filter(|m| *m < EARLIEST_MS) {
            far.push(format!("{} goes back to {} (before 2020)", s.column, iso(min)));
        }
        if let Some(max) = s.max.filter(|m| *m > real_now.saturating_add(AHEAD_MS)) {
            far.push(format!(
                "{} reaches {} (more than a day after now, {})",
                s.column,
                iso(max),
                iso(real_now)
            ));
        }
    }
    far
}

/// The latest stamp of all (`None` for an empty database).
pub fn latest(stamps: &[ClockStamp]) -> Option<i64> {
    stamps.iter().filter_map(|s| s.max).max()
}

/// Unix milliseconds as an RFC 3339 UTC time (`2026-05-20T10:00:00.123Z`).
pub fn iso(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day): Howard Hinnant's
/// `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(column: &str, min: Option<i64>, max: Option<i64>) -> ClockStamp {
        ClockStamp { column: column.into(), min, max }
    }

    #[test]
    fn formats_utc_times() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(EARLIEST_MS), "2020-01-01T00:00:00.000Z");
        assert_eq!(iso(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso(1_780_000_000_000), "2026-05-28T20:26:40.000Z");
    }

    #[test]
    fn near_clocks_pass_and_far_ones_are_named() {
        let now = 1_780_000_000_000;
        let near = [stamp("a", Some(now - 86_400_000 * 300), Some(now + AHEAD_MS)), stamp("b", None, None)];
        assert!(far_stamps(&near, now).is_empty());
        let far =
            [stamp("ff_stream_frame.ts_ms (frame ids)", Some(EARLIEST_MS - 1), Some(now + AHEAD_MS + 1))];
        let found = far_stamps(&far, now);
        assert_eq!(found.len(), 2);
        assert!(found[0].contains("2019-12-31T23:59:59.999Z"), "{found:?}");
        assert!(found[1].starts_with("ff_stream_frame.ts_ms (frame ids) reaches 2026-05-29"), "{found:?}");
        assert_eq!(latest(&far), Some(now + AHEAD_MS + 1));
    }
}
