//! `impl EngineBackend for WasmBackend`: each method converts on the caller's side what can be
//! converted there (handles, cursors, frames), then runs one job on the engine thread. Methods
//! the engine has no meaning for return `Unavailable` naming the operation; the trait's own
//! defaults do the same for every optional method not listed here.

use super::convert::{self, token};
use super::errors::{to_ff, unavailable, FfResult, LABEL};
use super::executions;
use super::leases;
use super::subscribe;
use super::WasmBackend;
use crate::model::{ClaimSpec, ReadSpec};
use async_trait::async_trait;
use ff_core::backend::{
    AppendFrameOutcome, CancelFlowPolicy, CancelFlowWait, CapabilitySet, ClaimPolicy, FailOutcome,
    FailureClass, FailureReason, Frame, Handle, LeaseRenewal, PendingWaitpoint, ResumeSignal, ResumeToken,
    ScannerFilter, SummaryDocument, TailVisibility, UsageDimensions,
};
use ff_core::capability::{BackendIdentity, Capabilities, Supports, Version};
use ff_core::contracts::{
    CancelExecutionArgs, CancelExecutionResult, CancelFlowResult, CreateExecutionArgs, CreateExecutionResult,
    ExecutionContext, ExecutionInfo, ExecutionSnapshot, FlowSnapshot, ListExecutionsPage, ReportUsageResult,
    StreamCursor, StreamFrames, SuspendArgs, SuspendOutcome,
};
use ff_core::engine_backend::EngineBackend;
use ff_core::partition::PartitionKey;
use ff_core::state::PublicState;
use ff_core::stream_events::{CompletionSubscription, LeaseHistorySubscription};
use ff_core::types::{AttemptIndex, BudgetId, ExecutionId, FlowId, LaneId, TimestampMs};
use std::time::Duration;

/// What this backend supports, flag by flag: exactly the methods below that do not return
/// `Unavailable` (a test checks each flag against its method).
fn supports() -> Supports {
    let mut s = Supports::none();
    s.cancel_execution = true;
    s.read_execution_state = true;
    s.read_execution_info = true;
    s.get_execution_result = true;
    // The schema is migrated at open; `prepare` (the trait's default) has nothing left to do.
    s.prepare = true;
    s.subscribe_lease_history = true;
    s.subscribe_completion = true;
    s.stream_durable_summary = true;
    s.stream_best_effort_live = true;
    s
}

fn version() -> Version {
    let part = |s: &str| s.parse().unwrap_or(0);
    Version::new(
        part(env!("CARGO_PKG_VERSION_MAJOR")),
        part(env!("CARGO_PKG_VERSION_MINOR")),
        part(env!("CARGO_PKG_VERSION_PATCH")),
    )
}

#[async_trait]
impl EngineBackend for WasmBackend {
    async fn claim(
        &self,
        lane: &LaneId,
        capabilities: &CapabilitySet,
        policy: ClaimPolicy,
    ) -> FfResult<Option<Handle>> {
        let spec = ClaimSpec {
            lane: lane.as_str().to_string(),
            capabilities: capabilities.tokens.clone(),
            worker_id: policy.worker_id.as_str().to_string(),
            worker_instance_id: policy.worker_instance_id.as_str().to_string(),
            lease_ttl_ms: policy.lease_ttl_ms.into(),
        };
        self.actor.run(move |engine| leases::claim(engine, spec)).await
    }

    async fn renew(&self, handle: &Handle) -> FfResult<LeaseRenewal> {
        let token = token(handle).map_err(to_ff)?;
        self.actor.run(move |engine| leases::renew(engine, &token)).await
    }

    async fn progress(&self, handle: &Handle, percent: Option<u8>, message: Option<String>) -> FfResult<()> {
        let token = token(handle).map_err(to_ff)?;
        self.actor.run(move |engine| leases::progress(engine, &token, percent, message)).await
    }

    async fn append_frame(&self, handle: &Handle, frame: Frame) -> FfResult<AppendFrameOutcome> {
        let token = token(handle).map_err(to_ff)?;
        let frame = convert::frame(frame);
        self.actor.run(move |engine| leases::append(engine, &token, frame)).await
    }

    async fn complete(&self, handle: &Handle, payload: Option<Vec<u8>>) -> FfResult<()> {
        let token = token(handle).map_err(to_ff)?;
        self.actor.run(move |engine| leases::complete(engine, &token, payload)).await
    }

    async fn fail(
        &self,
        handle: &Handle,
        reason: FailureReason,
        classification: FailureClass,
    ) -> FfResult<FailOutcome> {
        let token = token(handle).map_err(to_ff)?;
        let class = convert::fail_class(classification);
        self.actor.run(move |engine| leases::fail(engine, &token, &reason.message, class)).await
    }

    async fn cancel(&self, handle: &Handle, reason: &str) -> FfResult<()> {
        let token = token(handle).map_err(to_ff)?;
        let reason = reason.to_string();
        self.actor.run(move |engine| leases::cancel(engine, &token, &reason)).await
    }

    async fn suspend(&self, _handle: &Handle, _args: SuspendArgs) -> FfResult<SuspendOutcome> {
        unavailable("suspend")
    }

    async fn create_waitpoint(
        &self,
        _handle: &Handle,
        _waitpoint_key: &str,
        _expires_in: Duration,
    ) -> FfResult<PendingWaitpoint> {
        unavailable("create_waitpoint")
    }

    async fn observe_signals(&self, _handle: &Handle) -> FfResult<Vec<ResumeSignal>> {
        unavailable("observe_signals")
    }

    async fn claim_from_resume_grant(&self, _token: ResumeToken) -> FfResult<Option<Handle>> {
        unavailable("claim_from_resume_grant")
    }

    async fn delay(&self, _handle: &Handle, _delay_until: TimestampMs) -> FfResult<()> {
        unavailable("delay")
    }

    async fn wait_children(&self, _handle: &Handle) -> FfResult<()> {
        unavailable("wait_children")
    }

    async fn describe_execution(&self, id: &ExecutionId) -> FfResult<Option<ExecutionSnapshot>> {
        let id = id.clone();
        self.actor.run(move |engine| executions::describe(engine, &id)).await
    }

    async fn read_execution_context(&self, execution_id: &ExecutionId) -> FfResult<ExecutionContext> {
        let id = execution_id.clone();
        self.actor.run(move |engine| executions::context(engine, &id)).await
    }

    async fn read_current_attempt_index(&self, execution_id: &ExecutionId) -> FfResult<AttemptIndex> {
        let id = execution_id.clone();
        self.actor.run(move |engine| executions::current_attempt_index(engine, &id)).await
    }

    async fn describe_flow(&self, _id: &FlowId) -> FfResult<Option<FlowSnapshot>> {
        unavailable("describe_flow")
    }

    async fn get_execution_tag(&self, execution_id: &ExecutionId, key: &str) -> FfResult<Option<String>> {
        let (id, key) = (execution_id.clone(), key.to_string());
        self.actor.run(move |engine| executions::tag(engine, &id, &key)).await
    }

    async fn get_execution_namespace(&self, execution_id: &ExecutionId) -> FfResult<Option<String>> {
        let id = execution_id.clone();
        self.actor.run(move |engine| executions::namespace(engine, &id)).await
    }

    async fn list_executions(
        &self,
        partition: PartitionKey,
        cursor: Option<ExecutionId>,
        limit: usize,
    ) -> FfResult<ListExecutionsPage> {
        self.actor.run(move |engine| executions::list(engine, &partition, cursor.as_ref(), limit)).await
    }

    async fn cancel_flow(
        &self,
        _id: &FlowId,
        _policy: CancelFlowPolicy,
        _wait: CancelFlowWait,
    ) -> FfResult<CancelFlowResult> {
        unavailable("cancel_flow")
    }

    async fn report_usage(
        &self,
        _handle: &Handle,
        _budget: &BudgetId,
        _dimensions: UsageDimensions,
    ) -> FfResult<ReportUsageResult> {
        unavailable("report_usage")
    }

    async fn read_stream(
        &self,
        execution_id: &ExecutionId,
        attempt_index: AttemptIndex,
        from: StreamCursor,
        to: StreamCursor,
        count_limit: u64,
    ) -> FfResult<StreamFrames> {
        let id = execution_id.as_str().to_string();
        let spec = ReadSpec {
            from: convert::cursor(&from)?,
            to: convert::cursor(&to)?,
            limit: convert::count(count_limit),
        };
        self.actor.run(move |engine| leases::read_stream(engine, &id, attempt_index.0, spec)).await
    }

    async fn tail_stream(
        &self,
        execution_id: &ExecutionId,
        attempt_index: AttemptIndex,
        after: StreamCursor,
        block_ms: u64,
        count_limit: u64,
        visibility: TailVisibility,
    ) -> FfResult<StreamFrames> {
        let id = execution_id.as_str().to_string();
        let spec = leases::tail_spec(
            convert::cursor(&after)?,
            block_ms,
            count_limit,
            convert::visibility(visibility)?,
        );
        self.actor.run_task(move |engine| leases::tail_stream(engine, id, attempt_index.0, spec)).await
    }

    async fn read_summary(
        &self,
        execution_id: &ExecutionId,
        attempt_index: AttemptIndex,
    ) -> FfResult<Option<SummaryDocument>> {
        let id = execution_id.as_str().to_string();
        self.actor.run(move |engine| leases::read_summary(engine, &id, attempt_index.0)).await
    }

    async fn create_execution(&self, args: CreateExecutionArgs) -> FfResult<CreateExecutionResult> {
        self.actor.run(move |engine| executions::create(engine, args)).await
    }

    async fn cancel_execution(&self, args: CancelExecutionArgs) -> FfResult<CancelExecutionResult> {
        self.actor.run(move |engine| executions::cancel(engine, args)).await
    }

    async fn get_execution_result(&self, id: &ExecutionId) -> FfResult<Option<Vec<u8>>> {
        let id = id.clone();
        self.actor.run(move |engine| executions::result(engine, &id)).await
    }

    /// Reachable means the engine thread answers and the database is open.
    async fn ping(&self) -> FfResult<()> {
        self.actor.run(|engine| if engine.is_closed() { Err(super::errors::stopped()) } else { Ok(()) }).await
    }

    fn backend_label(&self) -> &'static str {
        LABEL
    }

    fn as_any(&self) -> &(dyn std::any::Any + 'static) {
        self
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(BackendIdentity::new(LABEL, version(), "unknown"), supports())
    }

    async fn read_execution_info(&self, id: &ExecutionId) -> FfResult<Option<ExecutionInfo>> {
        let id = id.clone();
        self.actor.run(move |engine| executions::info(engine, &id)).await
    }

    async fn read_execution_state(&self, id: &ExecutionId) -> FfResult<Option<PublicState>> {
        let id = id.clone();
        self.actor.run(move |engine| executions::state(engine, &id)).await
    }

    async fn subscribe_lease_history(
        &self,
        cursor: ff_core::stream_subscribe::StreamCursor,
        filter: &ScannerFilter,
    ) -> FfResult<LeaseHistorySubscription> {
        subscribe::lease_history(&self.actor, cursor, filter.clone()).await
    }

    async fn subscribe_completion(
        &self,
        cursor: ff_core::stream_subscribe::StreamCursor,
        filter: &ScannerFilter,
    ) -> FfResult<CompletionSubscription> {
        subscribe::completions(&self.actor, cursor, filter.clone()).await
    }

    /// The injected clock's time (the one leases, frame ids and timestamps use), not the
    /// machine's.
    async fn server_time_ms(&self) -> FfResult<u64> {
        let now = self.actor.run(|engine| engine.now().map_err(to_ff)).await?;
        u64::try_from(now)
            .map_err(|_| super::errors::invalid(format!("the backend clock reads {now}, before 1970")))
    }
}
