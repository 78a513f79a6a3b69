-- Executions, their attempts (which carry the lease), required capabilities and lanes.
-- Names follow the FlowFabric SQLite backend; partition_key is always 0 (one partition).

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
);

-- Claim walks runnable rows of one lane by priority, then age, then insertion order.
CREATE INDEX ff_exec_core_claim_idx
    ON ff_exec_core (partition_key, lane_id, lifecycle_phase, priority DESC, created_at_ms);

CREATE TABLE ff_execution_capabilities (
    execution_id  BLOB NOT NULL,
    capability    TEXT NOT NULL,
    PRIMARY KEY (execution_id, capability)
) WITHOUT ROWID;

CREATE INDEX ff_execution_capabilities_capability_idx
    ON ff_execution_capabilities (capability, execution_id);

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
);

-- Lease expiry scans only live leases.
CREATE INDEX ff_attempt_lease_expiry_idx
    ON ff_attempt (partition_key, lease_expires_at_ms) WHERE lease_expires_at_ms IS NOT NULL;
CREATE INDEX ff_attempt_worker_idx
    ON ff_attempt (partition_key, worker_id) WHERE worker_id IS NOT NULL;

CREATE TABLE ff_lane_registry (
    lane_id           TEXT PRIMARY KEY,
    registered_at_ms  INTEGER NOT NULL,
    registered_by     TEXT    NOT NULL
);

-- Outbox of lease lifecycle events: acquired, renewed, revoked, expired, reclaimed.
CREATE TABLE ff_lease_event (
    event_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id    TEXT    NOT NULL,                 -- hyphenated uuid, no {fp:N}: prefix
    lease_id        TEXT,
    event_type      TEXT    NOT NULL,
    occurred_at_ms  INTEGER NOT NULL,
    partition_key   INTEGER NOT NULL DEFAULT 0,
    namespace       TEXT,
    instance_tag    TEXT
);
CREATE INDEX ff_lease_event_partition_idx ON ff_lease_event (partition_key, event_id);

-- Outbox of terminal outcomes: success, failed, cancelled.
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
);
CREATE INDEX ff_completion_event_execution_idx
    ON ff_completion_event (partition_key, execution_id, occurred_at_ms);
