//! The process-wide list of enabled hooks and event dispatch (SPEC S8–S13, S19).
//!
//! # Design
//!
//! Enabling and disabling are rare; events are constant and fire on every thread. So:
//!
//! - **The master list** of enabled hooks sits behind a `Mutex` that only `enable` and `disable`
//!   take. Each change builds an immutable [`HookList`] (one slice of hooks per event, holding
//!   only the hooks that have that callback) and bumps a generation counter.
//! - **The fast path** is [`FLAGS`]: one bit per event, set while some enabled hook has that
//!   callback. Emitting an event nobody listens to is one load of it and a branch (S12); the
//!   dispatch code lives out of line (`#[cold] #[inline(never)]`).
//! - **Dispatch** reads the thread's cached `Arc<HookList>` from the crate's one thread-local. An
//!   outermost dispatch first compares the cached generation with the global one (one more
//!   load) and refreshes the cache under the lock only when it changed. Dispatch therefore
//!   never writes to memory shared with other threads: no reference-count traffic on a shared
//!   `Arc`, no lock, no allocation.
//!
//! This is the read-copy-update that `arc-swap` offers, specialised: `arc-swap`'s `load` writes
//! a per-thread debt slot and pays a fence on every call, where a generation check is a plain
//! load on x86 and needs no dependency. Its cost is that a thread which stops dispatching keeps
//! the last list it saw (and so the hooks in it) alive until it dispatches again or exits.
//!
//! # Changes made inside a callback (S10)
//!
//! Nested dispatches do not refresh the cache, so the dispatch under way, and every dispatch
//! nested in it, use the list as it was; the change is published at once for other threads and
//! seen by this thread at its next outermost dispatch. The one extra care is the fast-path
//! flags: a `disable` inside a callback must not clear a flag that a nested dispatch on this
//! thread still relies on, so lowering is held back until the outermost dispatch returns.
//!
//! # Memory ordering (S13)
//!
//! `disable` publishes the new list and then the generation under the lock (`Release`); an
//! outermost dispatch loads the generation with `Acquire`. A dispatch that starts after
//! `disable` returned observes the new generation, refreshes, and cannot call the hook.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use crate::context::{self, ThreadState};
use crate::fatal;
use crate::hook::{Callbacks, Hook};
use crate::id::AsyncId;
use crate::resource::Resource;
use crate::sync::{sync_static, AtomicU64, AtomicU8, Mutex, MutexGuard};

/// The enabled hooks of one generation, split by event, in enable order (S9).
#[derive(Default)]
pub(crate) struct HookList {
    init: Box<[Arc<dyn Hook>]>,
    before: Box<[Arc<dyn Hook>]>,
    after: Box<[Arc<dyn Hook>]>,
    destroy: Box<[Arc<dyn Hook>]>,
}

/// One enabled hook in the master list.
struct Entry {
    hook: Arc<dyn Hook>,
    callbacks: Callbacks,
}

struct Registry {
    /// Enabled hooks, in enable order.
    active: Vec<Entry>,
    /// The published list, `None` when nothing is enabled.
    published: Option<Arc<HookList>>,
    /// Threads holding back the lowering of `FLAGS` (changes made inside a callback).
    flag_holders: usize,
}

sync_static! {
    static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
        active: Vec::new(),
        published: None,
        flag_holders: 0,
    });
}

sync_static! {
    /// Bumped, under the lock, each time a new list is published.
    static GENERATION: AtomicU64 = AtomicU64::new(0);
}

sync_static! {
    /// One bit per event (the bits of [`Callbacks`]): set while some enabled hook has that
    /// callback, or while a thread holds it up during a dispatch (S10).
    static FLAGS: AtomicU8 = AtomicU8::new(0);
}

fn lock() -> MutexGuard<'static, Registry> {
    // No user code runs under this lock, so a poisoned lock still holds a consistent list.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    fn publish(&mut self) {
        let mut list = HookList::default();
        let mut flags = 0u8;
        if !self.active.is_empty() {
            let pick = |c: Callbacks| -> Box<[Arc<dyn Hook>]> {
                self.active
                    .iter()
                    .filter(|e| e.callbacks.contains(c))
                    .map(|e| e.hook.clone())
                    .collect()
            };
            list = HookList {
                init: pick(Callbacks::INIT),
                before: pick(Callbacks::BEFORE),
                after: pick(Callbacks::AFTER),
                destroy: pick(Callbacks::DESTROY),
            };
            for e in &self.active {
                flags |= e.callbacks.bits();
            }
        }
        self.published = if self.active.is_empty() {
            None
        } else {
            Some(Arc::new(list))
        };
        if self.flag_holders > 0 {
            flags |= FLAGS.load(Ordering::Relaxed);
        }
        GENERATION.fetch_add(1, Ordering::Release);
        FLAGS.store(flags, Ordering::Release);
    }

    fn position(&self, hook: &Arc<dyn Hook>) -> Option<usize> {
        self.active.iter().position(|e| Arc::ptr_eq(&e.hook, hook))
    }
}

/// If this thread is inside a dispatch, hold back the lowering of `FLAGS` until it returns.
fn hold_flags_if_dispatching(registry: &mut Registry) {
    let _ = context::with_state(|s| {
        if s.dispatch_depth.get() > 0 && !s.holds_flags.get() {
            s.holds_flags.set(true);
            registry.flag_holders += 1;
        }
    });
}

/// Adds `hook` at the end of the active list, unless it is there already (S8, S9).
pub(crate) fn enable(hook: &Arc<dyn Hook>, callbacks: Callbacks) {
    let mut registry = lock();
    if registry.position(hook).is_some() {
        return;
    }
    hold_flags_if_dispatching(&mut registry);
    registry.active.push(Entry {
        hook: hook.clone(),
        callbacks,
    });
    registry.publish();
}

/// Removes `hook` from the active list, if it is there (S8).
pub(crate) fn disable(hook: &Arc<dyn Hook>) {
    let mut registry = lock();
    let Some(at) = registry.position(hook) else {
        return;
    };
    hold_flags_if_dispatching(&mut registry);
    let entry = registry.active.remove(at);
    registry.publish();
    drop(registry);
    drop(entry);
}

pub(crate) fn is_enabled(hook: &Arc<dyn Hook>) -> bool {
    lock().position(hook).is_some()
}

/// Whether any enabled hook has one of `callbacks` (one load).
#[inline]
pub(crate) fn listening(callbacks: Callbacks) -> bool {
    FLAGS.load(Ordering::Acquire) & callbacks.bits() != 0
}

/// Emits `init` (S14).
#[inline]
pub(crate) fn emit_init(resource: &Resource) {
    if listening(Callbacks::INIT) {
        dispatch_init(resource);
    }
}

/// Emits `before` (S15).
#[inline]
pub(crate) fn emit_before(id: AsyncId) {
    if listening(Callbacks::BEFORE) {
        dispatch_before(id);
    }
}

/// Emits `after` (S15).
#[inline]
pub(crate) fn emit_after(id: AsyncId) {
    if listening(Callbacks::AFTER) {
        dispatch_after(id);
    }
}

/// Emits `destroy`, with the context cleared to `(0, 0)` (S18).
#[inline]
pub(crate) fn emit_destroy(id: AsyncId) {
    if listening(Callbacks::DESTROY) {
        dispatch_destroy(id);
    }
}

#[cold]
#[inline(never)]
fn dispatch_init(resource: &Resource) {
    let ty = resource.resource_type();
    let (id, trigger) = (resource.async_id(), resource.trigger_async_id());
    dispatch(|list| {
        for hook in list.init.iter() {
            hook.init(id, ty, trigger, resource);
        }
    });
}

#[cold]
#[inline(never)]
fn dispatch_before(id: AsyncId) {
    dispatch(|list| {
        for hook in list.before.iter() {
            hook.before(id);
        }
    });
}

#[cold]
#[inline(never)]
fn dispatch_after(id: AsyncId) {
    dispatch(|list| {
        for hook in list.after.iter() {
            hook.after(id);
        }
    });
}

#[cold]
#[inline(never)]
fn dispatch_destroy(id: AsyncId) {
    context::with_no_context(|| {
        dispatch(|list| {
            for hook in list.destroy.iter() {
                hook.destroy(id);
            }
        })
    });
}

/// Runs `call` over this thread's hook list, refreshed only if this is the outermost dispatch
/// (S10); a panic in any hook is fatal (S19).
#[inline]
fn dispatch(call: impl Fn(&HookList)) {
    let ran = context::with_state(|s| {
        if s.dispatch_depth.get() == 0 {
            refresh(s);
        }
        s.dispatch_depth.set(s.dispatch_depth.get() + 1);
        let _depth = DepthGuard(s);
        let hooks = s.hooks.borrow();
        if let Some(list) = hooks.as_deref() {
            guarded(|| call(list));
        }
    });
    if ran.is_none() {
        // The thread-local is gone (thread exit): use the published list directly.
        let list = lock().published.clone();
        if let Some(list) = list {
            guarded(|| call(&list));
        }
    }
}

#[inline]
fn refresh(s: &ThreadState) {
    let generation = GENERATION.load(Ordering::Acquire);
    if s.hooks_generation.get() != generation {
        refresh_slow(s);
    }
}

#[cold]
#[inline(never)]
fn refresh_slow(s: &ThreadState) {
    let (list, generation) = {
        let registry = lock();
        (
            registry.published.clone(),
            GENERATION.load(Ordering::Acquire),
        )
    };
    let old = s.hooks.replace(list);
    s.hooks_generation.set(generation);
    drop(old); // after the lock: the last reference to a hook may go here
}

/// Ends one dispatch level; the outermost also lets go of held-back flags (S10).
struct DepthGuard<'a>(&'a ThreadState);

impl Drop for DepthGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let s = self.0;
        let depth = s.dispatch_depth.get() - 1;
        s.dispatch_depth.set(depth);
        if depth == 0 && s.holds_flags.get() {
            release_flags(s);
        }
    }
}

/// The outermost dispatch of a thread that changed the hook list inside a callback has
/// returned: let the fast-path flags drop to what the list needs (S10).
#[cold]
#[inline(never)]
fn release_flags(s: &ThreadState) {
    s.holds_flags.set(false);
    let mut registry = lock();
    registry.flag_holders -= 1;
    registry.publish();
}

fn guarded(f: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
        hook_panicked(payload);
    }
}

#[cold]
fn hook_panicked(payload: Box<dyn Any + Send>) -> ! {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic payload that is not a string)");
    fatal::hook_panicked(message)
}

/// Whether this thread is running a hook callback now, or code called from one (S21).
///
/// A logger that is itself instrumented can check it and skip the events its own output
/// causes.
///
/// ```
/// use async_hooks::{create_hook, in_hook_callback, AsyncResource, FnHook};
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// static SEEN_INSIDE: AtomicBool = AtomicBool::new(false);
/// assert!(!in_hook_callback());
/// let hook = create_hook(FnHook::new().on_init(|_, _, _, _| {
///     SEEN_INSIDE.store(in_hook_callback(), Ordering::SeqCst);
/// }));
/// hook.enable();
/// drop(AsyncResource::new("my-crate.Probe"));
/// hook.disable();
/// assert!(SEEN_INSIDE.load(Ordering::SeqCst));
/// ```
pub fn in_hook_callback() -> bool {
    context::with_state(|s| s.dispatch_depth.get() > 0).unwrap_or(false)
}
