//! # From Node's `async_hooks` to this crate
//!
//! Every function of Node's `async_hooks` module, where it went, and each deliberate
//! difference with its reason. Node v20 is the reference; where Node 24's `AsyncContextFrame`
//! fixed a v20 quirk, this crate follows Node 24 and says so.
//!
//! | Node | Here | Notes |
//! |---|---|---|
//! | `executionAsyncId()` | [`execution_async_id`](crate::execution_async_id), alias [`current_id`](crate::current_id) | An [`AsyncId`](crate::AsyncId), not a number. |
//! | `triggerAsyncId()` | [`trigger_async_id`](crate::trigger_async_id), alias [`trigger_id`](crate::trigger_id) | |
//! | `executionAsyncResource()` | [`execution_async_resource`](crate::execution_async_resource) | Returns a [`Resource`](crate::Resource) handle with a typed payload instead of the resource object; at the root, one shared root resource. |
//! | `createHook({ init, before, after, destroy, promiseResolve })` | [`create_hook`](crate::create_hook) with a [`Hook`](crate::Hook) or [`FnHook`](crate::FnHook) | No `promiseResolve`: Rust futures have no resolve event the runtime could report. |
//! | `AsyncHook#enable()` / `#disable()` | [`AsyncHook::enable`](crate::AsyncHook::enable) / [`disable`](crate::AsyncHook::disable) | Return `&Self`, chain, idempotent; plus [`is_enabled`](crate::AsyncHook::is_enabled). |
//! | `new AsyncResource(type, { triggerAsyncId, requireManualDestroy })` | [`AsyncResource::new`](crate::AsyncResource::new), [`with_trigger`](crate::AsyncResource::with_trigger), [`builder`](crate::AsyncResource::builder) | The builder also takes a typed payload and a creation site. |
//! | `asyncResource.runInAsyncScope(fn, thisArg, ...args)` | [`run_in_async_scope`](crate::AsyncResource::run_in_async_scope) | A closure captures what `thisArg` and `args` carried. |
//! | — | [`AsyncResource::enter`](crate::AsyncResource::enter) | A guard that leaves on drop; `!Send`. |
//! | `emitBefore()` / `emitAfter()` (removed in Node 16) | [`emit_before`](crate::AsyncResource::emit_before) / [`emit_after`](crate::AsyncResource::emit_after) | Kept for code that cannot use a closure or guard (a runtime's poll hooks). |
//! | `asyncResource.emitDestroy()` | [`emit_destroy`](crate::AsyncResource::emit_destroy) | Synchronous; a second call is an error, not a second event. |
//! | `asyncResource.bind(fn)`, `AsyncResource.bind(fn)` | [`AsyncResource::bind`](crate::AsyncResource::bind), [`bind`](crate::bind) | |
//! | `asyncId()`, `triggerAsyncId()` | [`AsyncResource::async_id`](crate::AsyncResource::async_id), [`trigger_async_id`](crate::AsyncResource::trigger_async_id) | |
//! | `asyncWrapProviders` | the type constants of each integration | Types are plain strings (S29). |
//! | `new AsyncLocalStorage()` | [`AsyncLocalStorage::new`](crate::AsyncLocalStorage::new) | `const`, typed: `AsyncLocalStorage<T>`. |
//! | `als.run(store, fn)` | [`run`](crate::AsyncLocalStorage::run) | |
//! | `als.getStore()` | [`get`](crate::AsyncLocalStorage::get), [`with`](crate::AsyncLocalStorage::with) | `with` borrows without cloning. |
//! | `als.exit(fn)` | [`exit`](crate::AsyncLocalStorage::exit) | |
//! | `als.enterWith(store)` | [`enter_with`](crate::AsyncLocalStorage::enter_with) | Scoped as in Node 24, see below. |
//! | `als.disable()` | [`disable`](crate::AsyncLocalStorage::disable) | See below. |
//! | `AsyncLocalStorage.bind(fn)`, `.snapshot()` | [`bind`](crate::bind), [`snapshot`](crate::snapshot) (also as methods) | |
//! | — | [`AsyncLocalStorage::scope`](crate::AsyncLocalStorage::scope), [`future::FutureExt`](crate::future::FutureExt) | Futures: the context holds across `.await`s. |
//! | writing with `fs.writeSync(1, …)` inside hooks | [`hook_println!`](crate::hook_println), [`in_hook_callback`](crate::in_hook_callback) | |
//! | `--abort-on-uncaught-exception` | `ASYNC_HOOKS_ABORT_ON_ERROR=1`, [`set_abort_on_error`](crate::set_abort_on_error) | |
//!
//! ## Deliberate differences
//!
//! - **`destroy` is synchronous (S18).** Node learns that a resource is gone from the garbage
//!   collector, so it batches `destroy` to a later tick, and it delivers them to the hooks
//!   enabled *then*. Rust knows exactly where a resource ends (its drop), so `destroy` runs
//!   there, on that thread, with execution and trigger ids `0`, delivered to the hooks enabled
//!   at that moment.
//! - **Exactly one `destroy` (S17).** Node emits a second `destroy` for a second
//!   `emitDestroy()`; here the second call returns an [`Error`](crate::Error).
//! - **Threads (S5, S13).** Node runs hooks on one thread. Here events fire on every thread,
//!   each thread has its own execution context, and hooks may be enabled and disabled from any
//!   thread while events fire: once `disable()` returns, no dispatch that starts afterwards,
//!   on any thread, calls the hook. A change made inside a callback follows Node's rule on the
//!   thread that made it (it takes effect when the outermost dispatch returns, S10) and is
//!   seen by other threads at once.
//! - **Dropping an `AsyncHook` handle does not disable the hook**, matching Node (a hook object
//!   that is enabled stays registered); call `disable()`.
//! - **Fatal errors (S16, S19).** A corrupted scope stack prints `async hook stack has become
//!   corrupted (actual: A, expected: E)` and a backtrace and exits with status 1, as Node does.
//!   A panic in a hook prints the panic and a backtrace and exits with status 1, as a throw in
//!   a Node hook does; code around the event cannot catch it.
//! - **Empty resource types** are refused: `AsyncResource::new("")` panics (Node throws a
//!   `TypeError`), and the builder returns an error.
//! - **The disabled fast path.** A hook says which callbacks it implements
//!   ([`Hook::callbacks`](crate::Hook::callbacks)); an event no enabled hook listens to costs
//!   one atomic load (S12).
//!
//! ## Async-local storage
//!
//! This crate follows the `AsyncContextFrame` design that Node 24 adopted, not Node 20's
//! hook-based one:
//!
//! - **No hook is needed**, and capturing the context costs the same whatever the number of
//!   stores (S33). Node 20 copies every store onto every resource at `init`, so creating a
//!   resource slows in proportion to the number of stores in use.
//! - **`enter_with` is scoped.** It holds until the current resource scope (or enclosing `run`)
//!   ends; inside a future wrapped by this crate it holds for the rest of that future, across
//!   its `.await`s, and never leaks to the code that awaited it. Node 20 lets it leak out of an
//!   awaited async function when its hook was first enabled by that very call
//!   (nodejs/node#53037); Node 24 does not.
//! - **`disable` cannot be undone.** In Node 20, `disable()` only flips a flag, and a later
//!   `run()` makes every old value visible again (nodejs/node#48480). Node 24 removes the value
//!   from the current frame only. Here `disable()` makes every value set before it invisible
//!   everywhere, on every thread and in every resource that captured one, for good; later
//!   `run`/`enter_with` calls set new values that work as usual. A global rule was chosen over
//!   Node 24's per-frame one because frames are shared across threads here: removing a value
//!   from "the current frame" would reach an arbitrary set of other tasks.
//! - **`snapshot()` and `bind()` make resources**, of types `"AsyncLocalStorageSnapshot"` and
//!   `"bound-anonymous-fn"`, as in Node 20, so hooks see where deferred work came from.
//!
//! ## Tokio users: how this differs from `task_local!`
//!
//! A `task_local!` value is set for one future with `scope` and is invisible to everything that
//! future spawns (tokio#2396). An [`AsyncLocalStorage`](crate::AsyncLocalStorage) value is
//! captured by every resource created under it, so tasks spawned through the Tokio integration,
//! threads from [`thread::spawn`](crate::thread::spawn) and callbacks bound with
//! [`bind`](crate::bind) all see it. `AsyncLocalStorage::scope(value, future)` is the
//! counterpart of `LOCAL.scope(value, future)`; `run(value, closure)` of `sync_scope`.
