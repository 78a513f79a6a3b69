//! The followers a case holds open across steps (`tail()`, `completions()`, `leaseHistory()`):
//! each keeps its pending `next()` future between steps, polled with a waker that only records
//! that it was woken, so a step that should have woken it can be checked to have done so.

use ff_backend_wasm::engine::{Feed, Follower};
use ff_backend_wasm::Engine;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

type Next<I> = Pin<Box<dyn Future<Output = ff_backend_wasm::error::Result<Option<I>>>>>;

/// What a held follower follows, in the model's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Tail {
        exec: usize,
        attempt: u32,
    },
    /// Completions after model event `start`, optionally of one lane.
    Completions {
        start: usize,
        lane: Option<&'static str>,
    },
    /// Lease events after model event `start`, optionally of one execution.
    Leases {
        start: usize,
        exec: Option<usize>,
    },
}

pub struct Held<F: Feed> {
    pub target: Target,
    follower: Rc<Follower<F>>,
    pending: Option<Next<F::Item>>,
    flag: Arc<Flag>,
    pub seen: Vec<F::Item>,
    pub ended: bool,
}

impl<F: Feed + 'static> Held<F>
where
    F::Item: 'static,
{
    pub fn new(target: Target, follower: Follower<F>) -> Self {
        Held {
            target,
            follower: Rc::new(follower),
            pending: None,
            flag: Arc::default(),
            seen: Vec::new(),
            ended: false,
        }
    }

    /// Whether a `next()` is parked, waiting for a wakeup.
    pub fn is_waiting(&self) -> bool {
        self.pending.is_some()
    }

    pub fn was_woken(&self) -> bool {
        self.flag.0.load(Ordering::SeqCst)
    }

    /// Takes every item that is ready, leaving a `next()` parked when none is; an error ends
    /// the case.
    pub fn pump(&mut self, engine: &Rc<Engine>) -> Result<(), String> {
        self.flag.0.store(false, Ordering::SeqCst);
        let waker = Waker::from(self.flag.clone());
        while !self.ended {
            let next = self.pending.get_or_insert_with(|| {
                let (follower, engine) = (self.follower.clone(), engine.clone());
                Box::pin(async move { follower.next(&engine).await })
            });
            match next.as_mut().poll(&mut Context::from_waker(&waker)) {
                Poll::Pending => break,
                Poll::Ready(step) => {
                    self.pending = None;
                    match step.map_err(|e| format!("{:?} follower failed: {e}", self.target))? {
                        Some(item) => self.seen.push(item),
                        None => self.ended = true,
                    }
                }
            }
        }
        self.flag.0.store(false, Ordering::SeqCst);
        Ok(())
    }
}

/// Drains a fresh follower completely (it must park once it has everything): for reading
/// a whole outbox as a follower sees it.
pub fn drain<F: Feed + 'static>(engine: &Rc<Engine>, follower: Follower<F>) -> Result<Vec<F::Item>, String>
where
    F::Item: 'static,
{
    let mut held = Held::new(Target::Completions { start: 0, lane: None }, follower);
    held.pump(engine)?;
    Ok(std::mem::take(&mut held.seen))
}
