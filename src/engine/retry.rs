//! Retry policy arithmetic: whether a failed attempt gets another, and after how long.

use crate::error::{EngineError, Result};
use crate::model::{Backoff, RetryPolicy};

/// Largest delay a policy may ask for: one year. Anything longer is almost surely a unit mistake.
pub const MAX_DELAY_MS: u64 = 365 * 24 * 3600 * 1000;
/// Upper bound on `maxRetries`, to keep the retry counter well inside every integer type.
pub const MAX_RETRIES: u32 = 1_000_000;

/// Checks a user-supplied policy; the message names the field at fault.
pub fn validate(policy: &RetryPolicy) -> Result<()> {
    if policy.max_retries > MAX_RETRIES {
        return Err(EngineError::invalid(format!(
            "retryPolicy.maxRetries {} is out of range 0..={MAX_RETRIES}",
            policy.max_retries
        )));
    }
    let check_delay = |name: &str, v: u64| {
        if v > MAX_DELAY_MS {
            Err(EngineError::invalid(format!(
                "retryPolicy.backoff.{name} {v} is out of range 0..={MAX_DELAY_MS}"
            )))
        } else {
            Ok(())
        }
    };
    match policy.backoff {
        Backoff::Fixed { delay_ms } => check_delay("delayMs", delay_ms),
        Backoff::Exponential { initial_delay_ms, max_delay_ms, multiplier } => {
            check_delay("initialDelayMs", initial_delay_ms)?;
            check_delay("maxDelayMs", max_delay_ms)?;
            if !(multiplier.is_finite() && (1.0..=1000.0).contains(&multiplier)) {
                return Err(EngineError::invalid(format!(
                    "retryPolicy.backoff.multiplier {multiplier} must be a finite number in 1..=1000"
                )));
            }
            Ok(())
        }
    }
}

/// The delay before retry number `retries_so_far + 1`, or `None` when the policy is spent.
/// Exponential: `min(initial × multiplier^n, max)` with n = retries already made.
pub fn next_delay(policy: &RetryPolicy, retries_so_far: u32) -> Option<u64> {
    if retries_so_far >= policy.max_retries {
        return None;
    }
    Some(match policy.backoff {
        Backoff::Fixed { delay_ms } => delay_ms,
        Backoff::Exponential { initial_delay_ms, max_delay_ms, multiplier } => {
            let raw = initial_delay_ms as f64 * multiplier.powi(retries_so_far.min(i32::MAX as u32) as i32);
            if raw.is_finite() && raw < max_delay_ms as f64 {
                raw.round() as u64
            } else {
                max_delay_ms
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_backs_off_1s_2s_4s_then_gives_up() {
        let p = RetryPolicy::default();
        let delays: Vec<_> = (0..5).map(|n| next_delay(&p, n)).collect();
        assert_eq!(delays, vec![Some(1000), Some(2000), Some(4000), None, None]);
    }

    #[test]
    fn exponential_is_capped_and_never_overflows() {
        let p = RetryPolicy {
            max_retries: u32::MAX,
            backoff: Backoff::Exponential { initial_delay_ms: 100, max_delay_ms: 5000, multiplier: 3.0 },
        };
        assert_eq!(next_delay(&p, 0), Some(100));
        assert_eq!(next_delay(&p, 2), Some(900));
        assert_eq!(next_delay(&p, 4), Some(5000));
        assert_eq!(next_delay(&p, 100_000), Some(5000));
    }

    #[test]
    fn fixed_delay_and_zero_retries() {
        let p = RetryPolicy { max_retries: 2, backoff: Backoff::Fixed { delay_ms: 500 } };
        assert_eq!((next_delay(&p, 0), next_delay(&p, 1), next_delay(&p, 2)), (Some(500), Some(500), None));
        let none = RetryPolicy { max_retries: 0, ..p };
        assert_eq!(next_delay(&none, 0), None);
    }

    #[test]
    fn validation_names_the_field() {
        let bad = RetryPolicy {
            max_retries: 1,
            backoff: Backoff::Exponential { initial_delay_ms: 1, max_delay_ms: 2, multiplier: f64::NAN },
        };
        assert!(validate(&bad).unwrap_err().message.contains("multiplier"));
        let long = RetryPolicy { max_retries: 1, backoff: Backoff::Fixed { delay_ms: u64::MAX } };
        assert!(validate(&long).unwrap_err().message.contains("delayMs"));
    }
}
