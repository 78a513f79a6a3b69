//! Execution reads: the engine's stored state as FlowFabric's snapshot, info and state vector.
//! Each read takes the engine's public view (`get_execution`, public state as of now) and the
//! stored rows (`inspect_execution`) in the same engine-thread job, so nothing runs between.

use super::convert::{execution_id, millis};
use super::errors::{corrupt, to_ff, FfResult};
use crate::engine::Engine;
use crate::model::{self, AttemptRow, ExecRow};
use ff_core::contracts::{ExecutionInfo, ExecutionSnapshot, LeaseSummary};
use ff_core::state::{PublicState, StateVector};
use ff_core::types::{AttemptIndex, LaneId, LeaseEpoch, Namespace, WorkerInstanceId};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// One execution as the engine shows it now, with its stored rows.
pub struct Seen {
    pub info: model::ExecutionInfo,
    pub exec: ExecRow,
    pub attempt: Option<AttemptRow>,
}

pub fn see(engine: &Engine, id: &str) -> FfResult<Option<Seen>> {
    let Some(info) = engine.get_execution(id).map_err(to_ff)? else { return Ok(None) };
    let Some((exec, attempt)) = engine.inspect_execution(id).map_err(to_ff)? else { return Ok(None) };
    Ok(Some(Seen { info, exec, attempt }))
}

/// A canonical state literal as FlowFabric's enum (both spell them in snake_case).
fn literal<T: DeserializeOwned>(what: &str, text: &str) -> FfResult<T> {
    serde_json::from_value(serde_json::Value::String(text.into()))
        .map_err(|_| corrupt(format!("exec_core: {what} {text:?} is not a FlowFabric literal")))
}

pub fn public_state(state: model::PublicState) -> FfResult<PublicState> {
    literal("public_state", state.as_str())
}

impl Seen {
    /// A delayed execution whose time has come is claimable: it reads as waiting (as
    /// `getExecution` reports it), so it is eligible and blocked by nothing, whatever the row
    /// still says.
    fn due(&self) -> bool {
        self.exec.public_state == model::PublicState::Delayed
            && self.info.public_state == model::PublicState::Waiting
    }

    fn blocking_reason(&self) -> Option<&str> {
        if self.due() {
            None
        } else {
            self.exec.blocking_reason.as_deref()
        }
    }

    /// Attempts started so far: attempt indexes are contiguous from 0, and the current index
    /// has a row once its attempt started (a retry or reclaim moves to the next index).
    fn attempts_started(&self) -> u32 {
        self.exec.attempt_index.saturating_add(self.attempt.is_some() as u32)
    }

    fn last_mutation_ms(&self) -> i64 {
        let raw = self.exec.raw_str("last_mutation_at").and_then(|t| t.parse().ok());
        raw.unwrap_or(self.info.created_at_ms)
    }

    /// The lease on the current attempt while it is live (not ended). Attempt and lease ids are
    /// not stored (as in the reference), so the lease id stays nil, "not surfaced".
    fn lease(&self) -> Option<LeaseSummary> {
        let a = self.attempt.as_ref().filter(|a| a.outcome.is_none())?;
        let expires = a.lease_expires_at_ms?;
        let worker = WorkerInstanceId::new(a.worker_instance_id.clone().unwrap_or_default());
        let summary = LeaseSummary::new(LeaseEpoch::new(a.lease_epoch), worker, millis(expires));
        Some(summary.with_attempt_index(AttemptIndex::new(a.attempt_index)))
    }

    pub fn snapshot(&self) -> FfResult<ExecutionSnapshot> {
        let tags: BTreeMap<String, String> = self.info.tags.clone();
        Ok(ExecutionSnapshot::new(
            execution_id(&self.info.execution_id)?,
            None,
            LaneId::new(self.info.lane.clone()),
            Namespace::new(self.info.namespace.clone()),
            public_state(self.info.public_state)?,
            self.blocking_reason().map(Into::into),
            None,
            None,
            self.lease(),
            None,
            millis(self.info.created_at_ms),
            millis(self.last_mutation_ms()),
            self.attempts_started(),
            tags,
        ))
    }

    pub fn info(&self) -> FfResult<ExecutionInfo> {
        let e = &self.exec;
        let eligibility = if self.due() { "eligible_now" } else { e.eligibility.as_str() };
        let state_vector = StateVector {
            lifecycle_phase: literal("lifecycle_phase", e.phase.as_str())?,
            ownership_state: literal("ownership_state", e.ownership.as_str())?,
            eligibility_state: literal("eligibility_state", eligibility)?,
            blocking_reason: literal("blocking_reason", self.blocking_reason().unwrap_or("none"))?,
            terminal_outcome: literal("terminal_outcome", e.terminal_outcome.map_or("none", |o| o.as_str()))?,
            attempt_state: literal("attempt_state", e.attempt_state.as_str())?,
            public_state: public_state(self.info.public_state)?,
        };
        let priority = i32::try_from(self.info.priority)
            .map_err(|_| corrupt(format!("exec_core: priority {} out of i32 range", self.info.priority)))?;
        Ok(ExecutionInfo {
            execution_id: execution_id(&self.info.execution_id)?,
            namespace: self.info.namespace.clone(),
            lane_id: self.info.lane.clone(),
            priority,
            execution_kind: self.info.kind.clone(),
            public_state: state_vector.public_state,
            state_vector,
            created_at: self.info.created_at_ms.to_string(),
            started_at: self.info.started_at_ms.map(|t| t.to_string()),
            completed_at: self.info.terminal_at_ms.map(|t| t.to_string()),
            current_attempt_index: self.info.attempt_index,
            flow_id: None,
            blocking_detail: String::new(),
        })
    }
}
