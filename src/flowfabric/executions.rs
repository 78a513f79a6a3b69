//! Execution operations, run on the engine thread: create, the reads, listing, operator
//! cancel. Each converts its FlowFabric arguments, calls the engine and converts the result.

use super::convert::{self, execution_id};
use super::errors::{invalid, to_ff, FfResult};
use super::state::{public_state, see};
use crate::engine::Engine;
use crate::model::{CancelTarget, CreateSpec, PublicState as OwnState};
use ff_core::contracts::{
    CancelExecutionArgs, CancelExecutionResult, CreateExecutionArgs, CreateExecutionResult, ExecutionContext,
    ExecutionInfo, ExecutionSnapshot, ListExecutionsPage,
};
use ff_core::partition::PartitionKey;
use ff_core::state::PublicState;
use ff_core::types::{AttemptIndex, CancelSource, ExecutionId};

/// Largest `list_executions` page (the Postgres backend caps at the same 1000).
pub const MAX_LIST_PAGE: usize = 1000;

/// The reference's create arguments as the engine's spec. The engine's own clock stamps the
/// row (`args.now` is not used), and `delay_until` is honoured (docs/API.md decision 1).
pub fn create(engine: &Engine, args: CreateExecutionArgs) -> FfResult<CreateExecutionResult> {
    let policy = args.policy.as_ref();
    let capabilities = policy
        .and_then(|p| p.routing_requirements.as_ref())
        .map(|r| r.required_capabilities.iter().cloned().collect())
        .unwrap_or_default();
    let spec = CreateSpec {
        execution_id: Some(args.execution_id.as_str().to_string()),
        lane: args.lane_id.as_str().to_string(),
        priority: args.priority.into(),
        capabilities,
        // FlowFabric has no "no payload": an empty one is stored as none.
        payload: Some(args.input_payload).filter(|p| !p.is_empty()),
        namespace: args.namespace.as_str().to_string(),
        kind: args.execution_kind,
        tags: args.tags.into_iter().collect(),
        delay_until_ms: args.delay_until.or(policy.and_then(|p| p.delay_until)).map(|t| t.0),
        retry_policy: convert::retry_policy(policy),
    };
    let created = engine.create_execution(&spec).map_err(to_ff)?;
    let id = execution_id(&created.execution_id)?;
    if !created.created {
        return Ok(CreateExecutionResult::Duplicate { execution_id: id });
    }
    let state = engine
        .get_execution(&created.execution_id)
        .map_err(to_ff)?
        .map_or(OwnState::Waiting, |i| i.public_state);
    Ok(CreateExecutionResult::Created { execution_id: id, public_state: public_state(state)? })
}

pub fn describe(engine: &Engine, id: &ExecutionId) -> FfResult<Option<ExecutionSnapshot>> {
    see(engine, id.as_str())?.map(|seen| seen.snapshot()).transpose()
}

pub fn info(engine: &Engine, id: &ExecutionId) -> FfResult<Option<ExecutionInfo>> {
    see(engine, id.as_str())?.map(|seen| seen.info()).transpose()
}

pub fn state(engine: &Engine, id: &ExecutionId) -> FfResult<Option<PublicState>> {
    let info = engine.get_execution(id.as_str()).map_err(to_ff)?;
    info.map(|i| public_state(i.public_state)).transpose()
}

/// The payload, kind and tags a worker needs. A missing execution is `InvalidInput`, as in
/// the reference (the SDK only asks after a claim).
pub fn context(engine: &Engine, id: &ExecutionId) -> FfResult<ExecutionContext> {
    let info = engine.get_execution(id.as_str()).map_err(to_ff)?;
    let info = info.ok_or_else(|| invalid(format!("read_execution_context: execution not found: {id}")))?;
    Ok(ExecutionContext::new(info.payload.unwrap_or_default(), info.kind, info.tags.into_iter().collect()))
}

pub fn current_attempt_index(engine: &Engine, id: &ExecutionId) -> FfResult<AttemptIndex> {
    let info = engine.get_execution(id.as_str()).map_err(to_ff)?;
    let info =
        info.ok_or_else(|| invalid(format!("read_current_attempt_index: execution not found: {id}")))?;
    Ok(AttemptIndex::new(info.attempt_index))
}

pub fn result(engine: &Engine, id: &ExecutionId) -> FfResult<Option<Vec<u8>>> {
    Ok(engine.get_execution(id.as_str()).map_err(to_ff)?.and_then(|i| i.result))
}

pub fn namespace(engine: &Engine, id: &ExecutionId) -> FfResult<Option<String>> {
    Ok(engine.get_execution(id.as_str()).map_err(to_ff)?.map(|i| i.namespace))
}

/// A tag's value; a missing execution or tag is `None` (as in the reference).
pub fn tag(engine: &Engine, id: &ExecutionId, key: &str) -> FfResult<Option<String>> {
    ff_core::engine_backend::validate_tag_key(key)?;
    let info = engine.get_execution(id.as_str()).map_err(to_ff)?;
    Ok(info.and_then(|mut i| i.tags.remove(key)))
}

/// Execution ids after `cursor` in ascending id order, as the trait specifies. Only
/// partition 0 exists here (docs/API.md decision 8); another partition is refused.
pub fn list(
    engine: &Engine,
    partition: &PartitionKey,
    cursor: Option<&ExecutionId>,
    limit: usize,
) -> FfResult<ListExecutionsPage> {
    if !matches!(partition.parse(), Ok(p) if p.index == 0) {
        return Err(invalid(format!(
            "list_executions: partition {} does not exist here: this backend has only {{fp:0}}",
            partition.as_str()
        )));
    }
    if limit == 0 {
        return Ok(ListExecutionsPage::new(Vec::new(), None));
    }
    let limit = limit.min(MAX_LIST_PAGE);
    // One id more than asked tells whether another page follows.
    let mut ids = engine.execution_ids(cursor.map(|c| c.as_str()), limit as i64 + 1).map_err(to_ff)?;
    let more = ids.len() > limit;
    ids.truncate(limit);
    let ids = ids.iter().map(|text| execution_id(text)).collect::<FfResult<Vec<_>>>()?;
    let next = if more { ids.last().cloned() } else { None };
    Ok(ListExecutionsPage::new(ids, next))
}

/// The operator's cancel, by execution id. Lease-holder cancels are `cancel(handle)`: the
/// engine fences a holder by its handle, not by loose lease fields.
pub fn cancel(engine: &Engine, args: CancelExecutionArgs) -> FfResult<CancelExecutionResult> {
    if args.source != CancelSource::OperatorOverride {
        return Err(invalid(format!(
            "cancel_execution: source {:?} is not supported here; use operator_override, or cancel(handle) \
             as the lease holder",
            args.source
        )));
    }
    let reason = Some(args.reason.as_str()).filter(|r| !r.is_empty());
    engine.cancel(&CancelTarget::Execution(args.execution_id.as_str().to_string()), reason).map_err(to_ff)?;
    let canonical = engine.get_execution(args.execution_id.as_str()).map_err(to_ff)?;
    let id = match canonical {
        Some(info) => execution_id(&info.execution_id)?,
        None => args.execution_id,
    };
    Ok(CancelExecutionResult::Cancelled { execution_id: id, public_state: PublicState::Cancelled })
}
