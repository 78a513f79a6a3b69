//! Exactly-once calls for tabs that share one database through a leader tab (docs/API.md,
//! "Many tabs, one database"). Every call a tab sends carries the tab's client id and a
//! sequence number. The leader runs it through [`Engine::remember`], which records the outcome
//! of a call that changed anything in the same transaction as the change; when a leader goes
//! away mid-call, the tab re-sends the call to the next leader, which finds the record through
//! [`Engine::recall`] and answers with it instead of running the call again. Calls that changed
//! nothing (reads, a claim that found no work, arguments refused up front) are not recorded:
//! running them again has no effect to double.

use super::Engine;
use crate::error::{quote, EngineError, ErrorCode, Result};
use crate::store::StoredOutcome;

/// One call of one tab: `seq` increases per call of `client`; every call of that client below
/// `acked` has had its reply, so its record can go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    client: String,
    seq: i64,
    acked: i64,
}

/// What a recorded call returns again: its value as JSON text (`None`: no value), or its error.
pub type Recorded = Result<Option<String>>;

/// Longest client id: the tabs use uuids (36 bytes).
const CLIENT_MAX: usize = 64;

impl Request {
    pub fn new(client: &str, seq: i64, acked: i64) -> Result<Request> {
        if client.is_empty() || client.len() > CLIENT_MAX || client.chars().any(char::is_control) {
            return Err(EngineError::invalid(format!(
                "client {} must be 1 to {CLIENT_MAX} bytes without control characters",
                quote(client)
            )));
        }
        if seq < 1 || !(0..=seq).contains(&acked) {
            return Err(EngineError::invalid(format!(
                "request seq {seq} must be at least 1 and acked {acked} within 0..={seq}"
            )));
        }
        Ok(Request { client: client.to_string(), seq, acked })
    }
}

fn stored(outcome: &Recorded) -> StoredOutcome {
    match outcome {
        Ok(value) => Ok(value.clone()),
        Err(e) => Err((e.code.as_str().to_string(), e.message.clone())),
    }
}

fn recorded(outcome: StoredOutcome) -> Recorded {
    outcome.map_err(|(code, message)| {
        // A code this build does not know (written by a newer one) still reads as a failure.
        let code = ErrorCode::parse(&code).unwrap_or(ErrorCode::Io);
        EngineError::new(code, message)
    })
}

impl Engine {
    /// The outcome recorded for `request`, if an earlier delivery of it changed something.
    pub fn recall(&self, request: &Request) -> Result<Option<Recorded>> {
        let found = self.read(|tx| tx.recalled_request(&request.client, request.seq))?;
        Ok(found.map(recorded))
    }

    /// Runs `op` as `request`: when it changed anything (or failed after writing), its outcome,
    /// `encode`d, is recorded in the same transaction as its changes, so both commit or neither
    /// does. Inside a [`Engine::group`] that is a savepoint of the group's transaction; outside
    /// one, a transaction of its own. An `encode` failure undoes the call: a change without its
    /// record could be applied twice.
    pub fn remember<T>(
        &self,
        request: &Request,
        op: impl FnOnce() -> Result<T>,
        encode: impl FnOnce(&T) -> Result<Option<String>>,
    ) -> Result<T> {
        let run = || {
            self.write(|tx, _| {
                let before = tx.total_changes();
                let outcome = op();
                if tx.total_changes() != before {
                    let record = match &outcome {
                        Ok(value) => Ok(encode(value)?),
                        Err(e) => Err(e.clone()),
                    };
                    let Request { client, seq, acked } = request;
                    tx.record_request(client, *seq, *acked, &stored(&record), self.now()?)?;
                }
                Ok(outcome)
            })
        };
        // The call's own writes nest as savepoints, and their wakeups wait for the commit.
        let in_group = self.group.borrow().is_some();
        if in_group {
            run()?
        } else {
            self.group(run)?
        }
    }

    /// Forgets the calls recorded before `before_ms` (tabs re-send only during a failover, so
    /// old records belong to tabs that went away); returns how many.
    pub fn forget_requests_before(&self, before_ms: i64) -> Result<usize> {
        self.write(|tx, _| tx.forget_requests_before(before_ms))
    }

    /// The newest ids of the completion and lease outboxes: where `completions()` and
    /// `leaseHistory()` without `after` start, so that a tab can resume them at another leader.
    pub fn outbox_heads(&self) -> Result<(i64, i64)> {
        self.read(|tx| Ok((tx.last_completion_id()?, tx.last_lease_event_id()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::ManualHost;
    use crate::model::{ClaimSpec, CreateSpec, FrameSpec};
    use crate::store::Store;

    fn engine() -> Engine {
        Engine::new(Store::open_memory(None).unwrap(), Box::new(ManualHost::new(1_000)))
    }

    fn json<T: serde::Serialize>(value: &T) -> Result<Option<String>> {
        Ok(Some(serde_json::to_string(value).unwrap()))
    }

    /// What the leader does with a call: the recorded outcome if there is one, else a run.
    fn deliver<T: serde::Serialize>(
        engine: &Engine,
        request: &Request,
        op: impl FnOnce() -> Result<T>,
    ) -> Recorded {
        if let Some(recorded) = engine.recall(request).unwrap() {
            return recorded;
        }
        engine.remember(request, op, json).and_then(|value| json(&value))
    }

    fn frames(engine: &Engine, id: &str) -> usize {
        engine.read_stream(id, 0, &Default::default()).unwrap().frames.len()
    }

    fn claim(engine: &Engine) -> String {
        let spec = ClaimSpec {
            lane: "default".into(),
            capabilities: vec![],
            worker_id: "w".into(),
            worker_instance_id: "w".into(),
            lease_ttl_ms: 60_000,
        };
        engine.claim(&spec).unwrap().unwrap().token
    }

    #[test]
    fn the_same_request_twice_has_one_effect_and_one_result() {
        let engine = engine();
        let id = engine.create_execution(&CreateSpec::default()).unwrap().execution_id;
        let token = claim(&engine);
        let request = Request::new("tab-a", 7, 7).unwrap();
        let append = || engine.append_frame(&token, &FrameSpec::durable("once"));
        let first = deliver(&engine, &request, append).unwrap();
        let again = deliver(&engine, &request, append).unwrap();
        assert_eq!(first, again, "the retry returns the recorded result");
        assert_eq!(frames(&engine, &id), 1, "applied once");
        // Another client's request with the same seq is another call.
        deliver(&engine, &Request::new("tab-b", 7, 7).unwrap(), append).unwrap();
        assert_eq!(frames(&engine, &id), 2);
    }

    #[test]
    fn inside_a_group_the_record_commits_or_rolls_back_with_the_effect() {
        let engine = engine();
        let request = Request::new("tab-a", 1, 1).unwrap();
        let create = || engine.create_execution(&CreateSpec::default());
        let failed: Result<()> = engine.group(|| {
            engine.remember(&request, create, json)?;
            // A duplicate inside the same transaction already sees the record.
            assert!(engine.recall(&request)?.is_some());
            Err(EngineError::new(ErrorCode::StorageFull, "the commit failed"))
        });
        assert!(failed.is_err());
        assert_eq!(engine.recall(&request).unwrap(), None, "no record without the effect");
        assert_eq!(engine.list_executions(&Default::default()).unwrap().executions.len(), 0);
        let created = engine.group(|| engine.remember(&request, create, json)).unwrap();
        let recalled = engine.recall(&request).unwrap().unwrap().unwrap().unwrap();
        assert_eq!(recalled, serde_json::to_string(&created).unwrap());
    }

    #[test]
    fn failures_after_a_write_are_recorded_and_calls_that_changed_nothing_are_not() {
        let engine = engine();
        engine.create_execution(&CreateSpec::default()).unwrap();
        let token = claim(&engine);
        engine.complete(&token, None).unwrap();
        // Refused before any write: nothing recorded, a re-send runs again (to the same end).
        let closed = Request::new("tab-a", 1, 0).unwrap();
        let append = || engine.append_frame(&token, &FrameSpec::durable("late"));
        assert_eq!(deliver(&engine, &closed, append).unwrap_err().code, ErrorCode::StreamClosed);
        assert_eq!(engine.recall(&closed).unwrap(), None);
        // A read changes nothing either.
        let read = Request::new("tab-a", 2, 0).unwrap();
        deliver(&engine, &read, || engine.list_executions(&Default::default())).unwrap();
        assert_eq!(engine.recall(&read).unwrap(), None);
        // A call whose writes were undone by its own failure: its error is what it returns again.
        let failing = Request::new("tab-a", 3, 0).unwrap();
        let write_then_fail = || -> Result<()> {
            engine.create_execution(&CreateSpec::default())?;
            Err(EngineError::new(ErrorCode::LeaseConflict, "moved on"))
        };
        let outcome = engine.remember(&failing, write_then_fail, |_| Ok(None));
        assert_eq!(outcome.unwrap_err().code, ErrorCode::LeaseConflict);
        let recalled = engine.recall(&failing).unwrap().unwrap().unwrap_err();
        assert_eq!((recalled.code, recalled.message.as_str()), (ErrorCode::LeaseConflict, "moved on"));
    }

    #[test]
    fn acknowledged_and_old_records_are_forgotten() {
        let engine = engine();
        let create = || engine.create_execution(&CreateSpec::default());
        for seq in 1..=3 {
            engine.remember(&Request::new("tab-a", seq, 1).unwrap(), create, json).unwrap();
        }
        engine.remember(&Request::new("tab-b", 1, 1).unwrap(), create, json).unwrap();
        // tab-a has its replies up to seq 3: 1 and 2 go, 3 and 4 (and tab-b's) stay.
        engine.remember(&Request::new("tab-a", 4, 3).unwrap(), create, json).unwrap();
        let kept =
            |client: &str, seq| engine.recall(&Request::new(client, seq, 0).unwrap()).unwrap().is_some();
        assert_eq!([1, 2, 3, 4].map(|seq| kept("tab-a", seq)), [false, false, true, true]);
        assert!(kept("tab-b", 1));
        assert_eq!(engine.forget_requests_before(1_001).unwrap(), 3);
        assert!(!kept("tab-b", 1));
    }

    #[test]
    fn request_ids_are_checked() {
        for (client, seq, acked) in [("", 1, 0), ("a\n", 1, 0), ("a", 0, 0), ("a", 2, 3), ("a", 2, -1)] {
            assert_eq!(Request::new(client, seq, acked).unwrap_err().code, ErrorCode::InvalidInput);
        }
        assert!(Request::new(&"x".repeat(65), 1, 0).is_err());
    }

    #[test]
    fn code_names_round_trip() {
        for &code in ErrorCode::ALL {
            let back = recorded(stored(&Err(EngineError::new(code, "m")))).unwrap_err();
            assert_eq!(back.code, code);
        }
        assert_eq!(recorded(Err(("from_the_future".into(), "m".into()))).unwrap_err().code, ErrorCode::Io);
    }
}
