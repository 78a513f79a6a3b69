-- Decision 7: best-effort frames are the only frames ever removed. A best-effort append trims
-- the stream's best-effort frames among themselves (so the stream keeps their count), and every
-- best-effort frame expires 2 × ttl after it was written, whatever else the stream holds (so the
-- "stream ever held a durable frame" flag goes).

ALTER TABLE ff_stream_meta ADD COLUMN best_effort_count INTEGER NOT NULL DEFAULT 0;

UPDATE ff_stream_meta SET best_effort_count = (
    SELECT count(*) FROM ff_stream_frame f
    WHERE f.partition_key = ff_stream_meta.partition_key
      AND f.execution_id = ff_stream_meta.execution_id
      AND f.attempt_index = ff_stream_meta.attempt_index
      AND f.mode = 'best_effort');

ALTER TABLE ff_stream_meta DROP COLUMN has_durable;

-- Trimming deletes a stream's oldest best-effort frames. (Best-effort frames written before this
-- migration into streams that also held durable frames have no expiry time; they are trimmed,
-- never expired: their ttl was not kept.)
CREATE INDEX ff_stream_frame_best_effort_idx
    ON ff_stream_frame (partition_key, execution_id, attempt_index, ts_ms, seq)
    WHERE mode = 'best_effort';
