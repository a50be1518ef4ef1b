//! Futures that carry an async resource's scope or an async-local context across `.await`s
//! (SPEC S15, S17, S31).
//!
//! A future is polled many times, perhaps on many threads; a guard held across `.await` would
//! be wrong on both counts. So the wrappers here enter the context around every `poll` and
//! around the drop of the inner future, and leave it before returning (STYLE 7), the way
//! `tracing`'s `Instrumented` and Tokio's `TaskLocalFuture` do.
//!
//! Async-local values set inside a wrapped future with
//! [`enter_with`](crate::AsyncLocalStorage::enter_with) persist for the rest of that future,
//! across its `.await`s, and never leak to the code that polls it.

use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::async_resource::AsyncResource;
use crate::context;
use crate::storage::{AsyncLocalStorage, Frame};

pin_project! {
    /// A future that runs inside an [`AsyncResource`]'s scope: every poll is a `before`/`after`
    /// pair, and the resource is destroyed once when the future completes or is dropped
    /// (S15, S17). Made by [`AsyncResource::wrap_future`] or [`FutureExt::in_async_resource`].
    ///
    /// ```
    /// use async_hooks::{execution_async_id, AsyncResource};
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    ///
    /// let job = AsyncResource::new("my-crate.Job");
    /// let id = job.async_id();
    /// let seen = block_on(job.wrap_future(async { execution_async_id() }));
    /// assert_eq!(seen, id);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct InAsyncScope<F> {
        #[pin]
        future: Option<F>,
        resource: AsyncResource,
        // The async-local frame the next poll runs with: the resource's captured frame at
        // first, then whatever the previous poll left in force (`enter_with` persists).
        storage: Option<Arc<Frame>>,
    }

    impl<F> PinnedDrop for InAsyncScope<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Drop the inner future inside the scope, so its destructors see the context.
                context::enter(this.resource.resource(), this.storage.take());
                this.future.set(None);
                context::leave_or_die(this.resource.async_id());
            }
            // `resource` is dropped next and emits `destroy` unless completion already did.
        }
    }
}

impl<F> InAsyncScope<F> {
    /// The resource the future runs in.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// let id = r.async_id();
    /// assert_eq!(r.wrap_future(async {}).resource().async_id(), id);
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        &self.resource
    }

    /// The inner future, unless it has completed.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let fut = AsyncResource::new("X").wrap_future(async { 1 });
    /// assert!(fut.get_ref().is_some());
    /// ```
    pub fn get_ref(&self) -> Option<&F> {
        self.future.as_ref()
    }
}

impl<F: Future> Future for InAsyncScope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`InAsyncScope` polled after it completed");
        };
        let scope = PollScope::enter(this.resource, this.storage);
        let poll = future.poll(cx);
        if poll.is_ready() {
            // Completed: drop the spent future in scope, leave, then `destroy` (S17).
            this.future.set(None);
            drop(scope);
            *this.storage = None;
            let _ = this.resource.emit_destroy();
        }
        poll
    }
}

impl<F: fmt::Debug> fmt::Debug for InAsyncScope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InAsyncScope")
            .field("future", &self.future)
            .field("resource", &self.resource)
            .finish()
    }
}

/// One poll's scope: enters `resource` with the wrapper's storage frame, and on drop (also
/// when the poll panics) leaves it and keeps the frame then in force for the next poll, so that
/// `enter_with` inside a wrapped future lasts for the rest of it.
struct PollScope<'a> {
    id: crate::AsyncId,
    storage: &'a mut Option<Arc<Frame>>,
}

impl<'a> PollScope<'a> {
    fn enter(resource: &AsyncResource, storage: &'a mut Option<Arc<Frame>>) -> Self {
        context::enter(resource.resource(), storage.take());
        PollScope {
            id: resource.async_id(),
            storage,
        }
    }
}

impl Drop for PollScope<'_> {
    fn drop(&mut self) {
        match context::leave_keeping_storage(self.id) {
            Ok(frame) => *self.storage = frame,
            Err(_) => crate::fatal::corrupted_stack(crate::execution_async_id(), self.id),
        }
    }
}

pin_project! {
    /// A future that runs inside the scope of a resource it does not own: every poll (and the
    /// drop of the inner future) is a `before`/`after` pair of `R`'s resource, which is **not**
    /// destroyed when the future ends. `R` is anything that borrows an [`AsyncResource`]: a
    /// reference, an `Arc`, a `Box`. For connections and servers whose code runs in many
    /// futures, one after another or at once. Made by [`in_scope_of`] or
    /// [`FutureExt::in_scope_of`].
    ///
    /// Like [`InAsyncScope`], it starts from the async-local context the resource captured and
    /// keeps `enter_with` changes from one poll to the next, per future.
    ///
    /// ```
    /// use async_hooks::{execution_async_id, future::in_scope_of, AsyncResource};
    /// use std::sync::Arc;
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    ///
    /// let conn = Arc::new(AsyncResource::new("my-crate.Conn"));
    /// let first = block_on(in_scope_of(conn.clone(), async { execution_async_id() }));
    /// let second = block_on(in_scope_of(&*conn, async { execution_async_id() }));
    /// assert_eq!((first, second), (conn.async_id(), conn.async_id()));
    /// assert!(!conn.is_destroyed());
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct InScopeOf<R, F>
    where
        R: Borrow<AsyncResource>,
    {
        #[pin]
        future: Option<F>,
        resource: R,
        storage: Option<Arc<Frame>>,
    }

    impl<R, F> PinnedDrop for InScopeOf<R, F>
    where
        R: Borrow<AsyncResource>,
    {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                let _scope = PollScope::enter((*this.resource).borrow(), this.storage);
                this.future.set(None);
            }
        }
    }
}

/// Runs `future` in `resource`'s scope on every poll, without destroying the resource when it
/// ends. See [`InScopeOf`].
///
/// ```
/// use async_hooks::{future::in_scope_of, AsyncResource};
///
/// let server = AsyncResource::new("my-crate.Server");
/// let fut = in_scope_of(&server, async { 42 });
/// # drop(fut);
/// ```
pub fn in_scope_of<R: Borrow<AsyncResource>, F: Future>(resource: R, future: F) -> InScopeOf<R, F> {
    let storage = resource.borrow().storage().cloned();
    InScopeOf {
        future: Some(future),
        resource,
        storage,
    }
}

impl<R: Borrow<AsyncResource>, F> InScopeOf<R, F> {
    /// The resource the future runs in.
    ///
    /// ```
    /// # use async_hooks::{future::in_scope_of, AsyncResource};
    /// let r = AsyncResource::new("X");
    /// assert_eq!(in_scope_of(&r, async {}).resource().async_id(), r.async_id());
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        self.resource.borrow()
    }

    /// The inner future, unless it has completed.
    ///
    /// ```
    /// # use async_hooks::{future::in_scope_of, AsyncResource};
    /// let r = AsyncResource::new("X");
    /// assert!(in_scope_of(&r, async {}).get_ref().is_some());
    /// ```
    pub fn get_ref(&self) -> Option<&F> {
        self.future.as_ref()
    }
}

impl<R: Borrow<AsyncResource>, F: Future> Future for InScopeOf<R, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`InScopeOf` polled after it completed");
        };
        let _scope = PollScope::enter((*this.resource).borrow(), this.storage);
        let poll = future.poll(cx);
        if poll.is_ready() {
            this.future.set(None);
        }
        poll
    }
}

impl<R: Borrow<AsyncResource>, F: fmt::Debug> fmt::Debug for InScopeOf<R, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InScopeOf")
            .field("future", &self.future)
            .field("resource", self.resource.borrow())
            .finish()
    }
}

pin_project! {
    /// A future that runs with a captured async-local context (every store) on every poll,
    /// wherever it is polled (S31). Made by [`AsyncLocalStorage::scope`] and
    /// [`FutureExt::in_current_context`].
    ///
    /// ```
    /// use async_hooks::AsyncLocalStorage;
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    ///
    /// static USER: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    /// let fut = USER.scope("ada", async { USER.get() });
    /// assert_eq!(block_on(fut), Some("ada"));
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct WithContext<F> {
        #[pin]
        future: Option<F>,
        storage: Option<Arc<Frame>>,
    }

    impl<F> PinnedDrop for WithContext<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                let _swap = Swap::new(this.storage);
                this.future.set(None);
            }
        }
    }
}

impl<F: fmt::Debug> fmt::Debug for WithContext<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithContext")
            .field("future", &self.future)
            .field(
                "stores",
                &self.storage.as_ref().map_or(0, |frame| frame.len()),
            )
            .finish()
    }
}

impl<F> WithContext<F> {
    pub(crate) fn new(future: F, storage: Option<Arc<Frame>>) -> Self {
        WithContext {
            future: Some(future),
            storage,
        }
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`WithContext` polled after it completed");
        };
        let swap = Swap::new(this.storage);
        let poll = future.poll(cx);
        if poll.is_ready() {
            this.future.set(None);
        }
        drop(swap);
        poll
    }
}

/// Swaps a frame into the thread's storage slot and back out on drop (also on panic), keeping
/// what the code left in force. Moves only: nothing is dropped, so nothing needs parking.
struct Swap<'a> {
    slot: &'a mut Option<Arc<Frame>>,
    previous: Option<Arc<Frame>>,
}

impl<'a> Swap<'a> {
    fn new(slot: &'a mut Option<Arc<Frame>>) -> Self {
        let mine = slot.take();
        let previous = context::with_state(|s| s.storage.replace(mine)).flatten();
        Swap { slot, previous }
    }
}

impl Drop for Swap<'_> {
    fn drop(&mut self) {
        let previous = self.previous.take();
        *self.slot = context::with_state(|s| s.storage.replace(previous)).flatten();
    }
}

impl AsyncResource {
    /// Turns `future` into one that runs in this resource's scope on every poll, and destroys
    /// the resource when it completes or is dropped. See [`InAsyncScope`].
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let job = AsyncResource::new("my-crate.Job");
    /// let fut = job.wrap_future(async { 1 + 1 });
    /// # drop(fut);
    /// ```
    pub fn wrap_future<F: Future>(self, future: F) -> InAsyncScope<F> {
        let storage = self.storage().cloned();
        InAsyncScope {
            future: Some(future),
            resource: self,
            storage,
        }
    }
}

impl<T: Send + Sync + 'static> AsyncLocalStorage<T> {
    /// Runs `future` with `value` as this store on every poll, across its `.await`s, wherever
    /// it is polled (S30, S31); the other stores are those current now. The future-shaped
    /// [`run`](AsyncLocalStorage::run), named after Tokio's `LocalKey::scope`.
    ///
    /// ```
    /// use async_hooks::AsyncLocalStorage;
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    ///
    /// static TRACE: AsyncLocalStorage<u128> = AsyncLocalStorage::new();
    /// let fut = TRACE.scope(0xfeed, async {
    ///     std::future::ready(()).await;
    ///     TRACE.get()
    /// });
    /// assert_eq!(TRACE.get(), None);
    /// assert_eq!(block_on(fut), Some(0xfeed));
    /// ```
    pub fn scope<F: Future>(&self, value: T, future: F) -> WithContext<F> {
        let frame = self.run(value, crate::context::capture_storage);
        WithContext::new(future, frame)
    }
}

/// Extension methods that put any future in an async context.
///
/// ```
/// use async_hooks::{future::FutureExt, AsyncLocalStorage, AsyncResource};
///
/// static ID: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
/// let a = ID.run(1, || async { ID.get() }.in_current_context());
/// let b = async {}.in_async_resource(AsyncResource::new("my-crate.Step"));
/// # drop((a, b));
/// ```
pub trait FutureExt: Future + Sized {
    /// Captures the async-local context current now and runs the future in it on every poll.
    ///
    /// ```
    /// # use async_hooks::{future::FutureExt, AsyncLocalStorage};
    /// # static ID: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    /// let fut = ID.run(1, || async { ID.get() }.in_current_context());
    /// # drop(fut);
    /// ```
    fn in_current_context(self) -> WithContext<Self> {
        WithContext::new(self, crate::context::capture_storage())
    }

    /// Runs the future in `resource`'s scope on every poll; see [`InAsyncScope`].
    ///
    /// ```
    /// # use async_hooks::{future::FutureExt, AsyncResource};
    /// let fut = async {}.in_async_resource(AsyncResource::new("my-crate.Step"));
    /// # drop(fut);
    /// ```
    fn in_async_resource(self, resource: AsyncResource) -> InAsyncScope<Self> {
        resource.wrap_future(self)
    }

    /// Runs the future in the scope of a resource it does not own; see [`InScopeOf`].
    ///
    /// ```
    /// # use async_hooks::{future::FutureExt, AsyncResource};
    /// # use std::sync::Arc;
    /// let conn = Arc::new(AsyncResource::new("my-crate.Conn"));
    /// let fut = async {}.in_scope_of(conn.clone());
    /// # drop(fut);
    /// ```
    fn in_scope_of<R: Borrow<AsyncResource>>(self, resource: R) -> InScopeOf<R, Self> {
        in_scope_of(resource, self)
    }
}

impl<F: Future> FutureExt for F {}
