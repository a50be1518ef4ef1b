//! The execution context of each thread (SPEC S2, S3, S5, S15, S16, S18).
//!
//! All per-thread state of the crate lives in one thread-local, [`ThreadState`]: the ids of the
//! scope running now, the stack of what each open scope replaced, the async-local storage frame,
//! and the dispatch state of [`registry`](crate::registry) (the pinned hook list of S10 and the
//! "inside a callback" depth of S21). One `thread_local!` means one TLS lookup per operation and
//! one place that defines what happens when the thread-local is torn down at thread exit.
//!
//! # Thread exit
//!
//! Once the thread-local has been destroyed (code running in another thread-local's destructor),
//! [`execution_async_id`] reads as the root (`1`) and [`trigger_async_id`] as `0`, entering a
//! scope still dispatches `before` and `after` but cannot track the scope stack (so the S16 check
//! is skipped), and async-local storage reads as empty.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use crate::error::Error;
use crate::fatal;
use crate::id::AsyncId;
use crate::registry::{self, HookList};
use crate::resource::Resource;
use crate::storage::Frame;
use crate::sync::thread_local;

/// One open scope: its resource, and what opening it replaced, restored when it closes.
///
/// The innermost scope is the top of the stack, so opening a scope is one push and closing it
/// one pop; the current resource is read from the top rather than kept (and swapped) apart.
struct Scope {
    resource: Resource,
    prev_id: AsyncId,
    prev_trigger: AsyncId,
    prev_storage: Option<Arc<Frame>>,
}

/// All per-thread state of the crate.
pub(crate) struct ThreadState {
    /// The async-local storage frame in force now; `None` means no store is set.
    pub(crate) storage: RefCell<Option<Arc<Frame>>>,
    /// The open scopes, innermost last.
    stack: RefCell<Vec<Scope>>,

    /// Hook dispatches under way on this thread (S10, S21).
    pub(crate) dispatch_depth: Cell<u32>,
    /// The hook list this thread dispatches to; refreshed only by an outermost dispatch (S10).
    pub(crate) hooks: RefCell<Option<Arc<HookList>>>,
    /// The registry generation `hooks` was taken at.
    pub(crate) hooks_generation: Cell<u64>,
    /// This thread changed the hook list from inside a callback and holds back the lowering of
    /// the fast-path flags until its outermost dispatch returns (S10).
    pub(crate) holds_flags: Cell<bool>,

    /// `AsyncLocalStorage::with` calls under way on this thread; while non-zero, storage frames
    /// replaced on this thread are parked in `parked_frames` instead of dropped.
    pub(crate) borrow_depth: Cell<u32>,
    pub(crate) parked_frames: RefCell<Vec<Arc<Frame>>>,
}

/// The ids of the scope running now. Kept apart from [`ThreadState`] because they need no
/// destructor: a `const` thread-local of a type without `Drop` is never torn down, so the ids
/// stay readable (and `destroy` can still clear them to `(0, 0)`, S18) while other
/// thread-locals are destroyed at thread exit, and reading one skips the destructor-state
/// check, which makes [`execution_async_id`] a plain thread-local read.
struct Ids {
    /// The execution id (S2: `1` outside every scope).
    exec: Cell<AsyncId>,
    /// The trigger id of the scope running now (S2: `0` outside every scope).
    trigger: Cell<AsyncId>,
}

thread_local! {
    static IDS: Ids = const {
        Ids {
            exec: Cell::new(AsyncId::ROOT),
            trigger: Cell::new(AsyncId::NONE),
        }
    };
}

/// Runs `f` with this thread's ids.
#[inline]
fn ids<R>(f: impl FnOnce(&Ids) -> R) -> R {
    IDS.with(f)
}

thread_local! {
    static STATE: ThreadState = const {
        ThreadState {
            storage: RefCell::new(None),
            stack: RefCell::new(Vec::new()),
            dispatch_depth: Cell::new(0),
            hooks: RefCell::new(None),
            hooks_generation: Cell::new(0),
            holds_flags: Cell::new(false),
            borrow_depth: Cell::new(0),
            parked_frames: RefCell::new(Vec::new()),
        }
    };
}

/// Runs `f` with this thread's state, or returns `None` once it has been torn down.
#[inline]
pub(crate) fn with_state<R>(f: impl FnOnce(&ThreadState) -> R) -> Option<R> {
    STATE.try_with(f).ok()
}

impl ThreadState {
    /// Replaces the storage frame in force, parking the old one if a borrow of it may be live.
    pub(crate) fn replace_storage(&self, frame: Option<Arc<Frame>>) {
        let old = self.storage.replace(frame);
        self.retire_frame(old);
    }

    /// Drops a frame that was in force, unless an `AsyncLocalStorage::with` on this thread may
    /// still hold a reference into it; then it is parked until the outermost `with` returns.
    pub(crate) fn retire_frame(&self, frame: Option<Arc<Frame>>) {
        if let Some(frame) = frame {
            if self.borrow_depth.get() > 0 {
                self.parked_frames.borrow_mut().push(frame);
            } else {
                drop(frame);
            }
        }
    }
}

/// The id of the resource whose code runs now on this thread (S2, S3).
///
/// `1` ([`AsyncId::ROOT`]) outside every scope, on every thread; inside a resource's scope, that
/// resource's id; inside a `destroy` callback, `0` (S18). It costs one thread-local read, and is
/// kept up to date whether or not any hook is enabled (S6).
///
/// ```
/// use async_hooks::{execution_async_id, AsyncId, AsyncResource};
///
/// assert_eq!(execution_async_id(), AsyncId::ROOT);
/// let res = AsyncResource::new("my-crate.Job");
/// res.run_in_async_scope(|| assert_eq!(execution_async_id(), res.async_id()));
/// assert_eq!(execution_async_id(), AsyncId::ROOT);
/// ```
#[inline]
pub fn execution_async_id() -> AsyncId {
    ids(|i| i.exec.get())
}

/// The trigger id of the resource whose code runs now: the resource that caused it (S2, S3).
///
/// `0` ([`AsyncId::NONE`]) outside every scope and inside `destroy` callbacks.
///
/// ```
/// use async_hooks::{trigger_async_id, AsyncId, AsyncResource};
///
/// assert_eq!(trigger_async_id(), AsyncId::NONE);
/// let parent = AsyncResource::new("my-crate.Parent");
/// parent.run_in_async_scope(|| {
///     let child = AsyncResource::new("my-crate.Child"); // trigger = parent (S4)
///     child.run_in_async_scope(|| assert_eq!(trigger_async_id(), parent.async_id()));
/// });
/// ```
#[inline]
pub fn trigger_async_id() -> AsyncId {
    ids(|i| i.trigger.get())
}

/// Alias of [`execution_async_id`], the name the original `async_hooks` documentation used.
///
/// ```
/// assert_eq!(async_hooks::current_id(), async_hooks::execution_async_id());
/// ```
#[inline]
pub fn current_id() -> AsyncId {
    execution_async_id()
}

/// Alias of [`trigger_async_id`], the name the original `async_hooks` documentation used.
///
/// ```
/// assert_eq!(async_hooks::trigger_id(), async_hooks::trigger_async_id());
/// ```
#[inline]
pub fn trigger_id() -> AsyncId {
    trigger_async_id()
}

/// The resource whose scope runs now, with its payload (S28).
///
/// At the root (and inside `destroy` callbacks) it returns [`Resource::root`], one shared
/// resource with id `1` and type `"ROOT"`.
///
/// ```
/// use async_hooks::{execution_async_resource, AsyncResource};
///
/// struct Query(&'static str);
///
/// assert!(execution_async_resource().is_root());
/// let res = AsyncResource::builder("my-crate.Query")
///     .payload(Query("SELECT 1"))
///     .build()
///     .unwrap();
/// res.run_in_async_scope(|| {
///     let now = execution_async_resource();
///     assert_eq!(now.payload::<Query>().map(|q| q.0), Some("SELECT 1"));
/// });
/// ```
pub fn execution_async_resource() -> Resource {
    if execution_async_id() == AsyncId::NONE {
        return Resource::root(); // inside `destroy` (S18)
    }
    STATE
        .try_with(|s| s.stack.borrow().last().map(|scope| scope.resource.clone()))
        .ok()
        .flatten()
        .unwrap_or_else(Resource::root)
}

/// The current execution id and storage frame, read in one thread-local access: what a new
/// resource captures (S4, S31).
#[inline]
pub(crate) fn capture() -> (AsyncId, Option<Arc<Frame>>) {
    (execution_async_id(), capture_storage())
}

/// The storage frame in force now (one reference-count increment, S33).
#[inline]
pub(crate) fn capture_storage() -> Option<Arc<Frame>> {
    STATE
        .try_with(|s| s.storage.borrow().clone())
        .ok()
        .flatten()
}

/// Opens `resource`'s scope on this thread: push its context, then `before` (S15).
///
/// `storage` is the async-local frame the scope runs with (S31).
#[inline]
pub(crate) fn enter(resource: &Resource, storage: Option<Arc<Frame>>) {
    let _ = STATE.try_with(|s| {
        let (prev_id, prev_trigger) = ids(|i| {
            (
                i.exec.replace(resource.async_id()),
                i.trigger.replace(resource.trigger_async_id()),
            )
        });
        let scope = Scope {
            resource: resource.clone(),
            prev_id,
            prev_trigger,
            // Moved to the stack, not dropped: nothing needs parking.
            prev_storage: s.storage.replace(storage),
        };
        s.stack.borrow_mut().push(scope);
    });
    registry::emit_before(resource.async_id());
}

/// Closes the innermost scope, which must be `expected`'s: `after`, then pop (S15, S16).
///
/// Returns an error if no scope is open on this thread (S20); a scope other than `expected`'s
/// being innermost is fatal (S16).
#[inline]
pub(crate) fn leave(expected: AsyncId) -> Result<(), Error> {
    let frame = leave_keeping_storage(expected)?;
    if frame.is_some() {
        let _ = STATE.try_with(|s| s.retire_frame(frame));
    }
    Ok(())
}

/// [`leave`], returning the storage frame that was in force at the end of the scope instead of
/// dropping it, for wrappers whose context persists from one scope to the next.
pub(crate) fn leave_keeping_storage(expected: AsyncId) -> Result<Option<Arc<Frame>>, Error> {
    let open = STATE.try_with(|s| {
        if s.stack.borrow().is_empty() {
            return Err(Error::no_scope(expected));
        }
        let actual = execution_async_id();
        if actual != expected {
            fatal::corrupted_stack(actual, expected);
        }
        Ok(())
    });
    match open {
        Ok(Err(e)) => return Err(e),
        Ok(Ok(())) => registry::emit_after(expected),
        // Thread-local gone: no stack to check or pop; still tell the hooks.
        Err(_) => {
            registry::emit_after(expected);
            return Ok(None);
        }
    }
    let popped = STATE.try_with(|s| {
        // An `after` hook may itself have opened and closed scopes, but it cannot leave one
        // open (that is fatal above), so the innermost is still `expected`'s.
        let scope = s.stack.borrow_mut().pop()?;
        ids(|i| {
            i.exec.set(scope.prev_id);
            i.trigger.set(scope.prev_trigger);
        });
        let frame = s.storage.replace(scope.prev_storage);
        drop(scope.resource); // after the `RefCell` borrow: a payload's `Drop` is user code
                              // The frame goes to the caller, who may drop it while an `AsyncLocalStorage::with`
                              // on this thread still borrows it (a scope opened before the `with` and closed in its
                              // closure): park a reference too.
        if let Some(frame) = &frame {
            if s.borrow_depth.get() > 0 {
                s.parked_frames.borrow_mut().push(frame.clone());
            }
        }
        frame
    });
    Ok(popped.ok().flatten())
}

/// Like [`leave`], for closers that cannot report an error (guards, futures): closing when no
/// scope is open means the stack was corrupted by a mismatched manual `emit_after`.
pub(crate) fn leave_or_die(expected: AsyncId) {
    if leave(expected).is_err() {
        fatal::corrupted_stack(execution_async_id(), expected);
    }
}

/// Runs `f` with the execution context cleared to `(0, 0)` and no store (S18);
/// [`execution_async_resource`] reads the root while the execution id is `0`.
///
/// The ids are cleared even while this thread's other state is being torn down.
pub(crate) fn with_no_context<R>(f: impl FnOnce() -> R) -> R {
    struct Restore {
        id: AsyncId,
        trigger: AsyncId,
        storage: Option<Option<Arc<Frame>>>,
    }
    impl Drop for Restore {
        fn drop(&mut self) {
            ids(|i| {
                i.exec.set(self.id);
                i.trigger.set(self.trigger);
            });
            if let Some(storage) = self.storage.take() {
                let _ = STATE.try_with(|s| s.replace_storage(storage));
            }
        }
    }
    let (id, trigger) = ids(|i| {
        (
            i.exec.replace(AsyncId::NONE),
            i.trigger.replace(AsyncId::NONE),
        )
    });
    let _restore = Restore {
        id,
        trigger,
        // Moving the frame out drops nothing, so nothing needs parking.
        storage: STATE.try_with(|s| s.storage.replace(None)).ok(),
    };
    f()
}

/// How many scopes are open on this thread (for tests and diagnostics).
pub(crate) fn scope_depth() -> usize {
    STATE.try_with(|s| s.stack.borrow().len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_context_on_a_new_thread() {
        // S2
        std::thread::spawn(|| {
            assert_eq!(execution_async_id(), AsyncId::ROOT);
            assert_eq!(trigger_async_id(), AsyncId::NONE);
            assert_eq!(scope_depth(), 0);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn leave_without_scope_is_an_error() {
        // S20
        let err = leave(AsyncId::new(99)).unwrap_err();
        assert!(err.is_no_scope());
    }
}
