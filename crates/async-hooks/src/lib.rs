//! Async resources, execution context, lifecycle hooks and async-local storage: the model of
//! Node.js `async_hooks`, for Rust, independent of any async runtime.
//!
//! # Why
//!
//! Async code loses its causes. A task spawned from a request handler does not know the
//! request; a socket that never closes does not say which task opened it; a value set with
//! Tokio's `task_local!` never reaches the tasks spawned under it. Node answered this with
//! `async_hooks`: every asynchronous *resource* gets an id and a *trigger* (the resource that
//! caused it), hooks hear when each resource is created, runs and ends, and any code can ask
//! which resource it is running in. This crate is that system, with Rust's guarantees:
//! thread-safe hooks, synchronous `destroy`, and a disabled path that costs one atomic load.
//!
//! # A tour
//!
//! - **Ids.** Every resource takes the next [`AsyncId`] from one process-wide counter.
//!   [`execution_async_id`] names the resource whose code runs now (*when*),
//!   [`trigger_async_id`] the one that caused it (*why*). Top-level code is the root, `1`.
//! - **Resources.** [`AsyncResource`] makes a resource of your own (a queued job, a pooled
//!   connection) and runs code in its *scope*: [`AsyncResource::run_in_async_scope`], the guard
//!   of [`AsyncResource::enter`], or futures through [`AsyncResource::wrap_future`].
//!   [`execution_async_resource`] returns the [`Resource`] in scope, with its typed payload.
//! - **Hooks.** [`create_hook`] wraps a [`Hook`] (or an [`FnHook`] of closures) in an
//!   [`AsyncHook`] you [`enable`](AsyncHook::enable) and [`disable`](AsyncHook::disable); it is
//!   told `init`, `before`, `after` and `destroy` for every resource on every thread.
//! - **Async-local storage.** [`AsyncLocalStorage`] sets a value (a request id, a tenant, a
//!   deadline) that every resource created under it carries, so code that was never handed it
//!   can read it: in other threads ([`thread::spawn`]), in futures
//!   ([`AsyncLocalStorage::scope`]), in tasks of the Tokio integration.
//!
//! The Tokio integration (`async-hooks-tokio`) makes every task, timer and socket a resource.
//!
//! # Example
//!
//! ```
//! use async_hooks::{create_hook, execution_async_id, hook_println, AsyncResource, FnHook};
//!
//! let hook = create_hook(
//!     FnHook::new()
//!         .on_init(|id, ty, trigger, _| hook_println!("{ty}({id}): trigger: {trigger}"))
//!         .on_before(|id| hook_println!("before: {id}"))
//!         .on_after(|id| hook_println!("after: {id}"))
//!         .on_destroy(|id| hook_println!("destroy: {id}")),
//! );
//! hook.enable();
//!
//! let query = AsyncResource::new("my-db.Query"); // init
//! query.run_in_async_scope(|| {                   // before
//!     assert_eq!(execution_async_id(), query.async_id());
//! });                                             // after
//! drop(query);                                    // destroy
//!
//! hook.disable();
//! ```
//!
//! # More
//!
//! - [`docs::node_compat`]: every function of Node's module and where it went here, with each
//!   deliberate difference and its reason.
//! - [`docs::internals`]: how the event path, the hook registry and the storage frame work.
//! - [`docs::performance`]: what each operation costs, and how that was measured.
//!
//! Hooks are process-global: tests that enable hooks should run one per process (`cargo
//! nextest`) or one per test binary.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod async_resource;
mod context;
pub mod docs;
mod error;
mod fatal;
pub mod future;
mod hook;
mod id;
#[doc(hidden)]
pub mod print;
mod registry;
mod resource;
mod storage;
mod sync;
pub mod thread;

pub use crate::async_resource::{AsyncResource, AsyncResourceBuilder, ScopeGuard};
pub use crate::context::{
    current_id, execution_async_id, execution_async_resource, trigger_async_id, trigger_id,
};
pub use crate::error::Error;
pub use crate::fatal::{abort_on_error, set_abort_on_error, ABORT_ON_ERROR_ENV};
pub use crate::hook::{create_hook, AsyncHook, Callbacks, FnHook, Hook};
pub use crate::id::AsyncId;
pub use crate::registry::in_hook_callback;
pub use crate::resource::{Resource, ResourceType};
pub use crate::storage::{bind, snapshot, AsyncLocalStorage, ContextFrame, Snapshot};

/// How many resource scopes are open on this thread now (`0` at the root).
///
/// ```
/// use async_hooks::{scope_depth, AsyncResource};
///
/// assert_eq!(scope_depth(), 0);
/// let r = AsyncResource::new("X");
/// r.run_in_async_scope(|| assert_eq!(scope_depth(), 1));
/// ```
pub fn scope_depth() -> usize {
    context::scope_depth()
}
