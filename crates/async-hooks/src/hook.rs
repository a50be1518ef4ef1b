//! Hooks: the callbacks told about every resource's life (SPEC S7–S11).

use std::fmt;
use std::ops::BitOr;
use std::sync::Arc;

use crate::id::AsyncId;
use crate::registry;
use crate::resource::Resource;

/// The callbacks of the async resource lifecycle. Every method has a no-op default, so a hook
/// implements only what it needs.
///
/// Hooks are process-global: events fire on every thread, so a hook is `Send + Sync` and must
/// accept ids it has never seen (a hook enabled while a resource is alive gets that resource's
/// `before`, `after` and `destroy` without its `init`, S11). A panic in a callback is fatal
/// (S19).
///
/// Implement [`callbacks`](Hook::callbacks) to say which methods you implemented: events that no
/// enabled hook listens to then cost one atomic load (S12).
///
/// ```
/// use async_hooks::{create_hook, AsyncId, AsyncResource, Callbacks, Hook, Resource};
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
///
/// struct CountInits(Arc<AtomicU64>);
///
/// impl Hook for CountInits {
///     fn init(&self, _id: AsyncId, _ty: &str, _trigger: AsyncId, _res: &Resource) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
///     fn callbacks(&self) -> Callbacks {
///         Callbacks::INIT
///     }
/// }
///
/// let count = Arc::new(AtomicU64::new(0));
/// let hook = create_hook(CountInits(count.clone()));
/// hook.enable();
/// let _r = AsyncResource::new("my-crate.Thing");
/// hook.disable();
/// assert_eq!(count.load(Ordering::Relaxed), 1);
/// ```
pub trait Hook: Send + Sync + 'static {
    /// A resource was created: `async_id` is its new id, `resource_type` its type, and
    /// `trigger_async_id` the resource that caused it. Runs synchronously on the creating
    /// thread before the constructor returns, with the creator's execution context (S14).
    /// `resource` carries the payload (downcast with [`Resource::payload`]).
    fn init(
        &self,
        async_id: AsyncId,
        resource_type: &str,
        trigger_async_id: AsyncId,
        resource: &Resource,
    ) {
        let _ = (async_id, resource_type, trigger_async_id, resource);
    }

    /// The resource's code is about to run; the execution id is already `async_id` (S15).
    fn before(&self, async_id: AsyncId) {
        let _ = async_id;
    }

    /// The resource's code has run (or panicked); the execution id is still `async_id` (S15).
    fn after(&self, async_id: AsyncId) {
        let _ = async_id;
    }

    /// The resource has ended. Called exactly once per resource (S17), synchronously where it
    /// ends, with both execution and trigger ids `0` (S18).
    fn destroy(&self, async_id: AsyncId) {
        let _ = async_id;
    }

    /// The callbacks this hook implements; the others are never called. Read once, by
    /// [`create_hook`]. The default, [`Callbacks::ALL`], is always correct, only slower.
    fn callbacks(&self) -> Callbacks {
        Callbacks::ALL
    }
}

/// A set of lifecycle callbacks, as a bit set.
///
/// ```
/// use async_hooks::Callbacks;
///
/// let c = Callbacks::INIT | Callbacks::DESTROY;
/// assert!(c.contains(Callbacks::INIT));
/// assert!(!c.contains(Callbacks::BEFORE));
/// assert!(Callbacks::ALL.contains(c));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Callbacks(u8);

impl Callbacks {
    /// No callback.
    pub const NONE: Callbacks = Callbacks(0);
    /// [`Hook::init`].
    pub const INIT: Callbacks = Callbacks(1);
    /// [`Hook::before`].
    pub const BEFORE: Callbacks = Callbacks(2);
    /// [`Hook::after`].
    pub const AFTER: Callbacks = Callbacks(4);
    /// [`Hook::destroy`].
    pub const DESTROY: Callbacks = Callbacks(8);
    /// All four.
    pub const ALL: Callbacks = Callbacks(15);

    /// Whether every callback in `other` is in `self`.
    ///
    /// ```
    /// # use async_hooks::Callbacks;
    /// assert!(Callbacks::ALL.contains(Callbacks::AFTER));
    /// ```
    pub const fn contains(self, other: Callbacks) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    ///
    /// ```
    /// # use async_hooks::Callbacks;
    /// assert!(Callbacks::NONE.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) const fn bits(self) -> u8 {
        self.0
    }
}

impl BitOr for Callbacks {
    type Output = Callbacks;
    fn bitor(self, rhs: Callbacks) -> Callbacks {
        Callbacks(self.0 | rhs.0)
    }
}

impl fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Callbacks::INIT, "INIT"),
            (Callbacks::BEFORE, "BEFORE"),
            (Callbacks::AFTER, "AFTER"),
            (Callbacks::DESTROY, "DESTROY"),
        ];
        let mut set = f.debug_set();
        for (c, name) in names {
            if self.contains(c) {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

type InitFn = dyn Fn(AsyncId, &str, AsyncId, &Resource) + Send + Sync;
type IdFn = dyn Fn(AsyncId) + Send + Sync;

/// A [`Hook`] made of closures, giving only the callbacks one needs.
///
/// Only the callbacks given are registered, so the others keep their fast path (S12).
///
/// ```
/// use async_hooks::{create_hook, AsyncResource, FnHook};
///
/// let hook = create_hook(
///     FnHook::new()
///         .on_init(|id, ty, trigger, _res| println!("{ty}({id}): trigger: {trigger}"))
///         .on_destroy(|id| println!("destroy: {id}")),
/// );
/// hook.enable();
/// drop(AsyncResource::new("my-crate.Job"));
/// hook.disable();
/// ```
#[derive(Default)]
pub struct FnHook {
    init: Option<Box<InitFn>>,
    before: Option<Box<IdFn>>,
    after: Option<Box<IdFn>>,
    destroy: Option<Box<IdFn>>,
}

impl FnHook {
    /// A hook with no callbacks.
    ///
    /// ```
    /// # use async_hooks::{FnHook, Hook};
    /// assert!(FnHook::new().callbacks().is_empty());
    /// ```
    pub fn new() -> FnHook {
        FnHook::default()
    }

    /// Sets the `init` callback: `(async_id, resource_type, trigger_async_id, resource)`.
    ///
    /// ```
    /// # use async_hooks::{FnHook, Hook, Callbacks};
    /// let h = FnHook::new().on_init(|_, _, _, _| {});
    /// assert_eq!(h.callbacks(), Callbacks::INIT);
    /// ```
    pub fn on_init(
        mut self,
        f: impl Fn(AsyncId, &str, AsyncId, &Resource) + Send + Sync + 'static,
    ) -> FnHook {
        self.init = Some(Box::new(f));
        self
    }

    /// Sets the `before` callback.
    ///
    /// ```
    /// # use async_hooks::{FnHook, Hook, Callbacks};
    /// let h = FnHook::new().on_before(|id| println!("before: {id}"));
    /// assert_eq!(h.callbacks(), Callbacks::BEFORE);
    /// ```
    pub fn on_before(mut self, f: impl Fn(AsyncId) + Send + Sync + 'static) -> FnHook {
        self.before = Some(Box::new(f));
        self
    }

    /// Sets the `after` callback.
    ///
    /// ```
    /// # use async_hooks::{FnHook, Hook, Callbacks};
    /// let h = FnHook::new().on_after(|id| println!("after: {id}"));
    /// assert_eq!(h.callbacks(), Callbacks::AFTER);
    /// ```
    pub fn on_after(mut self, f: impl Fn(AsyncId) + Send + Sync + 'static) -> FnHook {
        self.after = Some(Box::new(f));
        self
    }

    /// Sets the `destroy` callback.
    ///
    /// ```
    /// # use async_hooks::{FnHook, Hook, Callbacks};
    /// let h = FnHook::new().on_destroy(|id| println!("destroy: {id}"));
    /// assert_eq!(h.callbacks(), Callbacks::DESTROY);
    /// ```
    pub fn on_destroy(mut self, f: impl Fn(AsyncId) + Send + Sync + 'static) -> FnHook {
        self.destroy = Some(Box::new(f));
        self
    }
}

impl fmt::Debug for FnHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnHook")
            .field("callbacks", &self.callbacks())
            .finish()
    }
}

impl Hook for FnHook {
    fn init(&self, async_id: AsyncId, ty: &str, trigger: AsyncId, resource: &Resource) {
        if let Some(f) = &self.init {
            f(async_id, ty, trigger, resource);
        }
    }
    fn before(&self, async_id: AsyncId) {
        if let Some(f) = &self.before {
            f(async_id);
        }
    }
    fn after(&self, async_id: AsyncId) {
        if let Some(f) = &self.after {
            f(async_id);
        }
    }
    fn destroy(&self, async_id: AsyncId) {
        if let Some(f) = &self.destroy {
            f(async_id);
        }
    }
    fn callbacks(&self) -> Callbacks {
        let mut c = Callbacks::NONE;
        if self.init.is_some() {
            c = c | Callbacks::INIT;
        }
        if self.before.is_some() {
            c = c | Callbacks::BEFORE;
        }
        if self.after.is_some() {
            c = c | Callbacks::AFTER;
        }
        if self.destroy.is_some() {
            c = c | Callbacks::DESTROY;
        }
        c
    }
}

/// A handle to a hook, returned disabled by [`create_hook`] (S7).
///
/// Clones are handles to the same hook. Dropping every handle does **not** disable an enabled
/// hook (as in Node, where `createHook(...).enable()` keeps running): call
/// [`disable`](AsyncHook::disable).
///
/// ```
/// use async_hooks::{create_hook, FnHook};
///
/// let hook = create_hook(FnHook::new().on_before(|id| println!("before {id}")));
/// assert!(!hook.is_enabled());
/// assert!(hook.enable().enable().is_enabled()); // chains, idempotent (S8)
/// assert!(!hook.disable().is_enabled());
/// ```
#[derive(Clone)]
pub struct AsyncHook {
    hook: Arc<dyn Hook>,
    callbacks: Callbacks,
}

/// Wraps `hook` in a disabled [`AsyncHook`] (S7). Its [`Hook::callbacks`] is read now.
///
/// ```
/// use async_hooks::{create_hook, FnHook};
///
/// let hook = create_hook(FnHook::new().on_init(|id, ty, trigger, _| {
///     println!("{ty}({id}) caused by {trigger}");
/// }));
/// hook.enable();
/// # hook.disable();
/// ```
pub fn create_hook(hook: impl Hook) -> AsyncHook {
    let callbacks = hook.callbacks();
    AsyncHook {
        hook: Arc::new(hook),
        callbacks,
    }
}

impl AsyncHook {
    /// Puts the hook at the end of the active list, unless it is there already; returns `self`
    /// so calls chain (S8, S9). Inside a callback it takes effect once the outermost dispatch on
    /// this thread has returned (S10); other threads see it at once.
    ///
    /// ```
    /// # use async_hooks::{create_hook, FnHook};
    /// let hook = create_hook(FnHook::new().on_init(|_, _, _, _| {}));
    /// assert!(hook.enable().is_enabled());
    /// # hook.disable();
    /// ```
    pub fn enable(&self) -> &Self {
        registry::enable(&self.hook, self.callbacks);
        self
    }

    /// Takes the hook out of the active list; returns `self` so calls chain (S8). Once it has
    /// returned, no dispatch that starts afterwards, on any thread, calls the hook (S13).
    ///
    /// ```
    /// # use async_hooks::{create_hook, FnHook};
    /// let hook = create_hook(FnHook::new().on_init(|_, _, _, _| {}));
    /// assert!(!hook.enable().disable().is_enabled());
    /// ```
    pub fn disable(&self) -> &Self {
        registry::disable(&self.hook);
        self
    }

    /// Whether the hook is in the active list.
    ///
    /// ```
    /// # use async_hooks::{create_hook, FnHook};
    /// assert!(!create_hook(FnHook::new()).is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        registry::is_enabled(&self.hook)
    }

    /// The callbacks this hook registered.
    ///
    /// ```
    /// # use async_hooks::{create_hook, Callbacks, FnHook};
    /// let hook = create_hook(FnHook::new().on_destroy(|_| {}));
    /// assert_eq!(hook.callbacks(), Callbacks::DESTROY);
    /// ```
    pub fn callbacks(&self) -> Callbacks {
        self.callbacks
    }
}

impl fmt::Debug for AsyncHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncHook")
            .field("callbacks", &self.callbacks)
            .field("enabled", &self.is_enabled())
            .finish()
    }
}
