//! The engine thread. The [`Engine`] is single-threaded (`Rc`, `RefCell`), while FlowFabric's
//! trait wants `Send + Sync` backends and `Send` futures; so the engine lives on a thread of its
//! own and everything else talks to it: jobs go in over a channel, results come back over
//! oneshot channels. The thread runs a current-thread tokio executor with a `LocalSet`, so
//! waits (a tail's `block_ms`, subscriptions) are local tasks parked on the engine's notifier
//! while the next jobs run; nothing polls.

use super::errors::{stopped, FfResult};
use crate::engine::Engine;
use crate::error::{EngineError as Own, ErrorCode};
use crate::host::Host;
use crate::store::{StorageSpec, Store};
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use tokio::sync::{mpsc, oneshot};

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

enum Job {
    /// Runs to completion at once, in arrival order.
    Now(Box<dyn FnOnce(&Engine) + Send>),
    /// Becomes a local task that may wait; later jobs run meanwhile.
    Task(Box<dyn FnOnce(Rc<Engine>) -> LocalFuture + Send>),
}

pub struct Actor {
    /// `None` only while dropping: closing the channel is what stops the thread.
    jobs: Option<mpsc::UnboundedSender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Actor {
    /// Starts the engine thread and opens the database there; returns once it is open, with the
    /// storage kind (`"memory"`, `"file"`).
    pub async fn start(spec: StorageSpec, host: Box<dyn Host + Send>) -> Result<(Actor, &'static str), Own> {
        let (jobs, inbox) = mpsc::unbounded_channel();
        let (ready, opened) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("ff-backend-wasm engine".into())
            .spawn(move || run(spec, host, inbox, ready))
            .map_err(|e| Own::new(ErrorCode::Io, format!("cannot start the engine thread: {e}")))?;
        let actor = Actor { jobs: Some(jobs), thread: Some(thread) };
        match opened.await {
            Ok(Ok(kind)) => Ok((actor, kind)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Own::new(ErrorCode::Io, "the engine thread stopped while opening")),
        }
    }

    fn send(&self, job: Job) -> FfResult<()> {
        self.jobs.as_ref().and_then(|jobs| jobs.send(job).ok()).ok_or_else(stopped)
    }

    /// Runs `f` on the engine thread, between two other jobs, and returns its result.
    pub async fn run<T, F>(&self, f: F) -> FfResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> FfResult<T> + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        self.send(Job::Now(Box::new(move |engine| drop(reply.send(f(engine))))))?;
        result.await.map_err(|_| stopped())?
    }

    /// Runs the future `f` makes as a task on the engine thread, which may wait. If the caller
    /// stops waiting for it (drops this future), the task is dropped too, and with it whatever
    /// it was waiting on.
    pub async fn run_task<T, F, Fut>(&self, f: F) -> FfResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Rc<Engine>) -> Fut + Send + 'static,
        Fut: Future<Output = FfResult<T>> + 'static,
    {
        let (mut reply, result) = oneshot::channel();
        let task = move |engine: Rc<Engine>| -> LocalFuture {
            Box::pin(async move {
                let outcome = first(f(engine), reply.closed()).await;
                if let Either::Left(value) = outcome {
                    drop(reply.send(value));
                }
            })
        };
        self.send(Job::Task(Box::new(task)))?;
        result.await.map_err(|_| stopped())?
    }
}

impl Drop for Actor {
    /// Closing the job channel ends the thread's loop: the database closes, waiting tasks are
    /// dropped (their callers and subscribers see the backend stop), and the file is released
    /// before `drop` returns.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

fn run(
    spec: StorageSpec,
    host: Box<dyn Host + Send>,
    mut inbox: mpsc::UnboundedReceiver<Job>,
    ready: oneshot::Sender<Result<&'static str, Own>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(Own::new(ErrorCode::Io, format!("cannot start the engine runtime: {e}"))));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let store = match Store::open(spec).await {
            Ok(store) => store,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let kind = store.kind();
        let engine = Rc::new(Engine::new(store, host));
        if ready.send(Ok(kind)).is_err() {
            return;
        }
        while let Some(job) = inbox.recv().await {
            match job {
                Job::Now(f) => f(&engine),
                Job::Task(f) => drop(tokio::task::spawn_local(f(engine.clone()))),
            }
        }
        drop(engine.close());
    });
}

pub enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Whichever of two futures finishes first (`a` wins a tie); the other is dropped.
pub async fn first<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}
