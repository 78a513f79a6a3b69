//! Stream statements: frames, per-stream bookkeeping and close markers, summaries.

use super::{rows, sql, StreamKey, Tx};
use crate::error::Result;
use crate::model::*;
use rusqlite::params;

impl Tx<'_, '_> {
    pub fn stream_meta(&self, key: &StreamKey) -> Result<Option<StreamMeta>> {
        self.one(sql::SELECT_STREAM_META, params![key.0.as_bytes().as_slice(), key.1], rows::stream_meta)
    }

    pub fn save_stream_meta(&self, key: &StreamKey, m: &StreamMeta) -> Result<()> {
        self.exec_one(
            sql::UPSERT_STREAM_META,
            params![
                key.0.as_bytes().as_slice(),
                key.1,
                m.ema_rate_hz,
                m.last_append_ts_ms,
                m.maxlen_applied_last,
                m.last_ts_ms,
                m.last_seq,
                m.frame_count as i64,
                m.best_effort_count as i64,
            ],
        )?;
        Ok(())
    }

    pub fn close_stream(&self, key: &StreamKey, reason: CloseReason, now: i64) -> Result<()> {
        self.exec_one(sql::CLOSE_STREAM, params![key.0.as_bytes().as_slice(), key.1, now, reason.as_str()])?;
        Ok(())
    }

    pub fn insert_frame(&self, key: &StreamKey, f: &NewFrameRow) -> Result<()> {
        self.exec_one(
            sql::INSERT_FRAME,
            params![
                key.0.as_bytes().as_slice(),
                key.1,
                f.ts_ms,
                f.seq,
                f.fields_json,
                f.mode.as_str(),
                f.expires_at_ms
            ],
        )?;
        Ok(())
    }

    /// Frames between two inclusive `(ts, seq)` bounds, oldest first.
    pub fn frames_range(
        &self,
        key: &StreamKey,
        from: (i64, i64),
        to: (i64, i64),
        now: i64,
        limit: i64,
    ) -> Result<Vec<Frame>> {
        self.all(
            sql::SELECT_FRAMES_RANGE,
            params![key.0.as_bytes().as_slice(), key.1, from.0, from.1, to.0, to.1, now, limit],
            rows::frame,
        )
    }

    /// Frames strictly after `after`, oldest first.
    pub fn frames_after(
        &self,
        key: &StreamKey,
        after: (i64, i64),
        now: i64,
        exclude_best_effort: bool,
        limit: i64,
    ) -> Result<Vec<Frame>> {
        self.all(
            sql::SELECT_FRAMES_AFTER,
            params![
                key.0.as_bytes().as_slice(),
                key.1,
                after.0,
                after.1,
                now,
                exclude_best_effort as i64,
                limit
            ],
            rows::frame,
        )
    }

    /// Deletes the `count` oldest best-effort frames; returns how many went.
    pub fn delete_oldest_best_effort(&self, key: &StreamKey, count: u64) -> Result<u64> {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        Ok(self
            .exec_one(sql::DELETE_OLDEST_BEST_EFFORT, params![key.0.as_bytes().as_slice(), key.1, count])?
            as u64)
    }

    /// Deletes the frames that expired at `now` (all best-effort); returns how many went.
    pub fn delete_expired_frames(&self, key: &StreamKey, now: i64) -> Result<u64> {
        Ok(self.exec_one(sql::DELETE_EXPIRED_FRAMES, params![key.0.as_bytes().as_slice(), key.1, now])?
            as u64)
    }

    pub fn summary(&self, key: &StreamKey) -> Result<Option<Summary>> {
        self.one(sql::SELECT_SUMMARY, params![key.0.as_bytes().as_slice(), key.1], rows::summary)
    }

    /// Writes a summary; `document_json` is `s.document` already serialized (the engine needs
    /// the text anyway to enforce the size cap).
    pub fn save_summary(&self, key: &StreamKey, s: &Summary, document_json: &str) -> Result<()> {
        self.exec_one(
            sql::UPSERT_SUMMARY,
            params![
                key.0.as_bytes().as_slice(),
                key.1,
                document_json,
                s.version as i64,
                s.last_updated_ms,
                s.first_applied_ms
            ],
        )?;
        Ok(())
    }
}
