-- Per-attempt output streams: frames, the summary document, and per-stream bookkeeping.

CREATE TABLE ff_stream_frame (
    partition_key  INTEGER NOT NULL DEFAULT 0,
    execution_id   BLOB    NOT NULL,
    attempt_index  INTEGER NOT NULL,
    ts_ms          INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    fields         TEXT    NOT NULL,                  -- JSON object of strings
    mode           TEXT    NOT NULL,                  -- durable | summary | best_effort
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER,                           -- best-effort frames of best-effort-only streams
    PRIMARY KEY (partition_key, execution_id, attempt_index, ts_ms, seq)
);

-- Expiry deletes touch only frames that can expire (best-effort frames of best-effort-only streams).
CREATE INDEX ff_stream_frame_expiry_idx
    ON ff_stream_frame (partition_key, execution_id, attempt_index, expires_at_ms)
    WHERE expires_at_ms IS NOT NULL;

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
);

-- One row per stream that was written to or closed. Besides the reference's best-effort rate
-- estimator it keeps the last frame id (ids stay increasing when the clock steps back), the
-- retained frame count (no COUNT(*) per append) and the close markers.
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
    has_durable          INTEGER NOT NULL DEFAULT 0,  -- ever held a durable or summary frame
    closed_at_ms         INTEGER,
    closed_reason        TEXT,
    PRIMARY KEY (partition_key, execution_id, attempt_index)
);
