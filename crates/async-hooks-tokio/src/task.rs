//! Tasks as async resources (SPEC S4, S5, S14, S15, S17, S29, S31).
//!
//! [`spawn`], [`spawn_blocking`] and [`spawn_local`] take the same arguments and return the same
//! [`JoinHandle`] as Tokio's, and make the task a resource:
//!
//! - **`init`** fires at the spawn, synchronously, on the spawning thread, with the spawner's
//!   execution id as the trigger (S4, S14). A task spawned inside another task is triggered by
//!   that task.
//! - **`before`/`after`** bracket every poll, on whichever worker thread polls it; inside,
//!   [`execution_async_id`](async_hooks::execution_async_id) is the task's id (S5, S15).
//! - **`destroy`** fires once when the task completes, panics, is aborted, or is dropped with its
//!   runtime (or its `LocalSet`), whether or not it was ever polled (S17).
//! - **Async-local storage** set by the spawner travels with the task, and on to the tasks it
//!   spawns (S31).
//!
//! Each function is `#[track_caller]`: the resource's
//! [`created_at`](async_hooks::Resource::created_at) and Tokio's `TaskMeta::spawned_at` name the
//! line that called it. [`Builder`] adds a task name, carried in the [`TaskInfo`] payload; the
//! [`AsyncResourceExt`] trait turns any future into a resource without spawning it.
//!
//! The wrappers work on every Tokio runtime, with no unstable flag. To make tasks spawned with
//! plain `tokio::spawn` (by hyper, tonic, any library) resources too, see
//! [`runtime`](crate::runtime).
//!
//! ```
//! use async_hooks::{execution_async_id, AsyncLocalStorage};
//!
//! static REQUEST: AsyncLocalStorage<u64> = AsyncLocalStorage::new();
//!
//! let rt = tokio::runtime::Runtime::new()?;
//! let (request, id) = rt.block_on(async {
//!     let handle = REQUEST.run(7, || {
//!         async_hooks_tokio::spawn(async { (REQUEST.get(), execution_async_id()) })
//!     });
//!     handle.await
//! })?;
//! assert_eq!(request, Some(7)); // the spawner's store travelled with the task
//! assert!(id.as_u64() > 1); // the task's own id, not the root
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, OnceLock};

use async_hooks::future::InAsyncScope;
use async_hooks::{AsyncResource, ResourceType};
use tokio::runtime::Handle;
use tokio::task::{JoinHandle, LocalSet};

use crate::runtime::WrappedSpawn;

/// The resource type of a task spawned with [`spawn`] or [`Builder::spawn`], and of every task
/// seen by the runtime hooks of [`runtime`](crate::runtime) (S29). Node has no such kind.
///
/// ```
/// assert_eq!(async_hooks_tokio::task::TASK, "TASK");
/// ```
pub const TASK: &str = "TASK";

/// The resource type of a closure run with [`spawn_blocking`] on Tokio's blocking pool (S29).
///
/// ```
/// assert_eq!(async_hooks_tokio::task::BLOCKING_TASK, "BLOCKING_TASK");
/// ```
pub const BLOCKING_TASK: &str = "BLOCKING_TASK";

/// The resource type of a `!Send` task spawned with [`spawn_local`] on a `LocalSet` or a
/// `LocalRuntime` (S29).
///
/// ```
/// assert_eq!(async_hooks_tokio::task::LOCAL_TASK, "LOCAL_TASK");
/// ```
pub const LOCAL_TASK: &str = "LOCAL_TASK";

/// The payload of a named task's resource (S28): what hooks can learn about a task in `init`,
/// and what [`execution_async_resource`](async_hooks::execution_async_resource) returns inside
/// it. Tasks given a name with [`Builder::name`], and every task of the runtime-hook mode of
/// [`runtime`](crate::runtime), carry one; unnamed tasks spawned by this module carry no
/// payload, which spares an allocation per task.
///
/// ```
/// use async_hooks::{create_hook, hook_println, FnHook};
/// use async_hooks_tokio::task::{self, TaskInfo};
///
/// let hook = create_hook(FnHook::new().on_init(|id, ty, _, res| {
///     if let Some(info) = res.payload::<TaskInfo>() {
///         hook_println!("{ty}({id}) named {:?}", info.name());
///     }
/// }));
/// hook.enable();
/// let rt = tokio::runtime::Runtime::new()?;
/// rt.block_on(async { task::Builder::new().name("flush").spawn(async {}).await })?;
/// // printed: TASK(..) named Some("flush")
/// hook.disable();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TaskInfo {
    name: Option<String>,
    tokio_id: OnceLock<tokio::task::Id>,
}

impl TaskInfo {
    pub(crate) fn new(name: Option<String>, tokio_id: Option<tokio::task::Id>) -> TaskInfo {
        let info = TaskInfo {
            name,
            tokio_id: OnceLock::new(),
        };
        if let Some(id) = tokio_id {
            let _ = info.tokio_id.set(id);
        }
        info
    }

    /// The name given with [`Builder::name`]; `None` for unnamed tasks.
    ///
    /// ```
    /// use async_hooks::execution_async_resource;
    /// use async_hooks_tokio::task::{Builder, TaskInfo};
    ///
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let name = rt.block_on(async {
    ///     let task = Builder::new().name("cleanup").spawn(async {
    ///         let me = execution_async_resource();
    ///         me.payload::<TaskInfo>().and_then(|i| i.name().map(String::from))
    ///     });
    ///     task.await
    /// })?;
    /// assert_eq!(name.as_deref(), Some("cleanup"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Tokio's id of the task (the one `JoinHandle::id`, `tokio::task::id` and tokio-console
    /// show), to correlate the two.
    ///
    /// Tokio hands out the id of a task spawned by this module only when the spawn call
    /// returns, after `init`: inside `init` this is `None`, and it is set as the spawn call
    /// returns. (On a multi-thread runtime the task may start before that; code inside the task
    /// itself should ask `tokio::task::id()`.) Tasks seen by the runtime hooks of
    /// [`runtime`](crate::runtime) have it from `init`.
    ///
    /// ```
    /// use async_hooks_tokio::task::TaskInfo;
    ///
    /// let rt = tokio::runtime::Builder::new_current_thread().build()?;
    /// rt.block_on(async {
    ///     let handle = async_hooks_tokio::task::Builder::new().name("report").spawn(async {
    ///         let me = async_hooks::execution_async_resource();
    ///         me.payload::<TaskInfo>().and_then(TaskInfo::tokio_id)
    ///     });
    ///     let id = handle.id();
    ///     // On this current-thread runtime the task runs after its spawn call returned.
    ///     assert_eq!(handle.await.unwrap(), Some(id));
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tokio_id(&self) -> Option<tokio::task::Id> {
        self.tokio_id.get().copied()
    }

    fn set_tokio_id(&self, id: tokio::task::Id) {
        let _ = self.tokio_id.set(id);
    }
}

impl fmt::Debug for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskInfo")
            .field("name", &self.name)
            .field("tokio_id", &self.tokio_id())
            .finish()
    }
}

/// Creates the resource of a task (fires `init`). A named task carries a [`TaskInfo`]
/// payload, kept at hand so that the Tokio id can be filled in once the spawn returns; an
/// unnamed one carries none, which spares an allocation per task.
#[inline]
fn task_resource(
    resource_type: &'static str,
    name: Option<String>,
    spawned_at: &'static Location<'static>,
) -> (AsyncResource, Option<Arc<TaskInfo>>) {
    crate::trace::start_from_env();
    let builder = AsyncResource::builder(resource_type).created_at(spawned_at);
    let (builder, info) = match name {
        Some(name) => {
            let info = Arc::new(TaskInfo::new(Some(name), None));
            let payload: Arc<dyn Any + Send + Sync> = info.clone();
            (builder.payload_arc(payload), Some(info))
        }
        None => (builder, None),
    };
    match builder.build() {
        Ok(resource) => (resource, info),
        // The task types are non-empty constants: the builder's one error cannot happen.
        Err(e) => unreachable!("{e}"),
    }
}

/// Makes `future` a task resource of type `resource_type` and hands it to `spawn`, marked as
/// wrapped so that the runtime-hook mode does not make it a second resource.
#[inline]
fn spawn_wrapped<F: Future, O>(
    resource_type: &'static str,
    name: Option<String>,
    spawned_at: &'static Location<'static>,
    future: F,
    spawn: impl FnOnce(InAsyncScope<F>) -> JoinHandle<O>,
) -> JoinHandle<O> {
    let (resource, info) = task_resource(resource_type, name, spawned_at);
    let future = resource.wrap_future(future);
    let wrapped = WrappedSpawn::mark();
    let handle = spawn(future);
    drop(wrapped);
    set_tokio_id(info, handle.id());
    handle
}

/// Fills in the Tokio id of a named task once its spawn returned it.
#[inline]
fn set_tokio_id(info: Option<Arc<TaskInfo>>, id: tokio::task::Id) {
    if let Some(info) = info {
        info.set_tokio_id(id);
    }
}

/// Spawns a task on the current runtime, as [`tokio::spawn`], and makes it a resource of type
/// [`TASK`]: `init` now with the spawner's execution id as trigger, `before`/`after` around
/// every poll, one `destroy` when it completes, is aborted or is dropped with its runtime; it
/// runs with the spawner's async-local storage (S4, S14, S15, S17, S31).
///
/// # Panics
///
/// As [`tokio::spawn`], outside a Tokio runtime (the resource is created and destroyed).
///
/// ```
/// use async_hooks::{execution_async_id, trigger_async_id};
///
/// let rt = tokio::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let parent = async_hooks_tokio::spawn(async {
///         let me = execution_async_id();
///         let child = async_hooks_tokio::spawn(async { trigger_async_id() });
///         assert_eq!(child.await.unwrap(), me); // S4: the child was caused by its parent
///     });
///     parent.await
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().spawn(future)
}

/// Runs `f` on Tokio's blocking pool, as [`tokio::task::spawn_blocking`], inside a resource of
/// type [`BLOCKING_TASK`]: `init` now (trigger: the spawner), `f` runs in the resource's scope
/// with the spawner's async-local storage, and `destroy` follows when `f` returns or panics, or
/// when Tokio drops `f` unrun at shutdown (S14, S15, S17, S31).
///
/// # Panics
///
/// As [`tokio::task::spawn_blocking`], outside a Tokio runtime.
///
/// ```
/// use async_hooks::{execution_async_resource, AsyncLocalStorage};
///
/// static USER: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
///
/// let rt = tokio::runtime::Runtime::new()?;
/// let (user, ty) = rt.block_on(async {
///     let task = USER.run("ada", || {
///         async_hooks_tokio::spawn_blocking(|| {
///             (USER.get(), execution_async_resource().resource_type().to_owned())
///         })
///     });
///     task.await
/// })?;
/// assert_eq!((user, ty.as_str()), (Some("ada"), "BLOCKING_TASK"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Builder::new().spawn_blocking(f)
}

/// Spawns a `!Send` task on the current `LocalSet` or `LocalRuntime`, as
/// [`tokio::task::spawn_local`], and makes it a resource of type [`LOCAL_TASK`], with the same
/// events as [`spawn`]. Tasks still alive when their `LocalSet` is dropped are destroyed then.
///
/// Tokio gives `LocalSet` tasks no runtime hooks at all, so this wrapper is the only way to see
/// them.
///
/// # Panics
///
/// As [`tokio::task::spawn_local`], outside a `LocalSet` or `LocalRuntime`.
///
/// ```
/// use std::rc::Rc;
/// use async_hooks::execution_async_resource;
///
/// let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// let local = tokio::task::LocalSet::new();
/// let ty = local.block_on(&rt, async {
///     let not_send = Rc::new(());
///     async_hooks_tokio::spawn_local(async move {
///         let _keep = not_send;
///         execution_async_resource().resource_type().to_owned()
///     })
///     .await
/// })?;
/// assert_eq!(ty, "LOCAL_TASK");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().spawn_local(future)
}

/// Spawns tasks with options: a name, carried in the [`TaskInfo`] payload that hooks read in
/// `init`, and an explicit runtime or `LocalSet`.
///
/// Tokio's own `tokio::task::Builder` is unstable (it needs `--cfg tokio_unstable` and the
/// `tracing` feature) and gives the name only to `tracing`; this one works everywhere. Unlike
/// Tokio's, its spawn methods cannot fail, so they return the `JoinHandle` itself.
///
/// ```
/// use async_hooks_tokio::task::Builder;
///
/// let rt = tokio::runtime::Runtime::new()?;
/// let handle = Builder::new().name("heartbeat").spawn_on(async { 42 }, rt.handle());
/// assert_eq!(rt.block_on(handle)?, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until one of its spawn methods is called"]
pub struct Builder {
    name: Option<String>,
}

impl Builder {
    /// A builder for an unnamed task.
    ///
    /// ```
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let handle = rt.block_on(async { async_hooks_tokio::task::Builder::new().spawn(async { 1 }) });
    /// assert_eq!(rt.block_on(handle)?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task. The name is in the [`TaskInfo`] payload, from `init` on.
    ///
    /// ```
    /// use async_hooks::execution_async_resource;
    /// use async_hooks_tokio::task::{Builder, TaskInfo};
    ///
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let handle = Builder::new().name("reaper").spawn_on(
    ///     async {
    ///         let me = execution_async_resource();
    ///         me.payload::<TaskInfo>().and_then(|i| i.name()).map(String::from)
    ///     },
    ///     rt.handle(),
    /// );
    /// assert_eq!(rt.block_on(handle)?.as_deref(), Some("reaper"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Spawns the task on the current runtime, as [`spawn`] does.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    ///
    /// ```
    /// use async_hooks_tokio::task::Builder;
    ///
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let out = rt.block_on(async { Builder::new().name("sum").spawn(async { 2 + 2 }).await })?;
    /// assert_eq!(out, 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_wrapped(TASK, self.name, Location::caller(), future, tokio::spawn)
    }

    /// Spawns the task on the runtime of `handle`, as `Handle::spawn` does; it can be called
    /// from any thread, inside a runtime or not.
    ///
    /// ```
    /// use async_hooks_tokio::task::Builder;
    ///
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let handle = Builder::new().spawn_on(async { "done" }, rt.handle());
    /// assert_eq!(rt.block_on(handle)?, "done");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_wrapped(TASK, self.name, Location::caller(), future, |f| {
            handle.spawn(f)
        })
    }

    /// Runs `f` on the current runtime's blocking pool, as [`spawn_blocking`] does.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    ///
    /// ```
    /// use async_hooks_tokio::task::Builder;
    ///
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let bytes = rt.block_on(async {
    ///     Builder::new().name("hash").spawn_blocking(|| vec![0u8; 4].len()).await
    /// })?;
    /// assert_eq!(bytes, 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (resource, info) = task_resource(BLOCKING_TASK, self.name, Location::caller());
        // `resource` moves into the closure: it is destroyed when the closure has run, or when
        // Tokio drops the closure unrun.
        let handle = tokio::task::spawn_blocking(move || resource.run_in_async_scope(f));
        set_tokio_id(info, handle.id());
        handle
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime, as `Handle::spawn_blocking` does.
    ///
    /// ```
    /// use async_hooks_tokio::task::Builder;
    ///
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let handle = Builder::new().spawn_blocking_on(|| 6 * 7, rt.handle());
    /// assert_eq!(rt.block_on(handle)?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking_on<F, R>(self, f: F, handle: &Handle) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (resource, info) = task_resource(BLOCKING_TASK, self.name, Location::caller());
        let join = handle.spawn_blocking(move || resource.run_in_async_scope(f));
        set_tokio_id(info, join.id());
        join
    }

    /// Spawns a `!Send` task on the current `LocalSet` or `LocalRuntime`, as [`spawn_local`]
    /// does.
    ///
    /// # Panics
    ///
    /// Outside a `LocalSet` or `LocalRuntime`.
    ///
    /// ```
    /// use async_hooks_tokio::task::Builder;
    ///
    /// let rt = tokio::runtime::Builder::new_current_thread().build()?;
    /// let local = tokio::task::LocalSet::new();
    /// let out = local.block_on(&rt, async {
    ///     Builder::new().name("ui").spawn_local(async { std::rc::Rc::new(5) }).await
    /// })?;
    /// assert_eq!(*out, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // A `LocalRuntime` runs the runtime hooks for its local tasks: the mark matters here.
        spawn_wrapped(LOCAL_TASK, self.name, Location::caller(), future, |f| {
            tokio::task::spawn_local(f)
        })
    }

    /// Spawns a `!Send` task on `local_set`, as `LocalSet::spawn_local` does; it runs once the
    /// set is driven (`block_on`, `run_until`, or being awaited).
    ///
    /// ```
    /// use async_hooks_tokio::task::Builder;
    ///
    /// let rt = tokio::runtime::Builder::new_current_thread().build()?;
    /// let local = tokio::task::LocalSet::new();
    /// let handle = Builder::new().spawn_local_on(async { 3 }, &local);
    /// assert_eq!(local.block_on(&rt, handle)?, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn_local_on<F>(self, future: F, local_set: &LocalSet) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // `LocalSet` tasks get no runtime hooks, so the mark is simply not consumed.
        spawn_wrapped(LOCAL_TASK, self.name, Location::caller(), future, |f| {
            local_set.spawn_local(f)
        })
    }
}

/// Turns any future into an async resource of a given type, as `tracing`'s `Instrument` puts
/// a future in a span: one `init` now, a `before`/`after` pair around every poll, one `destroy`
/// when the future completes or is dropped (S14, S15, S17).
///
/// The resource is created when [`in_resource`](AsyncResourceExt::in_resource) is called, not
/// when the future is first polled: its trigger is the execution id at that point (S4), and it
/// captures the async-local storage current there (S31). For a payload or an explicit trigger,
/// build the resource yourself and use
/// [`AsyncResource::wrap_future`](async_hooks::AsyncResource::wrap_future).
///
/// ```
/// use async_hooks::execution_async_resource;
/// use async_hooks_tokio::AsyncResourceExt;
///
/// let rt = tokio::runtime::Runtime::new()?;
/// let ty = rt.block_on(
///     async { execution_async_resource().resource_type().to_owned() }
///         .in_resource("my-app.Handshake"),
/// );
/// assert_eq!(ty, "my-app.Handshake");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait AsyncResourceExt: Future + Sized {
    /// Wraps the future in a new resource of type `resource_type`, created here; see the
    /// [trait documentation](AsyncResourceExt). Embedders should prefix their types with their
    /// crate's name (S29).
    ///
    /// # Panics
    ///
    /// If `resource_type` is empty, as [`AsyncResource::new`] does.
    ///
    /// ```
    /// use async_hooks::{execution_async_id, trigger_async_id, AsyncId};
    /// use async_hooks_tokio::AsyncResourceExt;
    ///
    /// let fut = async { (execution_async_id(), trigger_async_id()) }.in_resource("my-app.Step");
    /// let id = fut.resource().async_id();
    /// let rt = tokio::runtime::Builder::new_current_thread().build()?;
    /// assert_eq!(rt.block_on(fut), (id, AsyncId::ROOT));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    fn in_resource(self, resource_type: impl Into<ResourceType>) -> InAsyncScope<Self> {
        crate::trace::start_from_env();
        let resource = AsyncResource::builder(resource_type)
            .created_at(Location::caller())
            .build();
        match resource {
            Ok(resource) => resource.wrap_future(self),
            Err(e) => panic!("{e}"),
        }
    }
}

impl<F: Future> AsyncResourceExt for F {}
