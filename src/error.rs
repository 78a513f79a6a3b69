//! The one error type of the engine and the storage layer.
//!
//! `kind` and `code` are the stable strings of docs/API.md's error table; the facade copies them onto
//! a JS `FlowFabricError` unchanged. Nothing here knows about JavaScript.

use std::fmt;

/// The error families of docs/API.md. Each has a fixed set of codes (see [`ErrorCode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    NotFound,
    Contention,
    State,
    Storage,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Contention => "contention",
            ErrorKind::State => "state",
            ErrorKind::Storage => "storage",
        }
    }
}

/// Declares [`ErrorCode`] and [`ErrorCode::ALL`] from one list of its variants, so the two
/// cannot drift (`code_names_round_trip` in engine/requests.rs checks each name reads back).
macro_rules! error_codes {
    ($($code:ident),* $(,)?) => {
        /// Every code of docs/API.md's table; the kind follows from the code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($code),*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$code),*];
        }
    };
}

error_codes! {
    InvalidInput,
    Corruption,
    HandleFromOtherBackend,
    RetentionLimitExceeded,
    Execution,
    Attempt,
    LeaseConflict,
    ExecutionNotActive,
    StaleLease,
    LeaseExpired,
    LeaseRevoked,
    StreamClosed,
    Closed,
    StorageUnavailable,
    StorageBusy,
    StorageFull,
    Io,
}

impl ErrorCode {
    /// The code a name from [`ErrorCode::as_str`] stands for.
    pub fn parse(name: &str) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|code| code.as_str() == name)
    }
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidInput => "invalid_input",
            Corruption => "corruption",
            HandleFromOtherBackend => "handle_from_other_backend",
            RetentionLimitExceeded => "retention_limit_exceeded",
            Execution => "execution",
            Attempt => "attempt",
            LeaseConflict => "lease_conflict",
            ExecutionNotActive => "execution_not_active",
            StaleLease => "stale_lease",
            LeaseExpired => "lease_expired",
            LeaseRevoked => "lease_revoked",
            StreamClosed => "stream_closed",
            Closed => "closed",
            StorageUnavailable => "storage_unavailable",
            StorageBusy => "storage_busy",
            StorageFull => "storage_full",
            Io => "io",
        }
    }

    pub fn kind(self) -> ErrorKind {
        use ErrorCode::*;
        match self {
            InvalidInput | Corruption | HandleFromOtherBackend | RetentionLimitExceeded => {
                ErrorKind::Validation
            }
            Execution | Attempt => ErrorKind::NotFound,
            LeaseConflict | ExecutionNotActive => ErrorKind::Contention,
            StaleLease | LeaseExpired | LeaseRevoked | StreamClosed | Closed => ErrorKind::State,
            StorageUnavailable | StorageBusy | StorageFull | Io => ErrorKind::Storage,
        }
    }
}

/// An engine failure: a code plus a message that names the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    pub code: ErrorCode,
    pub message: String,
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        EngineError { code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn kind(&self) -> ErrorKind {
        self.code.kind()
    }

    /// Contention means "someone else moved first": the caller may re-read and try again.
    /// A busy database is also worth another try; nothing else is.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind(), ErrorKind::Contention) || self.code == ErrorCode::StorageBusy
    }
}

/// A user-supplied string as error messages show it: quoted, cut at 80 bytes, and never with a
/// handle token in it. Tokens are the one credential the backend trusts and messages end up in
/// logs, so every run of 32 or more base64 characters (what a token, or most of one, looks
/// like) is replaced by its length.
pub fn quote(value: &str) -> String {
    let redacted = redact_base64_runs(value);
    let value = redacted.as_str();
    if value.len() <= 80 {
        return format!("{value:?}");
    }
    let mut end = 80;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}… ({} bytes)", &value[..end], value.len())
}

fn redact_base64_runs(value: &str) -> String {
    const LONG: usize = 32;
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut out = String::with_capacity(value.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= LONG {
            out.push_str(&format!("<{} base64 characters, not shown>", run.len()));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in value.chars() {
        if is_b64(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}: {}", self.kind().as_str(), self.code.as_str(), self.message)
    }
}

impl std::error::Error for EngineError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_contention_and_busy_are_retryable() {
        assert!(EngineError::new(ErrorCode::LeaseConflict, "x").is_retryable());
        assert!(EngineError::new(ErrorCode::StorageBusy, "x").is_retryable());
        assert!(!EngineError::new(ErrorCode::StaleLease, "x").is_retryable());
        assert!(!EngineError::invalid("x").is_retryable());
    }

    #[test]
    fn quote_cuts_long_values_and_never_shows_a_token() {
        assert_eq!(quote("lane-1"), "\"lane-1\"");
        let long = "é".repeat(100);
        assert!(quote(&long).ends_with("(200 bytes)"), "{}", quote(&long));
        let token = "AQIBAyoAAAB7ZnA6MH06NmY5NjE5ZmYtOGI4Ni1kMDExLWI0MmQtMDBjZjRmYzk2NGZm";
        for shown in [quote(token), quote(&format!("x\n{token}\n")), quote(&format!("{token}-{token}"))] {
            assert!(!shown.contains("AQIBA") && !shown.contains("NGZm"), "{shown}");
        }
        assert_eq!(
            quote("{fp:0}:6f9619ff-8b86-d011-b42d-00cf4fc964ff"),
            "\"{fp:0}:6f9619ff-8b86-d011-b42d-00cf4fc964ff\""
        );
    }

    #[test]
    fn codes_map_to_the_kinds_of_the_contract() {
        assert_eq!(ErrorCode::Attempt.kind().as_str(), "not_found");
        assert_eq!(ErrorCode::StreamClosed.kind().as_str(), "state");
        assert_eq!(ErrorCode::RetentionLimitExceeded.kind().as_str(), "validation");
        assert_eq!(ErrorCode::Io.kind().as_str(), "storage");
    }
}
