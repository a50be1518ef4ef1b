//! Async-local storage: context that follows async work (SPEC S30–S33).
//!
//! # The frame
//!
//! Every thread has one current *frame*: an immutable, sorted map from store to value, shared
//! by reference (`Arc<[Entry]>`). `None` means no store is set and costs nothing to capture.
//!
//! - A resource captures the frame current at its creation with one reference-count increment,
//!   whatever the number of stores in use (S31, S33), and its scope makes that frame current.
//! - [`run`](AsyncLocalStorage::run) and [`enter_with`](AsyncLocalStorage::enter_with) build a new
//!   frame (the current one plus one entry) and never touch the old one: copy on write.
//! - [`get`](AsyncLocalStorage::get) and [`with`](AsyncLocalStorage::with) read the current frame
//!   from the thread-local: no hook is involved, and user hooks may come and go around it.
//!
//! This is the `AsyncContextFrame` design that Node 24 adopted, rather than Node 20's, which
//! copies every store onto every resource at `init` (so its creation cost grows with the number
//! of stores) and depends on a hook being enabled.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::async_resource::AsyncResource;
use crate::context::{self, ThreadState};

/// One store's value in a frame.
pub(crate) struct Entry {
    /// The store ([`AsyncLocalStorage`] instance) this value belongs to.
    store: u64,
    /// The store's epoch when the value was set; a later [`AsyncLocalStorage::disable`] makes
    /// it invisible.
    epoch: u64,
    value: Arc<dyn Any + Send + Sync>,
}

/// An immutable map from store to value, sorted by store id.
pub(crate) type Frame = [Entry];

#[inline]
fn lookup(frame: &Frame, store: u64) -> Option<&Entry> {
    match frame {
        // One or two stores is the common case: skip the binary search.
        [e] if e.store == store => Some(e),
        [_] => None,
        _ => frame
            .binary_search_by_key(&store, |e| e.store)
            .ok()
            .map(|i| &frame[i]),
    }
}

/// `frame` with `store` set to `value` (or removed, with `None`): a new frame, built in one
/// allocation (the iterator's exact length lets `Arc<[_]>` size it up front).
#[inline]
fn with_entry(
    frame: Option<&Frame>,
    store: u64,
    epoch: u64,
    value: Option<Arc<dyn Any + Send + Sync>>,
) -> Option<Arc<Frame>> {
    let Some(old) = frame else {
        // The common case, the first store set: no copy, no iterator.
        return value.map(|value| {
            Arc::from([Entry {
                store,
                epoch,
                value,
            }])
        });
    };
    let at = old.partition_point(|e| e.store < store);
    let replaces = old.get(at).is_some_and(|e| e.store == store);
    let rest = if replaces { at + 1 } else { at };
    if old.len() - (rest - at) == 0 && value.is_none() {
        return None;
    }
    let clone = |e: &Entry| Entry {
        store: e.store,
        epoch: e.epoch,
        value: e.value.clone(),
    };
    let new = value.map(|value| Entry {
        store,
        epoch,
        value,
    });
    let entries = old[..at]
        .iter()
        .map(clone)
        .chain(new)
        .chain(old[rest..].iter().map(clone));
    Some(entries.collect())
}

/// Hands out store ids; `0` means "not assigned yet".
static NEXT_STORE: AtomicU64 = AtomicU64::new(1);

/// A value that follows async work: set once, read in everything the code that set it causes,
/// without being passed by hand (S30–S33). Node's `AsyncLocalStorage`.
///
/// A value set with [`run`](Self::run) is visible to the closure and to every resource created
/// inside it, wherever and whenever those run: a thread started with
/// [`thread::spawn`](crate::thread::spawn), a task spawned through the Tokio integration, a
/// callback run later in an [`AsyncResource`]'s scope (S31). Instances are independent (S32).
///
/// `new` is `const`, so a store is usually a `static`.
///
/// ```
/// use async_hooks::{AsyncLocalStorage, AsyncResource};
///
/// static REQUEST_ID: AsyncLocalStorage<u64> = AsyncLocalStorage::new();
///
/// let later = REQUEST_ID.run(42, || {
///     assert_eq!(REQUEST_ID.get(), Some(42));
///     AsyncResource::new("my-crate.Callback") // captures the store
/// });
/// assert_eq!(REQUEST_ID.get(), None);
/// later.run_in_async_scope(|| assert_eq!(REQUEST_ID.get(), Some(42)));
/// ```
pub struct AsyncLocalStorage<T> {
    id: AtomicU64,
    epoch: AtomicU64,
    _value: PhantomData<fn() -> T>,
}

impl<T: Send + Sync + 'static> Default for AsyncLocalStorage<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + Sync + 'static> AsyncLocalStorage<T> {
    /// A new store, independent of every other (S32). `const`, for use in a `static`.
    ///
    /// ```
    /// # use async_hooks::AsyncLocalStorage;
    /// static TENANT: AsyncLocalStorage<String> = AsyncLocalStorage::new();
    /// let local: AsyncLocalStorage<u8> = AsyncLocalStorage::new();
    /// assert_eq!(local.get(), None);
    /// assert_eq!(TENANT.get(), None);
    /// ```
    pub const fn new() -> Self {
        AsyncLocalStorage {
            id: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            _value: PhantomData,
        }
    }

    /// The store's id, assigned on first use.
    #[inline]
    fn id(&self) -> u64 {
        match self.id.load(Ordering::Relaxed) {
            0 => self.assign_id(),
            id => id,
        }
    }

    #[cold]
    fn assign_id(&self) -> u64 {
        let fresh = NEXT_STORE.fetch_add(1, Ordering::Relaxed);
        match self
            .id
            .compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => fresh,
            Err(assigned) => assigned,
        }
    }

    /// The frame current now with this store set to `value` (`None`: removed).
    fn frame_with(&self, value: Option<T>) -> Option<Arc<Frame>> {
        let store = self.id();
        let epoch = self.epoch.load(Ordering::Relaxed);
        let mut value = value.map(|v| Arc::new(v) as Arc<dyn Any + Send + Sync>);
        let frame = context::with_state(|s| {
            let current = s.storage.borrow();
            with_entry(current.as_deref(), store, epoch, value.take())
        });
        match frame {
            Some(frame) => frame,
            None => with_entry(None, store, epoch, value), // thread-local torn down
        }
    }

    /// Runs `f` with `value` as the store, for `f` and for everything `f` creates (S30, S31),
    /// and returns what `f` returns. The store in force before is restored when `f` returns or
    /// panics.
    ///
    /// ```
    /// # use async_hooks::AsyncLocalStorage;
    /// let store = AsyncLocalStorage::new();
    /// store.run("outer", || {
    ///     store.run("inner", || assert_eq!(store.get(), Some("inner")));
    ///     assert_eq!(store.get(), Some("outer"));
    /// });
    /// ```
    pub fn run<R>(&self, value: T, f: impl FnOnce() -> R) -> R {
        let _restore = Restore::install(self.frame_with(Some(value)));
        f()
    }

    /// Runs `f` with no value in this store (S30); other stores are untouched (S32).
    ///
    /// ```
    /// # use async_hooks::AsyncLocalStorage;
    /// let store = AsyncLocalStorage::new();
    /// store.run(1, || {
    ///     store.exit(|| assert_eq!(store.get(), None));
    ///     assert_eq!(store.get(), Some(1));
    /// });
    /// ```
    pub fn exit<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.with(|v| v.is_none()) {
            return f();
        }
        let _restore = Restore::install(self.frame_with(None));
        f()
    }

    /// Makes `value` the store for the rest of the current scope (S30): until the innermost
    /// open resource scope (or the enclosing [`run`](Self::run)) ends, or, at the root, for the
    /// rest of the thread's top-level code. Inside a future wrapped by this crate, for the rest
    /// of that future, across its `.await`s, without leaking to its caller.
    ///
    /// ```
    /// use async_hooks::{AsyncLocalStorage, AsyncResource};
    ///
    /// let store = AsyncLocalStorage::new();
    /// let res = AsyncResource::new("my-crate.Step");
    /// res.run_in_async_scope(|| {
    ///     store.enter_with(7);
    ///     assert_eq!(store.get(), Some(7));
    /// });
    /// assert_eq!(store.get(), None); // it ended with the scope
    /// ```
    pub fn enter_with(&self, value: T) {
        let frame = self.frame_with(Some(value));
        let _ = context::with_state(|s| s.replace_storage(frame));
    }

    /// Clears this store everywhere: every context that holds a value of it, on every thread and
    /// in every resource that captured one, reads `None` from now on (S30). Later calls to
    /// [`run`](Self::run) and [`enter_with`](Self::enter_with) work as usual; the values set
    /// before never come back.
    ///
    /// ```
    /// use async_hooks::{AsyncLocalStorage, AsyncResource};
    ///
    /// let store = AsyncLocalStorage::new();
    /// let res = store.run(1, || AsyncResource::new("my-crate.Later"));
    /// store.disable();
    /// res.run_in_async_scope(|| assert_eq!(store.get(), None));
    /// store.run(2, || assert_eq!(store.get(), Some(2)));
    /// ```
    pub fn disable(&self) {
        self.id(); // make sure entries made from now on carry the new epoch
        self.epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls `f` with a reference to the current value, without cloning it (S30).
    ///
    /// ```
    /// # use async_hooks::AsyncLocalStorage;
    /// let store = AsyncLocalStorage::new();
    /// store.run(String::from("tenant-a"), || {
    ///     assert_eq!(store.with(|t| t.map(|t| t.len())), Some(8));
    /// });
    /// assert_eq!(store.with(|t| t.is_none()), true);
    /// ```
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let store = self.id.load(Ordering::Relaxed);
        if store == 0 {
            return f(None); // never set anywhere
        }
        let mut f = Some(f);
        let mut call = |value: Option<&T>| match f.take() {
            Some(f) => f(value),
            None => unreachable!("`with` calls its closure once"),
        };
        match context::with_state(|s| self.with_in(s, store, &mut call)) {
            Some(r) => r,
            None => call(None), // thread-local torn down
        }
    }

    #[inline]
    fn with_in<R>(&self, s: &ThreadState, store: u64, f: &mut impl FnMut(Option<&T>) -> R) -> R {
        // The `RefCell` borrow ends with this statement: `f` may replace the frame.
        let frame: Option<*const Frame> = s.storage.borrow().as_ref().map(Arc::as_ptr);
        let Some(frame) = frame else {
            return f(None);
        };
        let _borrow = BorrowGuard::new(s);
        // SAFETY: `frame` points into an `Arc<Frame>` that was in `s.storage` a moment ago,
        // so it is alive now. It stays alive until `_borrow` is dropped: while this thread's
        // `borrow_depth` is non-zero, an `Arc<Frame>` leaving `s.storage` is either moved to a
        // holder that puts it back (the scope stack of `context::enter`, the `Restore` of
        // `run`/`exit`, `with_no_context`, the future wrappers), or handed to
        // `ThreadState::retire_frame`, which parks it in `parked_frames` instead of dropping
        // it; parked frames are dropped only when `borrow_depth` returns to zero (in
        // `BorrowGuard::drop`); `context::leave_keeping_storage`, which hands the frame of the
        // closing scope to its caller, parks a reference to it as well while `borrow_depth` is
        // non-zero. No other thread can reach `s.storage`. So no reference count
        // of this frame reaches zero while `f` runs, whatever `f` does.
        let frame = unsafe { &*frame };
        let epoch = self.epoch.load(Ordering::Relaxed);
        let value = lookup(frame, store).filter(|e| e.epoch == epoch).map(|e| {
            debug_assert!(e.value.is::<T>(), "a store's entry holds its own type");
            // SAFETY: entries under `store` are made only by `frame_with` of the one
            // `AsyncLocalStorage<T>` whose id is `store` (ids are unique per instance and
            // never reused, `NEXT_STORE`), and it always stores an `Arc<T>` there; so the
            // erased value is a `T`, and the cast only drops the vtable that
            // `downcast_ref` would consult (an indirect call on the hottest read path).
            unsafe { &*Arc::as_ptr(&e.value).cast::<T>() }
        });
        f(value)
    }

    /// A clone of the current value (S30).
    ///
    /// ```
    /// # use async_hooks::AsyncLocalStorage;
    /// static ID: AsyncLocalStorage<u64> = AsyncLocalStorage::new();
    /// assert_eq!(ID.run(5, || ID.get()), Some(5));
    /// ```
    #[inline]
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.with(|v| v.cloned())
    }

    /// Captures the whole current context (every store) to run code in it later; the same as
    /// [`snapshot`]. See [`Snapshot`].
    ///
    /// ```
    /// # use async_hooks::AsyncLocalStorage;
    /// let store = AsyncLocalStorage::new();
    /// let snap = store.run(1, || store.snapshot());
    /// assert_eq!(snap.run(|| store.get()), Some(1));
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        snapshot()
    }

    /// Binds `f` to the whole current context (every store); the same as [`bind`].
    ///
    /// ```
    /// # use async_hooks::AsyncLocalStorage;
    /// let store = AsyncLocalStorage::new();
    /// let mut f = store.run(3, || store.bind(|| store.get()));
    /// assert_eq!(f(), Some(3));
    /// ```
    pub fn bind<R>(&self, f: impl FnMut() -> R) -> impl FnMut() -> R {
        bind(f)
    }
}

impl<T> fmt::Debug for AsyncLocalStorage<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncLocalStorage")
            .field("id", &self.id.load(Ordering::Relaxed))
            .field("epoch", &self.epoch.load(Ordering::Relaxed))
            .finish()
    }
}

/// An async-local context held by value: every store's value at one point, shared by
/// reference (cloning it is one reference-count increment, S33). An empty frame means no store
/// is set.
///
/// For integrations that open and close a resource's scope from separate callbacks (a runtime's
/// before-poll and after-poll hooks) and want async-local changes made in one scope, with
/// [`AsyncLocalStorage::enter_with`], to carry over to the next:
/// [`AsyncResource::emit_after_taking_context`] returns the context in force when the scope
/// closed, and [`AsyncResource::emit_before_with`] opens the next scope with it.
///
/// ```
/// use async_hooks::{AsyncLocalStorage, AsyncResource, ContextFrame};
///
/// static STEP: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
/// let task = AsyncResource::new("my-runtime.Task");
///
/// task.emit_before_with(task.captured_context());
/// STEP.enter_with(1);
/// let context = task.emit_after_taking_context()?;
///
/// task.emit_before_with(context); // the next poll goes on where the last one stopped
/// assert_eq!(STEP.get(), Some(1));
/// task.emit_after()?;
/// assert!(ContextFrame::current().is_empty());
/// # Ok::<(), async_hooks::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ContextFrame(pub(crate) Option<Arc<Frame>>);

impl ContextFrame {
    /// The context in force now on this thread.
    ///
    /// ```
    /// use async_hooks::{AsyncLocalStorage, ContextFrame};
    ///
    /// let store = AsyncLocalStorage::new();
    /// assert!(ContextFrame::current().is_empty());
    /// assert!(!store.run(1, ContextFrame::current).is_empty());
    /// ```
    pub fn current() -> ContextFrame {
        ContextFrame(context::capture_storage())
    }

    /// Whether no store has a value in this context.
    ///
    /// ```
    /// # use async_hooks::ContextFrame;
    /// assert!(ContextFrame::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Runs `f` with this context in force (the execution context is unchanged), and puts back
    /// the one it replaced when `f` returns or panics.
    ///
    /// ```
    /// use async_hooks::{AsyncLocalStorage, ContextFrame};
    ///
    /// let store = AsyncLocalStorage::new();
    /// let saved = store.run("a", ContextFrame::current);
    /// assert_eq!(saved.run(|| store.get()), Some("a"));
    /// assert_eq!(store.get(), None);
    /// ```
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _restore = Restore::install(self.0.clone());
        f()
    }
}

impl fmt::Debug for ContextFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextFrame")
            .field("stores", &self.0.as_ref().map_or(0, |frame| frame.len()))
            .finish()
    }
}

/// Installs a frame for the rest of a Rust scope and puts back the one it replaced on drop.
struct Restore(Option<Arc<Frame>>);

impl Restore {
    fn install(frame: Option<Arc<Frame>>) -> Restore {
        // Moving the old frame out drops nothing, so nothing needs parking here.
        Restore(context::with_state(|s| s.storage.replace(frame)).flatten())
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = context::with_state(|s| s.replace_storage(previous));
    }
}

/// Counts a live borrow of the current frame; the last one out drops parked frames.
struct BorrowGuard<'a>(&'a ThreadState);

impl<'a> BorrowGuard<'a> {
    #[inline]
    fn new(s: &'a ThreadState) -> Self {
        s.borrow_depth.set(s.borrow_depth.get() + 1);
        BorrowGuard(s)
    }
}

impl Drop for BorrowGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let s = self.0;
        let depth = s.borrow_depth.get() - 1;
        s.borrow_depth.set(depth);
        if depth == 0 {
            drop_parked(s);
        }
    }
}

#[inline]
fn drop_parked(s: &ThreadState) {
    if !s.parked_frames.borrow().is_empty() {
        drop_parked_slow(s);
    }
}

#[cold]
#[inline(never)]
fn drop_parked_slow(s: &ThreadState) {
    let parked = std::mem::take(&mut *s.parked_frames.borrow_mut());
    drop(parked); // after the `RefCell` borrow ends: values' `Drop` may read stores
}

/// The whole async-local context (every store) captured at one point, to run code in later
/// (S30). Node's `AsyncLocalStorage.snapshot()`.
///
/// A snapshot is a resource of type `"AsyncLocalStorageSnapshot"` (as in Node): its runs are
/// scopes that hooks see, and dropping it emits `destroy`.
///
/// ```
/// use async_hooks::{snapshot, AsyncLocalStorage};
///
/// static USER: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
/// static ROLE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
///
/// let snap = USER.run("ada", || ROLE.run("admin", snapshot));
/// assert_eq!(USER.get(), None);
/// snap.run(|| {
///     assert_eq!(USER.get(), Some("ada"));
///     assert_eq!(ROLE.get(), Some("admin"));
/// });
/// ```
#[derive(Debug)]
pub struct Snapshot {
    resource: AsyncResource,
}

impl Snapshot {
    /// Runs `f` in the captured context and returns what it returns.
    ///
    /// ```
    /// # use async_hooks::{snapshot, AsyncLocalStorage};
    /// let s = AsyncLocalStorage::new();
    /// let snap = s.run(9, snapshot);
    /// assert_eq!(snap.run(|| s.get()), Some(9));
    /// ```
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        self.resource.run_in_async_scope(f)
    }

    /// The resource the snapshot's runs are scopes of.
    ///
    /// ```
    /// # use async_hooks::snapshot;
    /// assert_eq!(snapshot().resource().resource().resource_type(), "AsyncLocalStorageSnapshot");
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        &self.resource
    }
}

/// Captures the whole current async-local context. See [`Snapshot`].
///
/// ```
/// # use async_hooks::{snapshot, AsyncLocalStorage};
/// let s = AsyncLocalStorage::new();
/// let snap = s.run("x", snapshot);
/// assert_eq!(snap.run(|| s.get()), Some("x"));
/// ```
#[track_caller]
pub fn snapshot() -> Snapshot {
    Snapshot {
        resource: AsyncResource::new("AsyncLocalStorageSnapshot"),
    }
}

/// Binds `f` to the current context: every call runs `f` with the stores (and execution
/// context) current now (S30). The binding is a resource of type `"bound-anonymous-fn"`, as in
/// Node's `AsyncLocalStorage.bind`; calling it creates no further resource (S27).
///
/// ```
/// use async_hooks::{bind, AsyncLocalStorage};
///
/// static STEP: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
/// let mut report = STEP.run(1, || bind(|| STEP.get()));
/// STEP.run(2, || assert_eq!(report(), Some(1)));
/// ```
#[track_caller]
pub fn bind<R>(f: impl FnMut() -> R) -> impl FnMut() -> R {
    AsyncResource::new("bound-anonymous-fn").bind(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(store: u64) -> Entry {
        Entry {
            store,
            epoch: 0,
            value: Arc::new(store),
        }
    }

    #[test]
    fn with_entry_keeps_frames_sorted_and_copies_on_write() {
        let one = with_entry(None, 5, 0, Some(Arc::new(5u64))).unwrap();
        let two = with_entry(Some(&one), 2, 0, Some(Arc::new(2u64))).unwrap();
        let three = with_entry(Some(&two), 9, 0, Some(Arc::new(9u64))).unwrap();
        let stores: Vec<u64> = three.iter().map(|e| e.store).collect();
        assert_eq!(stores, [2, 5, 9]);
        assert_eq!(one.len(), 1, "the old frame is untouched");
        let replaced = with_entry(Some(&three), 5, 1, Some(Arc::new(50u64))).unwrap();
        let e = lookup(&replaced, 5).unwrap();
        assert_eq!(e.value.downcast_ref::<u64>(), Some(&50));
        assert_eq!(e.epoch, 1);
        let removed = with_entry(Some(&replaced), 5, 0, None).unwrap();
        assert!(lookup(&removed, 5).is_none());
        assert!(with_entry(Some(&one), 5, 0, None).is_none());
    }

    #[test]
    fn lookup_finds_every_entry() {
        let frame: Arc<Frame> = (1..=100).map(entry).collect::<Vec<_>>().into();
        for store in 1..=100 {
            assert_eq!(lookup(&frame, store).unwrap().store, store);
        }
        assert!(lookup(&frame, 0).is_none());
        assert!(lookup(&frame, 101).is_none());
    }
}
