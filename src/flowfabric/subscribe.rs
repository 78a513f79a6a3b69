//! `subscribe_completion` and `subscribe_lease_history`: the engine's outbox followers, pumped
//! into a channel by a task on the engine thread. The follower reads the durable outbox after
//! its position and parks on the outbox's notifier topic, so nothing is polled; when the
//! subscriber falls behind, the channel fills and the pump waits. Nothing is ever dropped, so
//! there is no lag to recover from and `StreamBackpressure` never occurs.
//!
//! Cursors use the reference's outbox codec (`0x02` + the event id, big-endian), which
//! `ff_core::stream_subscribe::encode_postgres_event_cursor` builds: an empty cursor means
//! "from now", `encode_postgres_event_cursor(0)` replays the whole outbox.

use super::actor::{first, Actor, Either};
use super::convert::{execution_id, millis};
use super::errors::{corrupt, invalid, to_ff, FfResult};
use crate::engine::{Engine, Feed, Follower};
use crate::model::{self, CompletionsSpec, LeaseEventKind, LeaseHistorySpec, TerminalOutcome};
use ff_core::backend::ScannerFilter;
use ff_core::engine_error::EngineError;
use ff_core::stream_events::{
    CompletionEvent, CompletionOutcome, CompletionSubscription, LeaseHistoryEvent, LeaseHistorySubscription,
};
use ff_core::stream_subscribe::{decode_postgres_event_cursor, encode_postgres_event_cursor, StreamCursor};
use ff_core::types::Namespace;
use futures_core::Stream;
use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Events buffered between the engine thread and a subscriber.
const BUFFER: usize = 256;
/// Executions whose namespace and tags a filtering subscription remembers (they never change).
const FACTS_CACHED: usize = 4096;

pub async fn completions(
    actor: &Actor,
    cursor: StreamCursor,
    filter: ScannerFilter,
) -> FfResult<CompletionSubscription> {
    let spec = CompletionsSpec {
        after: position(&cursor)?,
        lane: None,
        // Filtered by the outbox's own column; a tag filter needs the execution's tags.
        namespace: filter.namespace.as_ref().map(|n| n.as_str().to_string()),
    };
    let (out, items) = mpsc::channel(BUFFER);
    actor
        .run_task(move |engine: Rc<Engine>| async move {
            let follower = engine.follow_completions(&spec).map_err(to_ff)?;
            let mut facts = Facts::default();
            let convert = move |engine: &Engine, e: model::CompletionEvent| {
                if filter.instance_tag.is_some() {
                    match facts.matches(engine, &filter, &e.execution_id) {
                        Ok(true) => {}
                        Ok(false) => return None,
                        Err(err) => return Some(Err(err)),
                    }
                }
                Some(completion(e))
            };
            drop(tokio::task::spawn_local(pump(engine, follower, out, convert)));
            Ok(())
        })
        .await?;
    Ok(Box::pin(Subscription {
        items,
        last: cursor,
        cursor_of: |e: &CompletionEvent| &e.cursor,
        ended: false,
    }))
}

pub async fn lease_history(
    actor: &Actor,
    cursor: StreamCursor,
    filter: ScannerFilter,
) -> FfResult<LeaseHistorySubscription> {
    let spec = LeaseHistorySpec { after: position(&cursor)?, execution_id: None };
    let (out, items) = mpsc::channel(BUFFER);
    actor
        .run_task(move |engine: Rc<Engine>| async move {
            let follower = engine.follow_lease_history(&spec).map_err(to_ff)?;
            let mut facts = Facts::default();
            let convert = move |engine: &Engine, e: model::LeaseEvent| {
                if !filter.is_noop() {
                    match facts.matches(engine, &filter, &e.execution_id) {
                        Ok(true) => {}
                        Ok(false) => return None,
                        Err(err) => return Some(Err(err)),
                    }
                }
                Some(lease_event(e))
            };
            drop(tokio::task::spawn_local(pump(engine, follower, out, convert)));
            Ok(())
        })
        .await?;
    Ok(Box::pin(Subscription { items, last: cursor, cursor_of: LeaseHistoryEvent::cursor, ended: false }))
}

/// The outbox position a cursor resumes after (`None`: from now).
fn position(cursor: &StreamCursor) -> FfResult<Option<String>> {
    match decode_postgres_event_cursor(cursor) {
        Ok(None) => Ok(None),
        Ok(Some(id)) if id >= 0 => Ok(Some(id.to_string())),
        _ => Err(invalid(
            "subscription cursor was not issued by this backend: pass an event's cursor, \
             StreamCursor::empty() (from now) or encode_postgres_event_cursor(0) (from the start)",
        )),
    }
}

fn cursor_of_event(text: &str) -> FfResult<StreamCursor> {
    let id = text.parse::<i64>().map_err(|_| corrupt(format!("outbox event id {text:?}")))?;
    Ok(encode_postgres_event_cursor(id))
}

fn completion(e: model::CompletionEvent) -> FfResult<CompletionEvent> {
    let outcome = match e.outcome {
        TerminalOutcome::Success => CompletionOutcome::Success,
        TerminalOutcome::Failed => CompletionOutcome::Failure,
        TerminalOutcome::Cancelled => CompletionOutcome::Cancelled,
    };
    Ok(CompletionEvent::new(
        cursor_of_event(&e.cursor)?,
        execution_id(&e.execution_id)?,
        outcome,
        millis(e.at_ms),
    ))
}

/// The outbox keeps no lease or worker ids (as in the reference), so those stay `None`.
fn lease_event(e: model::LeaseEvent) -> FfResult<LeaseHistoryEvent> {
    let (cursor, execution_id, at) =
        (cursor_of_event(&e.cursor)?, execution_id(&e.execution_id)?, millis(e.at_ms));
    Ok(match e.event {
        LeaseEventKind::Acquired => {
            LeaseHistoryEvent::Acquired { cursor, execution_id, lease_id: None, worker_instance_id: None, at }
        }
        LeaseEventKind::Renewed => {
            LeaseHistoryEvent::Renewed { cursor, execution_id, lease_id: None, worker_instance_id: None, at }
        }
        LeaseEventKind::Expired => {
            LeaseHistoryEvent::Expired { cursor, execution_id, lease_id: None, prev_owner: None, at }
        }
        LeaseEventKind::Reclaimed => {
            LeaseHistoryEvent::Reclaimed { cursor, execution_id, new_lease_id: None, new_owner: None, at }
        }
        // complete, fail and cancel revoke leases here, not an operator.
        LeaseEventKind::Revoked => LeaseHistoryEvent::Revoked {
            cursor,
            execution_id,
            lease_id: None,
            revoked_by: "backend".into(),
            at,
        },
    })
}

/// Moves a follower's items into the channel until the subscriber goes away or the feed fails
/// (the error is delivered, then the subscription ends).
async fn pump<F: Feed, T>(
    engine: Rc<Engine>,
    follower: Follower<F>,
    out: mpsc::Sender<FfResult<T>>,
    mut convert: impl FnMut(&Engine, F::Item) -> Option<FfResult<T>>,
) {
    loop {
        let next = match first(follower.next(&engine), out.closed()).await {
            Either::Left(next) => next,
            Either::Right(()) => break,
        };
        let converted = match next {
            Ok(Some(item)) => match convert(&engine, item) {
                Some(converted) => converted,
                None => continue,
            },
            Ok(None) => break,
            Err(e) => Err(to_ff(e)),
        };
        let failed = converted.is_err();
        if out.send(converted).await.is_err() || failed {
            break;
        }
    }
    follower.release();
}

/// The namespace and tags of executions, for filters the outbox column cannot answer
/// (`None`: no such execution).
#[derive(Default)]
struct Facts(HashMap<String, Option<Known>>);

struct Known {
    namespace: Namespace,
    tags: BTreeMap<String, String>,
}

impl Facts {
    fn matches(&mut self, engine: &Engine, filter: &ScannerFilter, id: &str) -> FfResult<bool> {
        if !self.0.contains_key(id) {
            if self.0.len() >= FACTS_CACHED {
                self.0.clear();
            }
            let info = engine.get_execution(id).map_err(to_ff)?;
            let known = info.map(|i| Known { namespace: Namespace::new(i.namespace), tags: i.tags });
            self.0.insert(id.to_string(), known);
        }
        let Some(Some(known)) = self.0.get(id) else { return Ok(false) };
        let tag = filter.instance_tag.as_ref().and_then(|(key, _)| known.tags.get(key)).map(String::as_str);
        Ok(filter.matches(Some(&known.namespace), tag))
    }
}

/// The subscriber's end. When the engine thread stops (the backend was dropped) it yields
/// `StreamDisconnected` with the last cursor it delivered, then ends.
struct Subscription<T> {
    items: mpsc::Receiver<FfResult<T>>,
    last: StreamCursor,
    cursor_of: fn(&T) -> &StreamCursor,
    ended: bool,
}

impl<T> Stream for Subscription<T> {
    type Item = FfResult<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        match this.items.poll_recv(cx) {
            Poll::Ready(Some(Ok(item))) => {
                this.last = (this.cursor_of)(&item).clone();
                Poll::Ready(Some(Ok(item)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.ended = true;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.ended = true;
                Poll::Ready(Some(Err(EngineError::StreamDisconnected { cursor: this.last.clone() })))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
