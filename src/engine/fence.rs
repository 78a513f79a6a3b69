//! The checks every handle operation makes, in docs/API.md decision 2's order: the token decodes and
//! is ours; the attempt exists; the epoch matches; the attempt is the current, live one; the
//! lease has not expired. A handle stops working the moment its attempt ends.

use super::token::TokenData;
use crate::error::{EngineError, ErrorCode, Result};
use crate::model::{AttemptRow, ExecRow, FenceRow, LifecyclePhase, StreamMeta};
use crate::store::Tx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// renew, progress, complete, fail, cancel: a dead attempt is `execution_not_active`.
    Lease,
    /// appendFrame: a dead attempt's stream is closed.
    Append,
}

/// A live attempt, with its stream's bookkeeping read in the same statement (`None` before the
/// stream's first frame): an append needs it next.
pub struct Live {
    pub attempt: AttemptRow,
    pub stream: Option<StreamMeta>,
}

pub struct Fenced {
    pub exec: ExecRow,
    pub attempt: AttemptRow,
}

/// A live attempt (from [`live_attempt`]) with its execution's whole row.
pub fn with_execution(tx: &Tx, attempt: AttemptRow) -> Result<Fenced> {
    let id = attempt.execution_id;
    let exec = tx.exec(&id)?.ok_or_else(|| missing(&id))?;
    Ok(Fenced { exec, attempt })
}

fn missing(id: &crate::model::ExecutionId) -> EngineError {
    EngineError::new(ErrorCode::Execution, format!("execution {id} does not exist"))
}

/// The whole fence, reading the attempt, only the execution's state columns and the stream's
/// bookkeeping, in one statement: what `appendFrame` and the fence-first check need (loading
/// and decoding the whole execution row was a fifth of an append). Returns the live attempt.
pub fn live_attempt(tx: &Tx, token: &TokenData, now: i64, purpose: Purpose) -> Result<Live> {
    let id = token.execution_id;
    let index = token.attempt_index;
    let FenceRow { attempt, state, stream } = tx.fence_row(&id, index)?.ok_or_else(|| {
        EngineError::new(ErrorCode::Attempt, format!("attempt {index} of execution {id} does not exist"))
    })?;
    if attempt.lease_epoch != token.lease_epoch {
        return Err(EngineError::new(
            ErrorCode::LeaseConflict,
            format!(
                "lease epoch {} of attempt {index} of execution {id} is stale: the attempt is at epoch {}",
                token.lease_epoch, attempt.lease_epoch
            ),
        ));
    }
    let state = state.ok_or_else(|| missing(&id))?;
    let live =
        state.phase == LifecyclePhase::Active && state.attempt_index == index && attempt.outcome.is_none();
    if !live {
        let how = attempt.outcome.map_or_else(
            || format!("execution is {}", state.public_state.as_str()),
            |o| format!("attempt ended: {}", o.as_str()),
        );
        return Err(match purpose {
            Purpose::Append => EngineError::new(
                ErrorCode::StreamClosed,
                format!("the stream of attempt {index} of execution {id} is closed ({how})"),
            ),
            Purpose::Lease => EngineError::new(
                ErrorCode::ExecutionNotActive,
                format!("attempt {index} of execution {id} is no longer active ({how})"),
            ),
        });
    }
    match attempt.lease_expires_at_ms {
        Some(at) if at > now => Ok(Live { attempt, stream }),
        at => Err(EngineError::new(
            ErrorCode::LeaseExpired,
            format!(
                "the lease on attempt {index} of execution {id} expired at {}",
                at.map_or("an unknown time".into(), |t| t.to_string())
            ),
        )),
    }
}
