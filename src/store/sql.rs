//! Every SQL statement of the crate, each with a line saying what it is for.
//! Nothing outside `store/` writes SQL.

/// Columns of an `ff_exec_core` row, in the order `rows::exec_row` decodes them (by position,
/// found from this list when the crate compiles).
macro_rules! exec_columns {
    () => {
        "execution_id, lane_id, attempt_index, lifecycle_phase, ownership_state, eligibility_state, \
         attempt_state, public_state, terminal_outcome, blocking_reason, cancellation_reason, \
         cancelled_by, priority, created_at_ms, delay_until_ms, started_at_ms, terminal_at_ms, \
         payload, result, policy, raw_fields, lease_reclaim_count"
    };
}

/// `?2` (a public state, or NULL for any) as of time `?3`: stored `delayed` rows whose time has
/// come read as `waiting`, as `getExecution` reports them.
macro_rules! public_state_filter {
    () => {
        "(?2 IS NULL \
          OR (?2 = 'waiting' AND (public_state = 'waiting' \
                                  OR (public_state = 'delayed' AND delay_until_ms <= ?3))) \
          OR (?2 = 'delayed' AND public_state = 'delayed' AND delay_until_ms > ?3) \
          OR (?2 NOT IN ('waiting', 'delayed') AND public_state = ?2))"
    };
}

/// Columns of an `ff_attempt` row, in the order `rows::attempt_row` decodes them.
macro_rules! attempt_columns {
    () => {
        "execution_id, attempt_index, worker_id, worker_instance_id, lease_epoch, lease_ttl_ms, \
         lease_expires_at_ms, started_at_ms, terminal_at_ms, outcome"
    };
}

/// Columns of an `ff_stream_meta` row, in the order `rows::stream_meta` decodes them.
macro_rules! stream_meta_columns {
    () => {
        "ema_rate_hz, last_append_ts_ms, maxlen_applied_last, last_ts_ms, last_seq, frame_count, \
         best_effort_count, closed_at_ms, closed_reason"
    };
}

/// The column lists, for `rows` to find positions in.
pub const EXEC_COLUMNS: &str = exec_columns!();
pub const ATTEMPT_COLUMNS: &str = attempt_columns!();
pub const STREAM_META_COLUMNS: &str = stream_meta_columns!();

/// Inserts a new execution; an existing id inserts nothing (changes() == 0).
pub const INSERT_EXEC: &str = concat!(
    "INSERT INTO ff_exec_core (partition_key, ",
    exec_columns!(),
    ") VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
     ?19, ?20, ?21, ?22) ON CONFLICT (partition_key, execution_id) DO NOTHING"
);

/// Writes back every mutable column of an execution (payload and creation facts never change).
pub const UPDATE_EXEC: &str = "UPDATE ff_exec_core SET attempt_index = ?2, lifecycle_phase = ?3, \
     ownership_state = ?4, eligibility_state = ?5, attempt_state = ?6, public_state = ?7, \
     terminal_outcome = ?8, blocking_reason = ?9, cancellation_reason = ?10, cancelled_by = ?11, \
     delay_until_ms = ?12, started_at_ms = ?13, terminal_at_ms = ?14, result = ?15, \
     raw_fields = ?16, lease_reclaim_count = ?17 \
     WHERE partition_key = 0 AND execution_id = ?1";

/// One page of executions in creation order (rowid), after rowid ?1, at most ?4 rows; ?2 is a
/// public state or NULL, judged at time ?3 (a delayed execution whose time came is waiting).
pub const LIST_EXECUTIONS: &str = concat!(
    "SELECT ",
    exec_columns!(),
    ", rowid AS list_cursor FROM ff_exec_core WHERE partition_key = 0 AND rowid > ?1 AND ",
    public_state_filter!(),
    " ORDER BY rowid LIMIT ?4"
);

/// [`LIST_EXECUTIONS`] within lane ?5 (walks `ff_exec_core_lane_idx`).
pub const LIST_EXECUTIONS_IN_LANE: &str = concat!(
    "SELECT ",
    exec_columns!(),
    ", rowid AS list_cursor FROM ff_exec_core WHERE partition_key = 0 AND lane_id = ?5 AND rowid > ?1 AND ",
    public_state_filter!(),
    " ORDER BY rowid LIMIT ?4"
);

/// Execution ids after id ?1 (16 uuid bytes; an empty blob sorts first) in id order, at most
/// ?2: FlowFabric's `list_executions` order, served by the primary key.
pub const SELECT_EXECUTION_IDS_AFTER: &str = "SELECT execution_id FROM ff_exec_core \
     WHERE partition_key = 0 AND execution_id > ?1 ORDER BY execution_id LIMIT ?2";

/// The state columns of one execution, in the order `rows::fence_row` decodes them: what the
/// fence needs.
macro_rules! exec_state_columns {
    () => {
        "lifecycle_phase, attempt_index, public_state"
    };
}
pub const EXEC_STATE_COLUMNS: &str = exec_state_columns!();

/// The fence's one read: an attempt's columns, then its execution's state columns (NULL when
/// the execution row is missing), then its stream's bookkeeping (NULL before the first frame),
/// as `rows::fence_row` decodes them. Three one-row lookups joined, so a handle call runs one
/// statement for them, and an append has what it needs for the frame's id without another.
pub const SELECT_FENCE: &str = concat!(
    "SELECT a.*, e.*, m.* FROM (SELECT ",
    attempt_columns!(),
    " FROM ff_attempt WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2) a \
     LEFT JOIN (SELECT ",
    exec_state_columns!(),
    " FROM ff_exec_core WHERE partition_key = 0 AND execution_id = ?1) e ON 1 \
     LEFT JOIN (SELECT ",
    stream_meta_columns!(),
    " FROM ff_stream_meta WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2) m ON 1"
);

/// Loads one execution by id.
pub const SELECT_EXEC: &str =
    concat!("SELECT ", exec_columns!(), " FROM ff_exec_core WHERE partition_key = 0 AND execution_id = ?1");

/// The next claimable execution of a lane for a worker holding the capabilities in ?3 (each
/// followed and preceded by U+001F, see `Tx::claim_candidate`): runnable, due, every required
/// capability held; highest priority, then oldest, then first inserted. The NOT EXISTS walks past
/// mismatches without a fixed candidate cap. `instr` rather than `json_each`, so the SQLite built
/// into the .wasm can leave out its JSON functions (BENCHMARKS.md, "Size").
pub const SELECT_CLAIM_CANDIDATE: &str = concat!(
    "SELECT ",
    exec_columns!(),
    " FROM ff_exec_core e \
     WHERE e.partition_key = 0 AND e.lane_id = ?1 AND e.lifecycle_phase = 'runnable' \
       AND (e.eligibility_state = 'eligible_now' \
            OR (e.eligibility_state = 'not_eligible_until_time' AND e.delay_until_ms <= ?2)) \
       AND NOT EXISTS (SELECT 1 FROM ff_execution_capabilities c \
                       WHERE c.execution_id = e.execution_id \
                         AND instr(?3, char(31) || c.capability || char(31)) = 0) \
     ORDER BY e.priority DESC, e.created_at_ms ASC, e.rowid ASC LIMIT 1"
);

/// Records one capability an execution requires.
pub const INSERT_CAPABILITY: &str =
    "INSERT OR IGNORE INTO ff_execution_capabilities (execution_id, capability) VALUES (?1, ?2)";

/// Registers a lane the first time an execution names it.
pub const INSERT_LANE: &str = "INSERT OR IGNORE INTO ff_lane_registry (lane_id, registered_at_ms, \
     registered_by) VALUES (?1, ?2, 'create_execution')";

/// Loads one attempt (and its lease).
pub const SELECT_ATTEMPT: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM ff_attempt WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2"
);

/// Inserts or overwrites one attempt row.
pub const UPSERT_ATTEMPT: &str = concat!(
    "INSERT INTO ff_attempt (partition_key, ",
    attempt_columns!(),
    ") VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
     ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE SET \
       worker_id = excluded.worker_id, worker_instance_id = excluded.worker_instance_id, \
       lease_epoch = excluded.lease_epoch, lease_ttl_ms = excluded.lease_ttl_ms, \
       lease_expires_at_ms = excluded.lease_expires_at_ms, started_at_ms = excluded.started_at_ms, \
       terminal_at_ms = excluded.terminal_at_ms, outcome = excluded.outcome"
);

/// Executions whose live lease has run out at ?1 (uses the partial expiry index).
pub const SELECT_EXPIRED_LEASES: &str = "SELECT execution_id, attempt_index FROM ff_attempt \
     WHERE partition_key = 0 AND lease_expires_at_ms IS NOT NULL AND lease_expires_at_ms <= ?1 \
       AND outcome IS NULL ORDER BY lease_expires_at_ms, execution_id";

/// The earliest expiry among live leases, or NULL (walks the partial expiry index).
pub const SELECT_NEXT_LEASE_EXPIRY: &str = "SELECT min(lease_expires_at_ms) FROM ff_attempt \
     WHERE partition_key = 0 AND lease_expires_at_ms IS NOT NULL AND outcome IS NULL";

/// Appends to the lease outbox.
pub const INSERT_LEASE_EVENT: &str = "INSERT INTO ff_lease_event (execution_id, lease_id, \
     event_type, occurred_at_ms, partition_key, namespace, instance_tag, attempt_index, \
     lease_epoch) VALUES (?1, NULL, ?2, ?3, 0, ?4, ?5, ?6, ?7)";

/// Appends to the completion outbox.
pub const INSERT_COMPLETION_EVENT: &str = "INSERT INTO ff_completion_event (partition_key, \
     execution_id, flow_id, outcome, namespace, instance_tag, occurred_at_ms, committed_at_ms) \
     VALUES (0, ?1, NULL, ?2, ?3, ?4, ?5, ?5)";

/// Loads a stream's bookkeeping row.
pub const SELECT_STREAM_META: &str = concat!(
    "SELECT ",
    stream_meta_columns!(),
    " FROM ff_stream_meta WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2"
);

/// Writes a stream's bookkeeping row (append path; close markers are left as they are).
pub const UPSERT_STREAM_META: &str = "INSERT INTO ff_stream_meta (partition_key, execution_id, \
     attempt_index, ema_rate_hz, last_append_ts_ms, maxlen_applied_last, last_ts_ms, last_seq, \
     frame_count, best_effort_count) VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE SET \
       ema_rate_hz = excluded.ema_rate_hz, last_append_ts_ms = excluded.last_append_ts_ms, \
       maxlen_applied_last = excluded.maxlen_applied_last, last_ts_ms = excluded.last_ts_ms, \
       last_seq = excluded.last_seq, frame_count = excluded.frame_count, \
       best_effort_count = excluded.best_effort_count";

/// Closes a stream; the first close wins and later ones leave the markers alone.
pub const CLOSE_STREAM: &str = "INSERT INTO ff_stream_meta (partition_key, execution_id, \
     attempt_index, closed_at_ms, closed_reason) VALUES (0, ?1, ?2, ?3, ?4) \
     ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE SET \
       closed_at_ms = COALESCE(closed_at_ms, excluded.closed_at_ms), \
       closed_reason = COALESCE(closed_reason, excluded.closed_reason)";

/// Stores one frame.
pub const INSERT_FRAME: &str = "INSERT INTO ff_stream_frame (partition_key, execution_id, \
     attempt_index, ts_ms, seq, fields, mode, created_at_ms, expires_at_ms) \
     VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?3, ?7)";

/// Frames with ?3-?4 <= id <= ?5-?6 that have not expired at ?7, oldest first.
pub const SELECT_FRAMES_RANGE: &str = "SELECT ts_ms, seq, fields, mode FROM ff_stream_frame \
     WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2 \
       AND (ts_ms, seq) >= (?3, ?4) AND (ts_ms, seq) <= (?5, ?6) \
       AND (expires_at_ms IS NULL OR expires_at_ms > ?7) \
     ORDER BY ts_ms, seq LIMIT ?8";

/// Frames with id > ?3-?4 not expired at ?5, best-effort ones dropped when ?6 is 1.
pub const SELECT_FRAMES_AFTER: &str = "SELECT ts_ms, seq, fields, mode FROM ff_stream_frame \
     WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2 \
       AND (ts_ms, seq) > (?3, ?4) \
       AND (expires_at_ms IS NULL OR expires_at_ms > ?5) \
       AND (?6 = 0 OR mode <> 'best_effort') \
     ORDER BY ts_ms, seq LIMIT ?7";

/// Deletes the ?3 oldest best-effort frames of a stream (trim; durable and summary frames
/// are never removed).
pub const DELETE_OLDEST_BEST_EFFORT: &str = "DELETE FROM ff_stream_frame \
     WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2 AND (ts_ms, seq) IN \
     (SELECT ts_ms, seq FROM ff_stream_frame \
      WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2 AND mode = 'best_effort' \
      ORDER BY ts_ms, seq LIMIT ?3)";

/// Drops the frames of a stream that expired at ?3 (only best-effort frames carry a time).
pub const DELETE_EXPIRED_FRAMES: &str = "DELETE FROM ff_stream_frame \
     WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2 \
       AND expires_at_ms IS NOT NULL AND expires_at_ms <= ?3";

/// Loads an attempt's summary document.
pub const SELECT_SUMMARY: &str = "SELECT document_json, version, first_applied_ms, last_updated_ms \
     FROM ff_stream_summary WHERE partition_key = 0 AND execution_id = ?1 AND attempt_index = ?2";

/// Writes an attempt's summary document.
pub const UPSERT_SUMMARY: &str = "INSERT INTO ff_stream_summary (partition_key, execution_id, \
     attempt_index, document_json, version, patch_kind, last_updated_ms, first_applied_ms) \
     VALUES (0, ?1, ?2, ?3, ?4, 'json-merge-patch', ?5, ?6) \
     ON CONFLICT (partition_key, execution_id, attempt_index) DO UPDATE SET \
       document_json = excluded.document_json, version = excluded.version, \
       last_updated_ms = excluded.last_updated_ms";

/// The newest completion event id (0 when there is none): where "from now" starts.
pub const LAST_COMPLETION_ID: &str = "SELECT COALESCE(max(event_id), 0) FROM ff_completion_event";

/// Completion events after id ?1, oldest first, at most ?4; lane ?2 and namespace ?3 filter
/// when not NULL.
pub const SELECT_COMPLETIONS_AFTER: &str = "SELECT c.event_id, c.execution_id, e.lane_id, \
     COALESCE(c.namespace, 'default') AS namespace, c.outcome, c.occurred_at_ms \
     FROM ff_completion_event c \
     JOIN ff_exec_core e ON e.partition_key = c.partition_key AND e.execution_id = c.execution_id \
     WHERE c.partition_key = 0 AND c.event_id > ?1 \
       AND (?2 IS NULL OR e.lane_id = ?2) AND (?3 IS NULL OR c.namespace = ?3) \
     ORDER BY c.event_id LIMIT ?4";

/// The newest lease event id (0 when there is none).
pub const LAST_LEASE_EVENT_ID: &str = "SELECT COALESCE(max(event_id), 0) FROM ff_lease_event";

/// Lease events after id ?1, oldest first, at most ?2.
pub const SELECT_LEASE_EVENTS_AFTER: &str = "SELECT event_id, execution_id, attempt_index, \
     lease_epoch, event_type, occurred_at_ms FROM ff_lease_event \
     WHERE partition_key = 0 AND event_id > ?1 ORDER BY event_id LIMIT ?2";

/// Lease events of one execution (?3, the bare uuid text) after id ?1, oldest first, at most ?2.
pub const SELECT_EXECUTION_LEASE_EVENTS_AFTER: &str = "SELECT event_id, execution_id, \
     attempt_index, lease_epoch, event_type, occurred_at_ms FROM ff_lease_event \
     WHERE partition_key = 0 AND execution_id = ?3 AND event_id > ?1 ORDER BY event_id LIMIT ?2";

/// The recorded outcome of call ?2 of client ?1 (a tab sharing the database), if recorded.
pub const SELECT_CLIENT_REQUEST: &str = "SELECT value, error_code, error_message \
     FROM ff_client_request WHERE client_id = ?1 AND seq = ?2";

/// Records the outcome of call ?2 of client ?1, in the transaction of the call's effects.
pub const INSERT_CLIENT_REQUEST: &str = "INSERT INTO ff_client_request \
     (client_id, seq, value, error_code, error_message, created_at_ms) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Forgets client ?1's calls below seq ?2: it has their replies and never re-sends them.
pub const DELETE_ACKED_CLIENT_REQUESTS: &str =
    "DELETE FROM ff_client_request WHERE client_id = ?1 AND seq < ?2";

/// Forgets calls recorded before ?1 (ms): left by tabs that went away, never re-sent so late.
pub const DELETE_CLIENT_REQUESTS_BEFORE: &str = "DELETE FROM ff_client_request WHERE created_at_ms < ?1";

/// The benchmarks' storage limit (`baseline.rs`): a scratch table of one-row inserts.
pub const CREATE_BENCH_RAW: &str =
    "CREATE TABLE IF NOT EXISTS ff_bench_raw (id INTEGER PRIMARY KEY, body BLOB NOT NULL)";
pub const INSERT_BENCH_RAW: &str = "INSERT INTO ff_bench_raw (body) VALUES (?1)";
pub const DROP_BENCH_RAW: &str = "DROP TABLE IF EXISTS ff_bench_raw";
