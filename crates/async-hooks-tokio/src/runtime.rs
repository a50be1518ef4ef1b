//! Runtime-hook mode: every task of a runtime is a resource, however it was spawned
//! (SPEC S4, S5, S14, S15, S17, S31).
//!
//! The wrappers of [`task`](crate::task) only see the tasks spawned through them. Tasks that a
//! library spawns with plain `tokio::spawn` (hyper's connections, tonic's streams) stay
//! invisible, and so does the context they should carry. Tokio's runtime builder has task hooks
//! (spawn, before poll, after poll, terminate) that see every task; [`install_hooks`] turns them
//! into async-hooks events:
//!
//! | Tokio hook | here |
//! |---|---|
//! | `on_task_spawn`, on the spawning thread | a resource of type [`TASK`](crate::task::TASK) is created: `init`, trigger = the spawner's execution id, the spawner's async-local storage captured (S4, S14, S31) |
//! | `on_before_task_poll` | `before`, and the task's context in force while it is polled (S5, S15) |
//! | `on_after_task_poll` | `after` |
//! | `on_task_terminate` (completion, panic, abort, runtime shutdown) | `destroy`, exactly once (S17); after the `after` of the poll in which the task ended |
//!
//! ```
//! # #[cfg(tokio_unstable)] {
//! use async_hooks::{execution_async_id, trigger_async_id};
//!
//! let mut builder = tokio::runtime::Builder::new_multi_thread();
//! async_hooks_tokio::runtime::install_hooks(&mut builder);
//! let rt = builder.build().unwrap();
//! rt.block_on(async {
//!     // A plain Tokio task, as any library would spawn it.
//!     let parent = tokio::spawn(async {
//!         let me = execution_async_id();
//!         let child = tokio::spawn(async { trigger_async_id() });
//!         assert_eq!(child.await.unwrap(), me); // S4: caused by its parent
//!     });
//!     parent.await.unwrap();
//! });
//! # }
//! ```
//!
//! # The `tokio_unstable` flag
//!
//! Tokio's task hooks are unstable API: they exist only when Tokio itself is compiled with
//! `--cfg tokio_unstable`. A Cargo feature cannot switch them on, because the flag has to reach
//! the `tokio` crate's own compilation; it is passed to the compiler for the whole build:
//!
//! ```text
//! RUSTFLAGS="--cfg tokio_unstable" cargo build
//! ```
//!
//! or, for a project, in `.cargo/config.toml`:
//!
//! ```toml
//! [build]
//! rustflags = ["--cfg", "tokio_unstable"]
//! ```
//!
//! This crate reads the same flag: [`install_hooks`] and [`TaskHooks`] exist only when it is
//! set, and [`hooks_available`] says whether it was. Things to know:
//!
//! - Changing `RUSTFLAGS` rebuilds every crate. Keep the two builds apart with a separate
//!   target directory (`CARGO_TARGET_DIR=target/unstable`) to avoid rebuilding back and forth.
//! - `RUSTFLAGS` does not reach doctests; set `RUSTDOCFLAGS="--cfg tokio_unstable"` too.
//! - "Unstable" means Tokio may change these hooks in a minor release, not that they are
//!   unreliable; this crate was written against Tokio 1.54.
//! - Without the flag, everything else in this crate works, and the wrappers of
//!   [`task`](crate::task) make the tasks spawned through them resources.
//!
//! # Tasks spawned by the wrappers under hook mode
//!
//! A task spawned with [`async_hooks_tokio::spawn`](crate::spawn) (or any spawn method of
//! [`task::Builder`](crate::task::Builder)) on a runtime with hooks installed is **one**
//! resource, the wrapper's: the wrapper marks the spawn, and the spawn hook leaves such tasks
//! alone. The wrapper's resource keeps its name and its exact creation site; the hooks only
//! add the tasks nobody wrapped.
//!
//! # Limits
//!
//! - **Blocking tasks** (`spawn_blocking`, and so `tokio::fs`) get no spawn or poll hook from
//!   Tokio, only a terminate hook; the hooks ignore them. Use
//!   [`async_hooks_tokio::spawn_blocking`](crate::spawn_blocking).
//! - **`LocalSet` tasks** get no hook at all. Use
//!   [`async_hooks_tokio::spawn_local`](crate::spawn_local). (A `LocalRuntime` does run the
//!   hooks; its local tasks are then resources of type `TASK`.)
//! - **`block_on` futures are not tasks**: no hook sees them, and they run in the context of the
//!   thread that calls `block_on` (the root, at top level). Wrap one with
//!   [`AsyncResourceExt::in_resource`](crate::AsyncResourceExt::in_resource) to make it a
//!   resource.
//! - **No names**: Tokio does not give the hooks the name of a task, so hook-mode tasks carry a
//!   [`TaskInfo`](crate::TaskInfo) with [`name`](crate::TaskInfo::name) `None` (and their Tokio id).
//! - **A `JoinHandle` can resolve first.** Tokio hands a task's output to its `JoinHandle`
//!   inside the task's final poll, and runs the after-poll and terminate hooks after that, so
//!   the code awaiting the handle may run before the task's last `after` and its `destroy` have
//!   been dispatched on the worker. (Dropping the runtime waits for them. Wrapped tasks emit
//!   both before they hand over their output.)
//! - **One slot per hook.** Tokio keeps one callback per hook, so `install_hooks` replaces the
//!   task hooks set on the builder before it, and a hook set after it replaces ours. To run
//!   hooks of your own too, call [`TaskHooks`]' methods from them.
//! - Only runtimes built from a builder that went through `install_hooks` are covered.
// Without the flag the two items do not exist: their links point at the section on the flag.
#![cfg_attr(
    not(tokio_unstable),
    doc = "\n\n[`install_hooks`]: #the-tokio_unstable-flag\n[`TaskHooks`]: #the-tokio_unstable-flag"
)]

/// Whether this build has the runtime-hook mode: `true` when compiled with
/// `--cfg tokio_unstable` (see the [module documentation](self)).
///
/// ```
/// let mut builder = tokio::runtime::Builder::new_current_thread();
/// if async_hooks_tokio::runtime::hooks_available() {
///     # #[cfg(tokio_unstable)]
///     async_hooks_tokio::runtime::install_hooks(&mut builder);
/// }
/// let rt = builder.build()?;
/// # drop(rt);
/// # Ok::<(), std::io::Error>(())
/// ```
pub const fn hooks_available() -> bool {
    cfg!(tokio_unstable)
}

/// Marks the Tokio spawn made while it lives as already wrapped by [`task`](crate::task), so
/// that the runtime's spawn hook does not make a second resource for it. Without
/// `tokio_unstable` it does nothing.
#[must_use]
pub(crate) struct WrappedSpawn {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl WrappedSpawn {
    #[inline]
    pub(crate) fn mark() -> WrappedSpawn {
        #[cfg(tokio_unstable)]
        let _ = hooks::THREAD.try_with(|t| t.wrapped_spawn.set(true));
        WrappedSpawn {
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Drop for WrappedSpawn {
    #[inline]
    fn drop(&mut self) {
        // A runtime without hooks never consumed the mark.
        #[cfg(tokio_unstable)]
        let _ = hooks::THREAD.try_with(|t| t.wrapped_spawn.set(false));
    }
}

#[cfg(tokio_unstable)]
pub use hooks::{install_hooks, TaskHooks};

#[cfg(tokio_unstable)]
mod hooks {
    use std::cell::{Cell, RefCell};
    use std::collections::hash_map::RandomState;
    use std::collections::HashMap;
    use std::fmt;
    use std::hash::BuildHasher;
    use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

    use async_hooks::{AsyncResource, ContextFrame};
    use tokio::runtime::{Builder, TaskMeta};
    use tokio::task::Id;

    use crate::task::{TaskInfo, TASK};

    /// Shards of the task table. Every poll of every task locks one, so they are many enough
    /// that workers rarely meet on one (Tokio's own task list shards the same way), and few
    /// enough to cost nothing per runtime.
    const SHARDS: usize = 64;

    /// Per-thread state of the hook mode.
    pub(super) struct HookThread {
        /// Set by a wrapper of [`task`](crate::task) around its Tokio spawn; consumed by the
        /// spawn hook, which runs synchronously inside that spawn on this thread.
        pub(super) wrapped_spawn: Cell<bool>,
        /// The last task the terminate hook saw end without knowing it. Spawning on a runtime
        /// that has shut down runs the terminate hook *before* the spawn hook, on the spawning
        /// thread; this lets the spawn hook notice.
        terminated_unseen: Cell<Option<Id>>,
        /// The tasks being polled on this thread, innermost last, holding their resource so
        /// that a task which ends inside its poll is destroyed only after its `after`.
        polling: RefCell<Vec<(Id, Arc<Task>)>>,
    }

    thread_local! {
        pub(super) static THREAD: HookThread = const {
            HookThread {
                wrapped_spawn: Cell::new(false),
                terminated_unseen: Cell::new(None),
                polling: RefCell::new(Vec::new()),
            }
        };
    }

    type Shard = Mutex<HashMap<Id, Arc<Task>>>;

    /// One hook-mode task: its resource, and the async-local context its next poll runs with
    /// (the one captured at spawn at first, then whatever the last poll left, so that
    /// `enter_with` inside a task lasts for the rest of it, as in wrapped tasks).
    struct Task {
        resource: AsyncResource,
        context: Mutex<ContextFrame>,
    }

    impl Task {
        fn context(&self) -> MutexGuard<'_, ContextFrame> {
            // Only this task's own poll hooks lock it, one poll at a time.
            self.context.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    /// The task hooks of one runtime: a table from Tokio task id to the task's resource.
    ///
    /// [`install`](TaskHooks::install) (or [`install_hooks`]) sets all four hooks on a
    /// `tokio::runtime::Builder`. To combine them with hooks of your own (Tokio keeps one
    /// callback per hook), keep a `TaskHooks` and call its `on_*` methods from your callbacks.
    /// Clones share the table. Locks are held only to read or change the table, never while a
    /// hook callback or user code runs.
    ///
    /// ```
    /// use async_hooks_tokio::runtime::TaskHooks;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let hooks = TaskHooks::new();
    /// let spawned = Arc::new(AtomicUsize::new(0));
    /// let mut builder = tokio::runtime::Builder::new_current_thread();
    /// hooks.install(&mut builder);
    /// // Replace the spawn hook with one that counts, and still calls ours.
    /// let (h, n) = (hooks.clone(), spawned.clone());
    /// builder.on_task_spawn(move |meta| {
    ///     n.fetch_add(1, Ordering::Relaxed);
    ///     h.on_spawn(meta);
    /// });
    /// let rt = builder.build()?;
    /// rt.block_on(async { tokio::spawn(async {}).await })?;
    /// assert_eq!(spawned.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Clone)]
    pub struct TaskHooks {
        table: Arc<Table>,
    }

    struct Table {
        shards: Box<[Shard]>,
        hasher: RandomState,
    }

    impl Table {
        fn shard(&self, id: Id) -> MutexGuard<'_, HashMap<Id, Arc<Task>>> {
            let index = self.hasher.hash_one(id) as usize % self.shards.len();
            // A panicking hook callback is fatal (S19), so a poisoned lock cannot outlive one;
            // the table is consistent after every single insert or remove anyway.
            self.shards[index]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        }
    }

    impl Default for TaskHooks {
        fn default() -> Self {
            TaskHooks::new()
        }
    }

    impl TaskHooks {
        /// An empty task table, for one runtime.
        ///
        /// ```
        /// let hooks = async_hooks_tokio::runtime::TaskHooks::new();
        /// assert_eq!(hooks.live_tasks(), 0);
        /// ```
        pub fn new() -> TaskHooks {
            crate::trace::start_from_env();
            TaskHooks {
                table: Arc::new(Table {
                    shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
                    hasher: RandomState::new(),
                }),
            }
        }

        /// Sets Tokio's four task hooks on `builder` to this table's methods, replacing any set
        /// before, and returns the builder.
        ///
        /// ```
        /// use async_hooks_tokio::runtime::TaskHooks;
        ///
        /// let hooks = TaskHooks::new();
        /// let rt = hooks.install(&mut tokio::runtime::Builder::new_multi_thread()).build()?;
        /// let handle = rt.spawn(std::future::pending::<()>());
        /// rt.block_on(tokio::task::yield_now());
        /// assert_eq!(hooks.live_tasks(), 1);
        /// handle.abort();
        /// drop(rt);
        /// assert_eq!(hooks.live_tasks(), 0);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn install<'b>(&self, builder: &'b mut Builder) -> &'b mut Builder {
            let spawn = self.clone();
            let before = self.clone();
            let after = self.clone();
            let terminate = self.clone();
            builder
                .on_task_spawn(move |meta| spawn.on_spawn(meta))
                .on_before_task_poll(move |meta| before.on_before_poll(meta))
                .on_after_task_poll(move |meta| after.on_after_poll(meta))
                .on_task_terminate(move |meta| terminate.on_terminate(meta))
        }

        /// How many tasks the table tracks now: spawned, not yet terminated, and not spawned
        /// by a wrapper of [`task`](crate::task).
        ///
        /// ```
        /// assert_eq!(async_hooks_tokio::runtime::TaskHooks::new().live_tasks(), 0);
        /// ```
        pub fn live_tasks(&self) -> usize {
            self.table
                .shards
                .iter()
                .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
                .sum()
        }

        /// The spawn hook: creates the task's resource (`init`) on the spawning thread, with
        /// the spawner's execution id as trigger and its async-local storage (S4, S14, S31).
        /// Does nothing for tasks spawned by the wrappers of [`task`](crate::task).
        ///
        /// ```
        /// use async_hooks_tokio::runtime::TaskHooks;
        ///
        /// let hooks = TaskHooks::new();
        /// let h = hooks.clone();
        /// let mut builder = tokio::runtime::Builder::new_current_thread();
        /// builder.on_task_spawn(move |meta| h.on_spawn(meta));
        /// let rt = builder.build()?;
        /// let _task = rt.spawn(async {});
        /// assert_eq!(hooks.live_tasks(), 1); // created; nothing installed to end it
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn on_spawn(&self, meta: &TaskMeta<'_>) {
            let id = meta.id();
            let seen = THREAD
                .try_with(|t| (t.wrapped_spawn.replace(false), t.terminated_unseen.take()))
                .unwrap_or((false, None));
            if seen.0 {
                return; // the wrapper's resource is the task's resource
            }
            // `init` runs user code: no lock is held.
            let resource = AsyncResource::builder(TASK)
                .created_at(meta.spawned_at())
                .payload(TaskInfo::new(None, Some(id)))
                .build();
            let Ok(resource) = resource else {
                return; // `TASK` is not empty: cannot happen
            };
            if seen.1 == Some(id) {
                // The runtime had shut down: Tokio cancelled the task before announcing it.
                // `destroy` follows `init` at once.
                drop(resource);
                return;
            }
            let task = Task {
                context: Mutex::new(resource.captured_context()),
                resource,
            };
            let old = self.table.shard(id).insert(id, Arc::new(task));
            drop(old); // an id is never in the table twice; if it were, the old one ends here
        }

        /// The before-poll hook: opens the task's scope, `before` (S15).
        ///
        /// ```
        /// # let hooks = async_hooks_tokio::runtime::TaskHooks::new();
        /// # let h = hooks.clone();
        /// let mut builder = tokio::runtime::Builder::new_current_thread();
        /// builder.on_before_task_poll(move |meta| h.on_before_poll(meta));
        /// ```
        pub fn on_before_poll(&self, meta: &TaskMeta<'_>) {
            let id = meta.id();
            let found = self.table.shard(id).get(&id).cloned();
            let Some(task) = found else {
                return; // a wrapped task, or one spawned before the hooks saw it
            };
            let tracked = THREAD
                .try_with(|t| t.polling.borrow_mut().push((id, task.clone())))
                .is_ok();
            if tracked {
                let context = std::mem::take(&mut *task.context());
                task.resource.emit_before_with(context);
            }
        }

        /// The after-poll hook: `after`, closing the scope the before-poll hook opened; if the
        /// task ended in this poll, `destroy` follows.
        ///
        /// ```
        /// # let hooks = async_hooks_tokio::runtime::TaskHooks::new();
        /// # let h = hooks.clone();
        /// let mut builder = tokio::runtime::Builder::new_current_thread();
        /// builder.on_after_task_poll(move |meta| h.on_after_poll(meta));
        /// ```
        pub fn on_after_poll(&self, meta: &TaskMeta<'_>) {
            let id = meta.id();
            let top = THREAD
                .try_with(|t| {
                    let mut polling = t.polling.borrow_mut();
                    match polling.last() {
                        Some((top, _)) if *top == id => polling.pop(),
                        _ => None,
                    }
                })
                .ok()
                .flatten();
            if let Some((_, task)) = top {
                // The scope opened in `on_before_poll` is the innermost one (anything else is
                // fatal inside `emit_after`, S16), so this cannot fail.
                if let Ok(context) = task.resource.emit_after_taking_context() {
                    *task.context() = context;
                }
                drop(task); // `destroy`, if `on_terminate` already took the task out
            }
        }

        /// The terminate hook: `destroy`, exactly once (S17). Terminations of tasks the table
        /// does not know (wrapped tasks, blocking tasks, Tokio's own workers) are ignored.
        ///
        /// ```
        /// # let hooks = async_hooks_tokio::runtime::TaskHooks::new();
        /// # let h = hooks.clone();
        /// let mut builder = tokio::runtime::Builder::new_current_thread();
        /// builder.on_task_terminate(move |meta| h.on_terminate(meta));
        /// ```
        pub fn on_terminate(&self, meta: &TaskMeta<'_>) {
            let id = meta.id();
            let removed = self.table.shard(id).remove(&id);
            match removed {
                // Dropped here, after the lock: `destroy` now, or, if the task ended inside a
                // poll, when that poll's `after` releases it.
                Some(task) => drop(task),
                None => {
                    let _ = THREAD.try_with(|t| t.terminated_unseen.set(Some(id)));
                }
            }
        }
    }

    impl fmt::Debug for TaskHooks {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("TaskHooks")
                .field("live_tasks", &self.live_tasks())
                .finish()
        }
    }

    /// Makes every task of the runtime built from `builder` an async resource (see the
    /// [module documentation](super)): sets Tokio's four task hooks, replacing any set before,
    /// and returns the builder. Needs `--cfg tokio_unstable`.
    ///
    /// ```
    /// use async_hooks::{execution_async_id, AsyncLocalStorage};
    ///
    /// static TENANT: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    ///
    /// let rt = async_hooks_tokio::runtime::install_hooks(
    ///     tokio::runtime::Builder::new_multi_thread().enable_all(),
    /// )
    /// .build()?;
    /// let (tenant, id) = rt.block_on(async {
    ///     let task = TENANT.run("acme", || {
    ///         tokio::spawn(async { (TENANT.get(), execution_async_id()) })
    ///     });
    ///     task.await
    /// })?;
    /// assert_eq!(tenant, Some("acme")); // S31, through a plain `tokio::spawn`
    /// assert!(id.as_u64() > 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn install_hooks(builder: &mut Builder) -> &mut Builder {
        TaskHooks::new().install(builder)
    }
}
