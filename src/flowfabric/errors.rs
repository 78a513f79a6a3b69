//! Engine errors as FlowFabric errors, mapped as the reference SQLite backend maps its own
//! (behaviour spec §5): the error's code picks the variant, its message becomes the `detail`.
//! Storage failures become `Transport` with the engine error as the source, so callers can
//! still downcast it to [`crate::EngineError`] and read its code (`storage_busy` is retryable).

use crate::engine::token::TokenData;
use crate::engine::Engine;
use crate::error::{EngineError as Own, ErrorCode};
use ff_core::engine_error::{ContentionKind, EngineError, StateKind, ValidationKind};

/// The label of this backend in logs, metrics and `Transport` errors.
pub const LABEL: &str = "wasm";

pub type FfResult<T> = Result<T, EngineError>;

pub fn to_ff(e: Own) -> EngineError {
    use ErrorCode::*;
    let validation = |kind| EngineError::Validation { kind, detail: e.message.clone() };
    match e.code {
        InvalidInput => validation(ValidationKind::InvalidInput),
        Corruption => validation(ValidationKind::Corruption),
        HandleFromOtherBackend => validation(ValidationKind::HandleFromOtherBackend),
        RetentionLimitExceeded => validation(ValidationKind::RetentionLimitExceeded),
        Execution => EngineError::NotFound { entity: "execution" },
        Attempt => EngineError::NotFound { entity: "attempt" },
        LeaseConflict => EngineError::Contention(ContentionKind::LeaseConflict),
        // Without the handle there is nothing to fill the details with; handle operations go
        // through `handle_error`, which does.
        ExecutionNotActive => not_active("none", "", "", ""),
        StaleLease => EngineError::State(StateKind::StaleLease),
        LeaseExpired => EngineError::State(StateKind::LeaseExpired),
        LeaseRevoked => EngineError::State(StateKind::LeaseRevoked),
        StreamClosed => EngineError::State(StateKind::StreamClosed),
        Closed | StorageUnavailable | StorageBusy | StorageFull | Io => {
            EngineError::Transport { backend: LABEL, source: Box::new(e) }
        }
    }
}

/// An error of a handle operation. `ExecutionNotActive` gets the details FlowFabric's typed
/// operations report: the execution's outcome and phase as they are now, the handle's epoch
/// (the fence passed, so it is also the stored one) and the handle's attempt id.
pub fn handle_error(engine: &Engine, token: &TokenData, e: Own) -> EngineError {
    if e.code != ErrorCode::ExecutionNotActive {
        return to_ff(e);
    }
    let epoch = token.lease_epoch.to_string();
    match engine.inspect_execution(&token.execution_id.to_string()) {
        Ok(Some((exec, _))) => not_active(
            exec.terminal_outcome.map_or("none", |o| o.as_str()),
            &epoch,
            exec.phase.as_str(),
            &token.attempt_id,
        ),
        _ => not_active("none", &epoch, "", &token.attempt_id),
    }
}

fn not_active(outcome: &str, epoch: &str, phase: &str, attempt_id: &str) -> EngineError {
    EngineError::Contention(ContentionKind::ExecutionNotActive {
        terminal_outcome: outcome.into(),
        lease_epoch: epoch.into(),
        lifecycle_phase: phase.into(),
        attempt_id: attempt_id.into(),
    })
}

/// What every operation this backend has no meaning for returns.
pub fn unavailable<T>(op: &'static str) -> FfResult<T> {
    Err(EngineError::Unavailable { op })
}

/// The engine thread is gone: the backend was shut down, or its thread died.
pub fn stopped() -> EngineError {
    to_ff(Own::new(ErrorCode::Closed, "the engine thread of this backend has stopped"))
}

pub fn invalid(detail: impl Into<String>) -> EngineError {
    EngineError::Validation { kind: ValidationKind::InvalidInput, detail: detail.into() }
}

pub fn corrupt(detail: impl Into<String>) -> EngineError {
    EngineError::Validation { kind: ValidationKind::Corruption, detail: detail.into() }
}
