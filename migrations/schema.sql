-- The schema migrations 0001 to 0008 leave, as SQLite stores it (sqlite_schema.sql).
-- Generated, not edited: FF_WRITE_SCHEMA=1 cargo test --lib schema_snapshot
-- Opening checks a database of the latest version against it, and creates a new
-- database from it (src/store/migrate.rs).
-- entry: ff_exec_core
CREATE TABLE ff_exec_core (
    partition_key        INTEGER NOT NULL DEFAULT 0,
    execution_id         BLOB    NOT NULL,            -- 16 uuid bytes
    flow_id              BLOB,
    lane_id              TEXT    NOT NULL,
    attempt_index        INTEGER NOT NULL DEFAULT 0,  -- index of the current (or next) attempt
    lifecycle_phase      TEXT    NOT NULL,
    ownership_state      TEXT    NOT NULL,
    eligibility_state    TEXT    NOT NULL,
    public_state         TEXT    NOT NULL,
    attempt_state        TEXT    NOT NULL,
    terminal_outcome     TEXT,                        -- canonical outcome once terminal
    blocking_reason      TEXT,
    cancellation_reason  TEXT,
    cancelled_by         TEXT,
    priority             INTEGER NOT NULL DEFAULT 0,
    created_at_ms        INTEGER NOT NULL,
    delay_until_ms       INTEGER,                     -- not claimable before this time
    started_at_ms        INTEGER,
    terminal_at_ms       INTEGER,
    deadline_at_ms       INTEGER,
    payload              BLOB,
    result               BLOB,
    policy               TEXT,                        -- JSON: { retryPolicy }
    raw_fields           TEXT    NOT NULL DEFAULT '{}',
    lease_reclaim_count  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partition_key, execution_id)
)
-- entry: ff_exec_core_claim_idx
CREATE INDEX ff_exec_core_claim_idx
    ON ff_exec_core (partition_key, lane_id, lifecycle_phase, priority DESC, created_at_ms)
-- entry: ff_execution_capabilities
CREATE TABLE ff_execution_capabilities (
    execution_id  BLOB NOT NULL,
    capability    TEXT NOT NULL,
    PRIMARY KEY (execution_id, capability)
) WITHOUT ROWID
-- entry: ff_execution_capabilities_capability_idx
CREATE INDEX ff_execution_capabilities_capability_idx
    ON ff_execution_capabilities (capability, execution_id)
-- entry: ff_lane_registry
CREATE TABLE ff_lane_registry (
    lane_id           TEXT PRIMARY KEY,
    registered_at_ms  INTEGER NOT NULL,
    registered_by     TEXT    NOT NULL
)
-- entry: ff_lease_event
CREATE TABLE ff_lease_event (
    event_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id    TEXT    NOT NULL,                 -- hyphenated uuid, no {fp:N}: prefix
    lease_id        TEXT,
    event_type      TEXT    NOT NULL,
    occurred_at_ms  INTEGER NOT NULL,
    partition_key   INTEGER NOT NULL DEFAULT 0,
    namespace       TEXT,
    instance_tag    TEXT
, attempt_index INTEGER, lease_epoch INTEGER)
-- entry: ff_lease_event_partition_idx
CREATE INDEX ff_lease_event_partition_idx ON ff_lease_event (partition_key, event_id)
-- entry: ff_completion_event
CREATE TABLE ff_completion_event (
    partition_key     INTEGER NOT NULL DEFAULT 0,
    event_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id      BLOB    NOT NULL,
    flow_id           BLOB,
    outcome           TEXT    NOT NULL,
    namespace         TEXT,
    instance_tag      TEXT,
    occurred_at_ms    INTEGER NOT NULL,
    committed_at_ms   INTEGER NOT NULL,
    dispatched_at_ms  INTEGER
)
-- entry: ff_completion_event_execution_idx
CREATE INDEX ff_completion_event_execution_idx
    ON ff_completion_event (partition_key, execution_id, occurred_at_ms)
-- entry: ff_lease_event_execution_idx
CREATE INDEX ff_lease_event_execution_idx
    ON ff_lease_event (partition_key, execution_id, event_id)
-- entry: ff_exec_core_lane_idx
CREATE INDEX ff_exec_core_lane_idx ON ff_exec_core (partition_key, lane_id)
-- entry: ff_client_request
CREATE TABLE ff_client_request (
    client_id     TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    -- the resolved value as JSON text; NULL when the call resolved `undefined` or failed
    value         TEXT,
    -- NULL on success, else the error the call rejected with
    error_code    TEXT,
    error_message TEXT,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (client_id, seq)
) WITHOUT ROWID
-- entry: ff_stream_frame
CREATE TABLE ff_stream_frame (
    partition_key  INTEGER NOT NULL DEFAULT 0,
    execution_id   BLOB    NOT NULL,
    attempt_index  INTEGER NOT NULL,
    ts_ms          INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    fields         TEXT    NOT NULL,                  -- JSON object of strings
    mode           TEXT    NOT NULL,                  -- durable | summary | best_effort
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER,                           -- best-effort frames, 2 x ttl after writing
    PRIMARY KEY (partition_key, execution_id, attempt_index, ts_ms, seq)
) WITHOUT ROWID
-- entry: ff_stream_frame_expiry_idx
CREATE INDEX ff_stream_frame_expiry_idx
    ON ff_stream_frame (partition_key, execution_id, attempt_index, expires_at_ms)
    WHERE expires_at_ms IS NOT NULL
-- entry: ff_stream_frame_best_effort_idx
CREATE INDEX ff_stream_frame_best_effort_idx
    ON ff_stream_frame (partition_key, execution_id, attempt_index, ts_ms, seq)
    WHERE mode = 'best_effort'
-- entry: ff_stream_meta
CREATE TABLE ff_stream_meta (
    partition_key        INTEGER NOT NULL DEFAULT 0,
    execution_id         BLOB    NOT NULL,
    attempt_index        INTEGER NOT NULL,
    ema_rate_hz          REAL    NOT NULL DEFAULT 0,
    last_append_ts_ms    INTEGER NOT NULL DEFAULT 0,
    maxlen_applied_last  INTEGER NOT NULL DEFAULT 0,
    last_ts_ms           INTEGER NOT NULL DEFAULT 0,
    last_seq             INTEGER NOT NULL DEFAULT -1,
    frame_count          INTEGER NOT NULL DEFAULT 0,
    closed_at_ms         INTEGER,
    closed_reason        TEXT,
    best_effort_count    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partition_key, execution_id, attempt_index)
) WITHOUT ROWID
-- entry: ff_stream_summary
CREATE TABLE ff_stream_summary (
    partition_key     INTEGER NOT NULL DEFAULT 0,
    execution_id      BLOB    NOT NULL,
    attempt_index     INTEGER NOT NULL,
    document_json     TEXT    NOT NULL,
    version           INTEGER NOT NULL DEFAULT 0,
    patch_kind        TEXT,
    last_updated_ms   INTEGER NOT NULL,
    first_applied_ms  INTEGER NOT NULL,
    PRIMARY KEY (partition_key, execution_id, attempt_index)
) WITHOUT ROWID
-- entry: ff_attempt
CREATE TABLE ff_attempt (
    partition_key        INTEGER NOT NULL DEFAULT 0,
    execution_id         BLOB    NOT NULL,
    attempt_index        INTEGER NOT NULL,
    worker_id            TEXT,
    worker_instance_id   TEXT,
    lease_epoch          INTEGER NOT NULL DEFAULT 0,  -- fencing token, never decreases
    lease_ttl_ms         INTEGER NOT NULL DEFAULT 0,
    lease_expires_at_ms  INTEGER,                     -- NULL: no live lease
    started_at_ms        INTEGER,
    terminal_at_ms       INTEGER,
    outcome              TEXT,                        -- NULL while the attempt is live
    usage                TEXT,
    policy               TEXT,
    raw_fields           TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (partition_key, execution_id, attempt_index)
) WITHOUT ROWID
-- entry: ff_attempt_lease_expiry_idx
CREATE INDEX ff_attempt_lease_expiry_idx
    ON ff_attempt (partition_key, lease_expires_at_ms) WHERE lease_expires_at_ms IS NOT NULL
-- entry: ff_attempt_worker_idx
CREATE INDEX ff_attempt_worker_idx
    ON ff_attempt (partition_key, worker_id) WHERE worker_id IS NOT NULL
