-- Exactly-once calls for tabs sharing one database (docs/API.md, "Many tabs, one database"):
-- the outcome of every call that changed something, keyed by the calling tab's client id and
-- the call's sequence number, written in the same transaction as the call's effects. A call
-- re-sent to a new leader tab after a failover finds its row and gets the recorded outcome
-- instead of running a second time.

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
) WITHOUT ROWID;
