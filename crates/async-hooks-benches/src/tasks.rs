//! Spawn + await of an empty task, the unit of the Tokio comparison, in every variant.
//!
//! A [`SpawnLoop`] says how each task is spawned ([`Spawn`]), on which runtime ([`Flavor`]),
//! with which runtime hooks ([`RuntimeHooks`]), and whether a tracing subscriber or an
//! async-local store is in force. [`SpawnLoop::build`] makes its runtime once;
//! [`SpawnBench::run`] then times `iters` spawns, each awaited before the next:
//!
//! - **current-thread**: the loop is the `block_on` future, and every task runs on the same
//!   thread: the cost of the spawn, the poll and the join, with no cross-thread wake-up.
//! - **multi-thread** (2 workers): two loops run at once, each a task doing half of the
//!   spawns, so both workers are busy, as in a loaded server: each spawn goes to its worker's
//!   LIFO slot, and the time is the wall time of both loops over all the spawns. (A single
//!   loop leaves one worker idle, and whether it wakes to steal each task is a race: the
//!   figures then swing by 2x from round to round.)
//!
//! ```
//! use async_hooks_benches::tasks::{Flavor, Spawn, SpawnLoop};
//!
//! let bench = SpawnLoop::new(Flavor::CurrentThread, Spawn::AsyncHooks).with_store().build();
//! assert_eq!(bench.check(), Some(7)); // the task saw the store
//! let elapsed = bench.run(1_000);
//! assert!(elapsed.as_nanos() > 0);
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use async_hooks::{AsyncLocalStorage, AsyncResource};
use tokio::runtime::{Builder, Runtime};
use tracing::{Dispatch, Instrument};

/// The workers of a multi-thread runtime, and the loops run on it at once.
pub const WORKERS: usize = 2;

/// The store set by [`SpawnLoop::with_store`], to `7`.
pub static STORE: AsyncLocalStorage<u64> = AsyncLocalStorage::new();

/// How each task is spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spawn {
    /// `tokio::spawn`: the baseline.
    Tokio,
    /// `async_hooks_tokio::spawn`: the task is a resource.
    AsyncHooks,
    /// `tokio::spawn(fut.instrument(info_span!("task")))`: tracing's per-task span.
    Instrument,
}

/// Which runtime the loop runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `Builder::new_current_thread()`.
    CurrentThread,
    /// `Builder::new_multi_thread()` with 2 workers.
    MultiThread,
}

/// Task hooks on the runtime's builder (only with `--cfg tokio_unstable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeHooks {
    /// None: a plain runtime.
    None,
    /// Tokio's four task hooks (`on_task_spawn`, `on_before_task_poll`, `on_after_task_poll`,
    /// `on_task_terminate`), each a no-op closure.
    #[cfg(tokio_unstable)]
    TokioNoop,
    /// `async_hooks_tokio::runtime::install_hooks`: every task is a resource.
    #[cfg(tokio_unstable)]
    AsyncHooks,
}

/// A spawn + await loop to build; see the [module documentation](self).
///
/// ```
/// use async_hooks_benches::tasks::{Flavor, Spawn, SpawnLoop};
///
/// let traced = SpawnLoop::new(Flavor::MultiThread, Spawn::Instrument).with_subscriber().build();
/// traced.run(100);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SpawnLoop {
    flavor: Flavor,
    spawn: Spawn,
    hooks: RuntimeHooks,
    subscriber: bool,
    store: bool,
}

impl SpawnLoop {
    /// A loop spawning with `spawn` on a runtime of `flavor`, with no runtime hooks, no
    /// subscriber and no store.
    ///
    /// ```
    /// # use async_hooks_benches::tasks::{Flavor, Spawn, SpawnLoop};
    /// SpawnLoop::new(Flavor::CurrentThread, Spawn::Tokio).build().run(10);
    /// ```
    pub fn new(flavor: Flavor, spawn: Spawn) -> SpawnLoop {
        SpawnLoop {
            flavor,
            spawn,
            hooks: RuntimeHooks::None,
            subscriber: false,
            store: false,
        }
    }

    /// Builds the runtime with these task hooks.
    ///
    /// ```
    /// # use async_hooks_benches::tasks::{Flavor, RuntimeHooks, Spawn, SpawnLoop};
    /// let plain = SpawnLoop::new(Flavor::CurrentThread, Spawn::Tokio).runtime_hooks(RuntimeHooks::None);
    /// # plain.build().run(10);
    /// ```
    pub fn runtime_hooks(mut self, hooks: RuntimeHooks) -> SpawnLoop {
        self.hooks = hooks;
        self
    }

    /// Makes a `tracing-subscriber` registry (no layers) the default subscriber of the loop
    /// and of every worker thread, so that spans are real: allocated, entered, exited, closed.
    ///
    /// ```
    /// # use async_hooks_benches::tasks::{Flavor, Spawn, SpawnLoop};
    /// SpawnLoop::new(Flavor::CurrentThread, Spawn::Instrument).with_subscriber().build().run(10);
    /// ```
    pub fn with_subscriber(mut self) -> SpawnLoop {
        self.subscriber = true;
        self
    }

    /// Sets [`STORE`] to `7` around the whole loop, so that every task carries it.
    ///
    /// ```
    /// # use async_hooks_benches::tasks::{Flavor, Spawn, SpawnLoop};
    /// let bench = SpawnLoop::new(Flavor::MultiThread, Spawn::AsyncHooks).with_store().build();
    /// assert_eq!(bench.check(), Some(7));
    /// ```
    pub fn with_store(mut self) -> SpawnLoop {
        self.store = true;
        self
    }

    /// Builds the runtime.
    ///
    /// # Panics
    ///
    /// If the runtime cannot be built (no threads left, say): a benchmark cannot go on.
    pub fn build(self) -> SpawnBench {
        let mut builder = match self.flavor {
            Flavor::CurrentThread => Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut b = Builder::new_multi_thread();
                b.worker_threads(WORKERS);
                b
            }
        };
        let dispatch = self
            .subscriber
            .then(|| Dispatch::new(tracing_subscriber::registry()));
        if let Some(dispatch) = dispatch.clone() {
            // The worker threads live as long as the runtime: the default stays theirs.
            builder.on_thread_start(move || {
                std::mem::forget(tracing::dispatcher::set_default(&dispatch))
            });
        }
        match self.hooks {
            RuntimeHooks::None => {}
            #[cfg(tokio_unstable)]
            RuntimeHooks::TokioNoop => {
                builder
                    .on_task_spawn(|_| {})
                    .on_before_task_poll(|_| {})
                    .on_after_task_poll(|_| {})
                    .on_task_terminate(|_| {});
            }
            #[cfg(tokio_unstable)]
            RuntimeHooks::AsyncHooks => {
                async_hooks_tokio::runtime::install_hooks(&mut builder);
            }
        }
        let rt = match builder.build() {
            Ok(rt) => rt,
            Err(e) => panic!("cannot build the benchmark's runtime: {e}"),
        };
        SpawnBench {
            config: self,
            rt,
            dispatch,
        }
    }
}

/// A built [`SpawnLoop`]: its runtime, ready to time.
#[derive(Debug)]
pub struct SpawnBench {
    config: SpawnLoop,
    rt: Runtime,
    dispatch: Option<Dispatch>,
}

impl SpawnBench {
    /// Spawns and awaits `iters` empty tasks, each awaited before its loop spawns the next,
    /// and returns the time that took (the runtime is built already). On a multi-thread
    /// runtime, one loop per worker runs at once, each doing its share of `iters`, and the time
    /// is the wall time of all of them.
    ///
    /// ```
    /// # use async_hooks_benches::tasks::{Flavor, Spawn, SpawnLoop};
    /// let bench = SpawnLoop::new(Flavor::CurrentThread, Spawn::AsyncHooks).build();
    /// assert!(bench.run(100) > std::time::Duration::ZERO);
    /// ```
    pub fn run(&self, iters: u64) -> Duration {
        let spawn = self.config.spawn;
        let loops = self.loops();
        let start = Instant::now();
        self.in_context(|i| {
            let share = iters / loops + u64::from(i < iters % loops);
            async move {
                for _ in 0..share {
                    spawn_and_join(spawn, async { black_box(0u64) }).await;
                }
            }
        });
        start.elapsed()
    }

    /// Spawns one task the way [`run`](Self::run) does (one per loop) and returns what the
    /// last one read from [`STORE`]: `Some(7)` when the loop has the store and the spawn
    /// carries it.
    ///
    /// ```
    /// # use async_hooks_benches::tasks::{Flavor, Spawn, SpawnLoop};
    /// // Plain Tokio tasks do not carry async-local storage to the worker that polls them.
    /// let plain = SpawnLoop::new(Flavor::MultiThread, Spawn::Tokio).with_store().build();
    /// assert_eq!(plain.check(), None);
    /// ```
    pub fn check(&self) -> Option<u64> {
        let spawn = self.config.spawn;
        let seen = self.in_context(|_| async move {
            spawn_and_join(spawn, async { black_box(STORE.get()) }).await
        });
        seen.into_iter()
            .reduce(|a, b| if a == b { a } else { None })
            .flatten()
    }

    /// How many loops run at once: one per worker.
    fn loops(&self) -> u64 {
        match self.config.flavor {
            Flavor::CurrentThread => 1,
            Flavor::MultiThread => WORKERS as u64,
        }
    }

    /// Runs the futures made by `make(i)`, for each loop `i`, on the runtime, with the
    /// subscriber and the store of the configuration, and returns their outputs. On a
    /// current-thread runtime the one loop is the `block_on` future; on a multi-thread one,
    /// each loop is a task.
    fn in_context<F>(&self, make: impl Fn(u64) -> F) -> Vec<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let _subscriber = self.dispatch.as_ref().map(tracing::dispatcher::set_default);
        let store = self.config.store;
        match self.config.flavor {
            // The block_on future is polled on this thread, in the scope `run` opens.
            Flavor::CurrentThread if store => vec![STORE.run(7, || self.rt.block_on(make(0)))],
            Flavor::CurrentThread => vec![self.rt.block_on(make(0))],
            Flavor::MultiThread => {
                // A plain `rt.spawn` does not carry the store: `scope` sets it on every poll.
                let tasks: Vec<_> = (0..self.loops())
                    .map(|i| {
                        if store {
                            self.rt.spawn(STORE.scope(7, make(i)))
                        } else {
                            self.rt.spawn(make(i))
                        }
                    })
                    .collect();
                self.rt.block_on(async {
                    let mut outputs = Vec::with_capacity(tasks.len());
                    for task in tasks {
                        match task.await {
                            Ok(out) => outputs.push(out),
                            Err(e) => std::panic::resume_unwind(e.into_panic()),
                        }
                    }
                    outputs
                })
            }
        }
    }
}

async fn spawn_and_join<T: Send + 'static>(
    spawn: Spawn,
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let handle = match spawn {
        Spawn::Tokio => tokio::spawn(fut),
        Spawn::AsyncHooks => async_hooks_tokio::spawn(fut),
        Spawn::Instrument => tokio::spawn(fut.instrument(tracing::info_span!("task"))),
    };
    match handle.await {
        Ok(out) => out,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Awaits `iters` futures, each wrapped in a resource of its own (created, polled once in its
/// scope, destroyed), on a current-thread runtime's `block_on`: the Rust side of Node's await
/// chain, where each `await` is a promise resource once a hook is enabled.
///
/// ```
/// let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// let elapsed = async_hooks_benches::tasks::await_chain(&rt, 1_000);
/// assert!(elapsed.as_nanos() > 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn await_chain(rt: &Runtime, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..iters {
            black_box(
                AsyncResource::new("PROMISE")
                    .wrap_future(async move { i })
                    .await,
            );
        }
        start.elapsed()
    })
}
