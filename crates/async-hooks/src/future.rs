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
}

impl<F: Future> Future for InAsyncScope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let id = this.resource.async_id();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`InAsyncScope` polled after it completed");
        };
        context::enter(this.resource.resource(), this.storage.take());
        // Leaves the scope even if `poll` panics, keeping the storage frame for the next poll.
        struct Leave<'a> {
            id: crate::AsyncId,
            storage: &'a mut Option<Arc<Frame>>,
        }
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                match context::leave_keeping_storage(self.id) {
                    Ok(frame) => *self.storage = frame,
                    Err(_) => crate::fatal::corrupted_stack(crate::execution_async_id(), self.id),
                }
            }
        }
        let leave = Leave {
            id,
            storage: this.storage,
        };
        let poll = future.poll(cx);
        if poll.is_ready() {
            // Completed: drop the spent future in scope, leave, then `destroy` (S17).
            this.future.set(None);
            drop(leave);
            *this.storage = None;
            let _ = this.resource.emit_destroy();
        }
        poll
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
}

impl<F: Future> FutureExt for F {}
