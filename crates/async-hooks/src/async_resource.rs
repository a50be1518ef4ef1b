//! [`AsyncResource`]: the embedder API for making resources of one's own (SPEC S14–S17, S22–S28).

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::context;
use crate::error::Error;
use crate::id::{self, AsyncId};
use crate::registry;
use crate::resource::{Resource, ResourceType};
use crate::storage::{ContextFrame, Frame};

/// An async resource of the embedder's own: an entry in a queue, a pooled connection, a query.
///
/// Creating one takes the next id and fires `init` (S14, S22); its code runs inside its scope
/// with [`run_in_async_scope`](Self::run_in_async_scope), a guard from [`enter`](Self::enter),
/// or [`emit_before`](Self::emit_before)/[`emit_after`](Self::emit_after) (S15); it ends with
/// exactly one `destroy`, from [`emit_destroy`](Self::emit_destroy) or from being dropped (S17).
/// It captures the async-local storage of its creator and runs its scopes with it (S31).
///
/// `AsyncResource` is `Send + Sync`: a resource created on one thread may run on another, and
/// carries its ids with it (S5).
///
/// ```
/// use async_hooks::{execution_async_id, trigger_async_id, AsyncResource};
///
/// let query = AsyncResource::new("my-db.Query");
/// let (id, trigger) = query.run_in_async_scope(|| (execution_async_id(), trigger_async_id()));
/// assert_eq!(id, query.async_id());
/// assert_eq!(trigger, query.trigger_async_id());
/// query.emit_destroy().unwrap(); // or just drop it
/// ```
pub struct AsyncResource {
    resource: Resource,
    storage: Option<Arc<Frame>>,
    destroyed: AtomicBool,
    manual_destroy: bool,
}

/// Builds an [`AsyncResource`] with the options of Node's `new AsyncResource(type, options)`:
/// a trigger, a payload, manual destroy.
///
/// ```
/// use async_hooks::{AsyncId, AsyncResource};
///
/// let res = AsyncResource::builder("my-pool.Checkout")
///     .trigger(AsyncId::ROOT)
///     .payload(String::from("db-primary"))
///     .require_manual_destroy(true)
///     .build()?;
/// assert_eq!(res.payload::<String>().map(String::as_str), Some("db-primary"));
/// res.emit_destroy()?;
/// # Ok::<(), async_hooks::Error>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct AsyncResourceBuilder {
    resource_type: ResourceType,
    trigger: Option<AsyncId>,
    payload: Option<Arc<dyn Any + Send + Sync>>,
    manual_destroy: bool,
    created_at: Option<&'static Location<'static>>,
}

impl fmt::Debug for AsyncResourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResourceBuilder")
            .field("resource_type", &self.resource_type)
            .field("trigger", &self.trigger)
            .field("payload", &self.payload.is_some())
            .field("manual_destroy", &self.manual_destroy)
            .finish()
    }
}

impl AsyncResourceBuilder {
    /// Names the trigger instead of the default, the current execution id (S4). Any id may be
    /// named, `0` and ids never seen included.
    ///
    /// ```
    /// # use async_hooks::{AsyncId, AsyncResource};
    /// let r = AsyncResource::builder("X").trigger(AsyncId::NONE).build().unwrap();
    /// assert_eq!(r.trigger_async_id(), AsyncId::NONE);
    /// ```
    pub fn trigger(mut self, trigger: AsyncId) -> Self {
        self.trigger = Some(trigger);
        self
    }

    /// Attaches a typed payload that hooks read in `init` and that
    /// [`execution_async_resource`](crate::execution_async_resource) returns in scope (S28).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// struct Query { sql: &'static str }
    /// let r = AsyncResource::builder("X").payload(Query { sql: "SELECT 1" }).build().unwrap();
    /// assert_eq!(r.payload::<Query>().unwrap().sql, "SELECT 1");
    /// ```
    pub fn payload<T: Any + Send + Sync>(mut self, payload: T) -> Self {
        self.payload = Some(Arc::new(payload));
        self
    }

    /// Attaches a payload that is already shared.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// # use std::sync::Arc;
    /// let shared = Arc::new(5u8);
    /// let r = AsyncResource::builder("X").payload_arc(shared).build().unwrap();
    /// assert_eq!(r.payload::<u8>(), Some(&5));
    /// ```
    pub fn payload_arc(mut self, payload: Arc<dyn Any + Send + Sync>) -> Self {
        self.payload = Some(payload);
        self
    }

    /// With `true`, dropping the resource does not emit `destroy`: only
    /// [`emit_destroy`](AsyncResource::emit_destroy) does (S17).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::builder("X").require_manual_destroy(true).build().unwrap();
    /// drop(r); // no `destroy` event
    /// ```
    pub fn require_manual_destroy(mut self, manual: bool) -> Self {
        self.manual_destroy = manual;
        self
    }

    /// Records `location` as the creation site instead of the caller of `build`, for
    /// integrations that create resources on a user's behalf (STYLE 11).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// # use std::panic::Location;
    /// #[track_caller]
    /// fn make() -> AsyncResource {
    ///     AsyncResource::builder("X").created_at(Location::caller()).build().unwrap()
    /// }
    /// let line = line!(); let r = make();
    /// assert_eq!(r.resource().created_at().unwrap().line(), line);
    /// ```
    pub fn created_at(mut self, location: &'static Location<'static>) -> Self {
        self.created_at = Some(location);
        self
    }

    /// Creates the resource and fires `init` (S14), or says why it cannot (S20).
    ///
    /// # Errors
    ///
    /// An empty resource type.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let err = AsyncResource::builder("").build().unwrap_err();
    /// assert!(err.is_empty_type());
    /// ```
    #[track_caller]
    pub fn build(self) -> Result<AsyncResource, Error> {
        if self.resource_type.is_empty() {
            return Err(Error::empty_type());
        }
        // Not `unwrap_or_else(Location::caller)`: a function passed by value loses
        // `#[track_caller]` and would name this file.
        let created_at = match self.created_at {
            Some(location) => location,
            None => Location::caller(),
        };
        Ok(AsyncResource::create(
            self.resource_type,
            self.trigger,
            self.payload,
            self.manual_destroy,
            created_at,
        ))
    }
}

impl AsyncResource {
    /// Creates a resource of type `resource_type` whose trigger is the current execution id,
    /// and fires `init` (S22).
    ///
    /// # Panics
    ///
    /// If `resource_type` is empty. [`AsyncResource::builder`] returns an error instead.
    ///
    /// ```
    /// use async_hooks::{execution_async_id, AsyncResource};
    ///
    /// let res = AsyncResource::new("my-crate.Job");
    /// assert_eq!(res.trigger_async_id(), execution_async_id());
    /// ```
    #[track_caller]
    #[inline(always)]
    pub fn new(resource_type: impl Into<ResourceType>) -> AsyncResource {
        Self::new_or_panic(resource_type.into(), None)
    }

    /// Creates a resource whose trigger is `trigger` (S4, S22), and fires `init`.
    ///
    /// # Panics
    ///
    /// If `resource_type` is empty. [`AsyncResource::builder`] returns an error instead.
    ///
    /// ```
    /// use async_hooks::{AsyncId, AsyncResource};
    ///
    /// let res = AsyncResource::with_trigger("my-crate.Job", AsyncId::new(12345));
    /// assert_eq!(res.trigger_async_id(), AsyncId::new(12345));
    /// ```
    #[track_caller]
    pub fn with_trigger(resource_type: impl Into<ResourceType>, trigger: AsyncId) -> AsyncResource {
        Self::new_or_panic(resource_type.into(), Some(trigger))
    }

    /// A builder for the other options: payload, trigger, manual destroy, creation site.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let res = AsyncResource::builder("my-crate.Job").payload(42u64).build().unwrap();
    /// assert_eq!(res.payload::<u64>(), Some(&42));
    /// ```
    pub fn builder(resource_type: impl Into<ResourceType>) -> AsyncResourceBuilder {
        AsyncResourceBuilder {
            resource_type: resource_type.into(),
            trigger: None,
            payload: None,
            manual_destroy: false,
            created_at: None,
        }
    }

    #[track_caller]
    #[inline(always)]
    fn new_or_panic(resource_type: ResourceType, trigger: Option<AsyncId>) -> AsyncResource {
        if resource_type.is_empty() {
            empty_type_panic();
        }
        Self::create(resource_type, trigger, None, false, Location::caller())
    }

    #[inline(always)]
    fn create(
        resource_type: ResourceType,
        trigger: Option<AsyncId>,
        payload: Option<Arc<dyn Any + Send + Sync>>,
        manual_destroy: bool,
        created_at: &'static Location<'static>,
    ) -> AsyncResource {
        let async_id = id::next();
        let (current, storage) = context::capture();
        let resource = Resource::new(
            async_id,
            trigger.unwrap_or(current),
            resource_type,
            payload,
            Some(created_at),
        );
        registry::emit_init(&resource);
        AsyncResource {
            resource,
            storage,
            destroyed: AtomicBool::new(false),
            manual_destroy,
        }
    }

    /// The resource's id, fixed at creation (S23).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// assert!(r.async_id().as_u64() >= 2);
    /// ```
    #[inline]
    pub fn async_id(&self) -> AsyncId {
        self.resource.async_id()
    }

    /// The id of the resource that caused this one, fixed at creation (S23).
    ///
    /// ```
    /// # use async_hooks::{AsyncId, AsyncResource};
    /// assert_eq!(AsyncResource::new("X").trigger_async_id(), AsyncId::ROOT);
    /// ```
    #[inline]
    pub fn trigger_async_id(&self) -> AsyncId {
        self.resource.trigger_async_id()
    }

    /// The [`Resource`] handle hooks see: type, payload, creation site.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// assert_eq!(AsyncResource::new("X").resource().resource_type(), "X");
    /// ```
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// The payload, if it is a `T` (S28).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::builder("X").payload(1i32).build().unwrap();
    /// assert_eq!(r.payload::<i32>(), Some(&1));
    /// ```
    pub fn payload<T: Any>(&self) -> Option<&T> {
        self.resource.payload()
    }

    /// Runs `f` inside the resource's scope and returns what it returns (S24): push the
    /// resource's context, `before`, `f`, `after`, pop (S15). `after` runs and the context is
    /// restored even if `f` panics (S3).
    ///
    /// ```
    /// use async_hooks::{execution_async_id, AsyncResource};
    ///
    /// let r = AsyncResource::new("X");
    /// assert_eq!(r.run_in_async_scope(|| execution_async_id()), r.async_id());
    /// ```
    #[inline]
    pub fn run_in_async_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _scope = self.enter();
        f()
    }

    /// Enters the resource's scope until the guard is dropped (S25). Guards nest, must be
    /// dropped in reverse order (S16), and cannot leave the thread.
    ///
    /// ```
    /// use async_hooks::{execution_async_id, AsyncResource};
    ///
    /// let r = AsyncResource::new("X");
    /// {
    ///     let _scope = r.enter();
    ///     assert_eq!(execution_async_id(), r.async_id());
    /// }
    /// assert_eq!(execution_async_id(), async_hooks::AsyncId::ROOT);
    /// ```
    #[inline]
    pub fn enter(&self) -> ScopeGuard<'_> {
        context::enter(&self.resource, self.storage.clone());
        ScopeGuard {
            async_id: self.async_id(),
            _resource: PhantomData,
        }
    }

    /// Enters the resource's scope: push its context, then `before` (S26). Pair it with
    /// [`emit_after`](Self::emit_after); prefer [`enter`](Self::enter) or
    /// [`run_in_async_scope`](Self::run_in_async_scope) where they fit.
    ///
    /// ```
    /// use async_hooks::{execution_async_id, AsyncResource};
    ///
    /// let r = AsyncResource::new("X");
    /// r.emit_before();
    /// assert_eq!(execution_async_id(), r.async_id());
    /// r.emit_after().unwrap();
    /// ```
    pub fn emit_before(&self) {
        context::enter(&self.resource, self.storage.clone());
    }

    /// Leaves the resource's scope: `after`, then pop (S26).
    ///
    /// # Errors
    ///
    /// If no scope at all is open on this thread (S20).
    ///
    /// # Fatal
    ///
    /// If another resource's scope is the innermost open one, the scope stack is corrupted: the
    /// process prints `async hook stack has become corrupted (actual: A, expected: E)` and exits
    /// (S16).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// assert!(r.emit_after().unwrap_err().is_no_scope());
    /// ```
    pub fn emit_after(&self) -> Result<(), Error> {
        context::leave(self.async_id())
    }

    /// The async-local context this resource captured at creation (S31).
    ///
    /// ```
    /// use async_hooks::{AsyncLocalStorage, AsyncResource};
    ///
    /// let store = AsyncLocalStorage::new();
    /// let res = store.run(5, || AsyncResource::new("X"));
    /// assert_eq!(res.captured_context().run(|| store.get()), Some(5));
    /// ```
    pub fn captured_context(&self) -> ContextFrame {
        ContextFrame(self.storage.clone())
    }

    /// [`emit_before`](Self::emit_before), with `context` as the async-local context of the
    /// scope instead of the one the resource captured. See [`ContextFrame`].
    ///
    /// ```
    /// use async_hooks::{AsyncLocalStorage, AsyncResource};
    ///
    /// let store = AsyncLocalStorage::new();
    /// let res = AsyncResource::new("X");
    /// res.emit_before_with(store.run(9, async_hooks::ContextFrame::current));
    /// assert_eq!(store.get(), Some(9));
    /// res.emit_after().unwrap();
    /// ```
    pub fn emit_before_with(&self, context: ContextFrame) {
        context::enter(&self.resource, context.0);
    }

    /// [`emit_after`](Self::emit_after), returning the async-local context in force when the
    /// scope closed (changes made with `enter_with` in it included), to reopen the next scope
    /// with [`emit_before_with`](Self::emit_before_with). See [`ContextFrame`].
    ///
    /// # Errors
    ///
    /// As [`emit_after`](Self::emit_after): if no scope at all is open on this thread.
    ///
    /// ```
    /// use async_hooks::{AsyncLocalStorage, AsyncResource};
    ///
    /// let store = AsyncLocalStorage::new();
    /// let res = AsyncResource::new("X");
    /// res.emit_before();
    /// store.enter_with(3);
    /// let kept = res.emit_after_taking_context()?;
    /// assert_eq!(kept.run(|| store.get()), Some(3));
    /// # Ok::<(), async_hooks::Error>(())
    /// ```
    pub fn emit_after_taking_context(&self) -> Result<ContextFrame, Error> {
        context::leave_keeping_storage(self.async_id()).map(ContextFrame)
    }

    /// Emits `destroy` now (S17). Dropping the resource afterwards emits nothing more.
    ///
    /// # Errors
    ///
    /// If `destroy` was already emitted for this resource (S17, S20).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// r.emit_destroy()?;
    /// assert!(r.emit_destroy().unwrap_err().is_already_destroyed());
    /// # Ok::<(), async_hooks::Error>(())
    /// ```
    pub fn emit_destroy(&self) -> Result<(), Error> {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return Err(Error::already_destroyed(self.async_id()));
        }
        registry::emit_destroy(self.async_id());
        Ok(())
    }

    /// Whether `destroy` has been emitted for this resource.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// assert!(!r.is_destroyed());
    /// r.emit_destroy().unwrap();
    /// assert!(r.is_destroyed());
    /// ```
    pub fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// Turns `f` into a closure that runs `f` in this resource's scope on every call (S27).
    /// Calling it creates no resource; dropping it drops (and so destroys) the resource.
    ///
    /// For callbacks that take arguments, share the resource instead:
    /// `let r = Arc::new(res); move |x| r.run_in_async_scope(|| handle(x))`.
    ///
    /// ```
    /// use async_hooks::{execution_async_id, AsyncResource};
    ///
    /// let res = AsyncResource::new("my-crate.Callback");
    /// let id = res.async_id();
    /// let mut bound = res.bind(|| execution_async_id());
    /// assert_eq!(bound(), id);
    /// assert_eq!(bound(), id);
    /// ```
    pub fn bind<R>(self, mut f: impl FnMut() -> R) -> impl FnMut() -> R {
        move || self.run_in_async_scope(&mut f)
    }

    /// The async-local storage frame captured at creation (S31), for wrappers in this crate.
    pub(crate) fn storage(&self) -> Option<&Arc<Frame>> {
        self.storage.as_ref()
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn empty_type_panic() -> ! {
    panic!("{}", Error::empty_type())
}

impl Drop for AsyncResource {
    #[inline]
    fn drop(&mut self) {
        if !self.manual_destroy && !*self.destroyed.get_mut() {
            *self.destroyed.get_mut() = true;
            registry::emit_destroy(self.async_id());
        }
    }
}

impl fmt::Debug for AsyncResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResource")
            .field("async_id", &self.async_id().as_u64())
            .field("trigger_async_id", &self.trigger_async_id().as_u64())
            .field("type", &self.resource.resource_type())
            .field("destroyed", &self.is_destroyed())
            .finish()
    }
}

/// The guard of [`AsyncResource::enter`]: the resource's scope is open until it is dropped
/// (S25). It restores exactly the context it replaced, and cannot be sent to another thread.
///
/// ```compile_fail
/// use async_hooks::AsyncResource;
/// let r = AsyncResource::new("X");
/// let g = r.enter();
/// std::thread::spawn(move || drop(g)); // error: a guard is not `Send`
/// ```
#[must_use = "the scope closes as soon as the guard is dropped"]
pub struct ScopeGuard<'a> {
    async_id: AsyncId,
    // Borrows the resource, and `*const ()` makes the guard `!Send + !Sync` (S25).
    _resource: PhantomData<(&'a AsyncResource, *const ())>,
}

impl Drop for ScopeGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        context::leave_or_die(self.async_id);
    }
}

impl fmt::Debug for ScopeGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeGuard")
            .field("async_id", &self.async_id.as_u64())
            .finish()
    }
}
