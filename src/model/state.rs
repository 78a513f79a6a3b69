//! The canonical state literals stored in `ff_exec_core` and `ff_attempt`.
//!
//! Only canonical values are written; serde writes the same literals to JS. Reading an unknown literal is `validation/corruption`:
//! it means the file was written by something else or damaged.

use crate::error::{quote, EngineError, ErrorCode, Result};

macro_rules! literal_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Result<Self> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(EngineError::new(
                        ErrorCode::Corruption,
                        format!("unknown {} literal {} in the database", stringify!($name), quote(other)),
                    )),
                }
            }
        }
    };
}

literal_enum!(
    /// Coarse phase: only `runnable` rows are claimable, only `active` rows have a live attempt.
    LifecyclePhase { Runnable = "runnable", Active = "active", Terminal = "terminal" }
);

literal_enum!(
    Ownership { Unowned = "unowned", Leased = "leased" }
);

literal_enum!(
    Eligibility {
        EligibleNow = "eligible_now",
        NotEligibleUntilTime = "not_eligible_until_time",
        NotApplicable = "not_applicable",
    }
);

literal_enum!(
    /// What the next or current attempt is doing. `AttemptInterrupted` marks an execution whose
    /// lease expired: the next claim reclaims it at a new attempt index.
    AttemptState {
        PendingFirstAttempt = "pending_first_attempt",
        RunningAttempt = "running_attempt",
        AttemptInterrupted = "attempt_interrupted",
        PendingRetryAttempt = "pending_retry_attempt",
        AttemptTerminal = "attempt_terminal",
    }
);

literal_enum!(
    PublicState {
        Waiting = "waiting",
        Delayed = "delayed",
        Active = "active",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

literal_enum!(
    TerminalOutcome { Success = "success", Failed = "failed", Cancelled = "cancelled" }
);

literal_enum!(
    /// How an attempt ended (`ff_attempt.outcome`); NULL while it is live.
    AttemptOutcome {
        Success = "success",
        Retry = "retry",
        Failed = "failed",
        Cancelled = "cancelled",
        InterruptedReclaimed = "interrupted_reclaimed",
    }
);

literal_enum!(
    /// Why a stream was closed; docs/API.md's `closedReason`.
    CloseReason {
        AttemptSuccess = "attempt_success",
        AttemptFailure = "attempt_failure",
        AttemptCancelled = "attempt_cancelled",
        LeaseExpired = "lease_expired",
    }
);

literal_enum!(
    /// `ff_lease_event.event_type`, and `LeaseEvent.event`.
    LeaseEventKind {
        Acquired = "acquired",
        Renewed = "renewed",
        Revoked = "revoked",
        Expired = "expired",
        Reclaimed = "reclaimed",
    }
);

literal_enum!(
    /// The `mode` column of a frame.
    FrameMode { Durable = "durable", Summary = "summary", BestEffort = "best_effort" }
);

impl TerminalOutcome {
    pub fn public_state(self) -> PublicState {
        match self {
            TerminalOutcome::Success => PublicState::Completed,
            TerminalOutcome::Failed => PublicState::Failed,
            TerminalOutcome::Cancelled => PublicState::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_round_trip_and_unknown_is_corruption() {
        assert_eq!(PublicState::parse("delayed").unwrap(), PublicState::Delayed);
        assert_eq!(AttemptState::AttemptInterrupted.as_str(), "attempt_interrupted");
        let err = LifecyclePhase::parse("running").unwrap_err();
        assert_eq!(err.code, ErrorCode::Corruption);
        assert!(err.message.contains("\"running\""));
    }
}
