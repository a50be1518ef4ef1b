//! Timers as async resources of Node's type [`TIMEOUT`] (`"Timeout"`, SPEC S29).
//!
//! [`sleep`], [`sleep_until`], [`timeout`] and [`interval`] wrap Tokio's and make each timer a
//! resource: `init` when it is created (with its [`Duration`] as payload, S28), a
//! `before`/`after` pair around every poll, so the poll that fires runs inside the timer's scope
//! (S15), and exactly one `destroy` when it completes or is dropped (S17).
//!
//! [`set_timeout`] and [`set_interval`] are Node's callback style: they spawn a task that runs
//! the callback inside the timer's scope when it fires, so a hook sees `before: <timer id>`
//! around the callback and every resource the callback creates has the timer as its trigger.

use std::any::Any;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_hooks::future::{in_scope_of, InAsyncScope};
use async_hooks::{AsyncId, AsyncResource};
use pin_project_lite::pin_project;
use tokio::task::JoinHandle;

pub use tokio::time::error::Elapsed;
pub use tokio::time::{Instant, MissedTickBehavior};

/// Node's type name for timers: `"Timeout"` (S29).
///
/// ```
/// assert_eq!(async_hooks_tokio::time::TIMEOUT, "Timeout");
/// ```
pub const TIMEOUT: &str = "Timeout";

/// Creates a resource of one of this crate's built-in types, all non-empty.
pub(crate) fn new_resource(
    ty: &'static str,
    trigger: Option<AsyncId>,
    payload: impl Any + Send + Sync,
    at: &'static Location<'static>,
) -> AsyncResource {
    crate::trace::start_from_env();
    let mut builder = AsyncResource::builder(ty).payload(payload).created_at(at);
    if let Some(trigger) = trigger {
        builder = builder.trigger(trigger);
    }
    builder
        .build()
        .expect("the built-in resource types are not empty")
}

pin_project! {
    /// Tokio's [`Sleep`](tokio::time::Sleep) as a `Timeout` resource: made by [`sleep`] and
    /// [`sleep_until`].
    ///
    /// Every poll runs in its scope; it is destroyed when it fires or is dropped, whichever
    /// comes first. Polls after it fired (after a [`reset`](Sleep::reset), say) run outside
    /// any scope: the resource has ended.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let sleep = async_hooks_tokio::time::sleep(Duration::from_millis(1));
    /// assert_eq!(sleep.resource().payload::<Duration>(), Some(&Duration::from_millis(1)));
    /// sleep.await;
    /// # }
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Sleep {
        #[pin]
        inner: tokio::time::Sleep,
        resource: AsyncResource,
    }
}

/// Waits until `duration` has elapsed, as a `Timeout` resource whose payload is `duration`
/// (S14, S28). See [`tokio::time::sleep`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
///
/// async_hooks_tokio::time::sleep(Duration::from_millis(5)).await;
/// # }
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let resource = new_resource(TIMEOUT, None, duration, Location::caller());
    Sleep {
        inner: tokio::time::sleep(duration),
        resource,
    }
}

/// Waits until `deadline`, as a `Timeout` resource whose payload is the [`Duration`] from now
/// to `deadline` (zero if it has passed). See [`tokio::time::sleep_until`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use async_hooks_tokio::time::{sleep_until, Instant};
/// use std::time::Duration;
///
/// sleep_until(Instant::now() + Duration::from_millis(5)).await;
/// # }
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    let duration = deadline.saturating_duration_since(Instant::now());
    let resource = new_resource(TIMEOUT, None, duration, Location::caller());
    Sleep {
        inner: tokio::time::sleep_until(deadline),
        resource,
    }
}

impl Sleep {
    /// The instant at which the sleep completes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use async_hooks_tokio::time::{sleep, Instant};
    /// use std::time::Duration;
    ///
    /// let s = sleep(Duration::from_secs(1));
    /// assert!(s.deadline() > Instant::now());
    /// # }
    /// ```
    pub fn deadline(&self) -> Instant {
        self.inner.deadline()
    }

    /// Whether the deadline has passed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let s = async_hooks_tokio::time::sleep(Duration::from_secs(1));
    /// assert!(!s.is_elapsed());
    /// # }
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.inner.is_elapsed()
    }

    /// Moves the deadline, like Node's `timeout.refresh()`: the resource stays the same.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use async_hooks_tokio::time::{sleep, Instant};
    /// use std::time::Duration;
    ///
    /// let mut s = Box::pin(sleep(Duration::from_secs(60)));
    /// s.as_mut().reset(Instant::now());
    /// s.await;
    /// # }
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.project().inner.reset(deadline);
    }

    /// The `Timeout` resource of this sleep.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let s = async_hooks_tokio::time::sleep(Duration::from_millis(1));
    /// assert_eq!(s.resource().resource().resource_type(), "Timeout");
    /// # }
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        &self.resource
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if this.resource.is_destroyed() {
            return this.inner.poll(cx);
        }
        let scope = this.resource.enter();
        let poll = this.inner.poll(cx);
        drop(scope);
        if poll.is_ready() {
            // Fired: `after` has run, now the one `destroy` (S17).
            let _ = this.resource.emit_destroy();
        }
        poll
    }
}

pin_project! {
    /// Tokio's [`Timeout`](tokio::time::Timeout) as a `Timeout` resource: made by [`timeout`].
    ///
    /// The inner future is polled inside the timer's scope too, so resources it creates have
    /// the timer as their trigger. Destroyed once, when it completes or is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let t = async_hooks_tokio::time::timeout(Duration::from_secs(1), async { 7 });
    /// assert_eq!(t.await, Ok(7));
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Timeout<F> {
        #[pin]
        inner: InAsyncScope<tokio::time::Timeout<F>>,
    }
}

/// Requires `future` to complete before `duration` has elapsed, as a `Timeout` resource whose
/// payload is `duration`. See [`tokio::time::timeout`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
///
/// let slow = std::future::pending::<()>();
/// let res = async_hooks_tokio::time::timeout(Duration::from_millis(5), slow).await;
/// assert!(res.is_err());
/// # }
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    let resource = new_resource(TIMEOUT, None, duration, Location::caller());
    Timeout {
        inner: resource.wrap_future(tokio::time::timeout(duration, future)),
    }
}

impl<F> Timeout<F> {
    /// The `Timeout` resource of this future.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let t = async_hooks_tokio::time::timeout(Duration::from_secs(1), async {});
    /// assert_eq!(t.resource().payload::<Duration>(), Some(&Duration::from_secs(1)));
    /// # }
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        self.inner.resource()
    }
}

impl<F> std::fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeout")
            .field("resource", self.inner.resource())
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}

/// Tokio's [`Interval`](tokio::time::Interval) as one `Timeout` resource for its whole life:
/// made by [`interval`]. Each tick is polled in its scope; dropping it destroys it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
///
/// let mut every = async_hooks_tokio::time::interval(Duration::from_millis(1));
/// every.tick().await; // the first tick completes at once
/// every.tick().await;
/// # }
/// ```
#[derive(Debug)]
pub struct Interval {
    inner: tokio::time::Interval,
    resource: AsyncResource,
}

/// Ticks every `period`, the first tick at once, as a `Timeout` resource whose payload is
/// `period`. See [`tokio::time::interval`].
///
/// # Panics
///
/// If `period` is zero, as Tokio does.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
///
/// let every = async_hooks_tokio::time::interval(Duration::from_millis(10));
/// assert_eq!(every.period(), Duration::from_millis(10));
/// # }
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    let inner = tokio::time::interval(period);
    let resource = new_resource(TIMEOUT, None, period, Location::caller());
    Interval { inner, resource }
}

impl Interval {
    /// Completes at the next tick, polled in the interval's scope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let mut every = async_hooks_tokio::time::interval(Duration::from_millis(1));
    /// let first = every.tick().await;
    /// assert!(every.tick().await > first);
    /// # }
    /// ```
    pub fn tick(&mut self) -> impl Future<Output = Instant> + '_ {
        in_scope_of(&self.resource, self.inner.tick())
    }

    /// Polls for the next tick inside the interval's scope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let mut every = async_hooks_tokio::time::interval(Duration::from_millis(1));
    /// std::future::poll_fn(|cx| every.poll_tick(cx)).await;
    /// # }
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let _scope = self.resource.enter();
        self.inner.poll_tick(cx)
    }

    /// The time between ticks.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let every = async_hooks_tokio::time::interval(Duration::from_secs(2));
    /// assert_eq!(every.period(), Duration::from_secs(2));
    /// # }
    /// ```
    pub fn period(&self) -> Duration {
        self.inner.period()
    }

    /// Restarts the period from now, like Node's `interval.refresh()`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let mut every = async_hooks_tokio::time::interval(Duration::from_millis(1));
    /// every.reset();
    /// every.tick().await;
    /// # }
    /// ```
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// What happens when ticks are missed. See [`tokio::time::Interval::missed_tick_behavior`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use async_hooks_tokio::time::{interval, MissedTickBehavior};
    /// use std::time::Duration;
    ///
    /// assert_eq!(interval(Duration::from_secs(1)).missed_tick_behavior(), MissedTickBehavior::Burst);
    /// # }
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.inner.missed_tick_behavior()
    }

    /// Sets what happens when ticks are missed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use async_hooks_tokio::time::{interval, MissedTickBehavior};
    /// use std::time::Duration;
    ///
    /// let mut every = interval(Duration::from_secs(1));
    /// every.set_missed_tick_behavior(MissedTickBehavior::Skip);
    /// assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// # }
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.inner.set_missed_tick_behavior(behavior);
    }

    /// The `Timeout` resource of this interval.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    ///
    /// let every = async_hooks_tokio::time::interval(Duration::from_secs(1));
    /// assert_eq!(every.resource().resource().resource_type(), "Timeout");
    /// # }
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        &self.resource
    }
}

/// Node's `setTimeout`: spawns a task (with [`crate::spawn`], so a `TASK` resource too) that
/// waits `delay`, then runs `callback` inside a `Timeout` resource's scope and returns its
/// result through the [`JoinHandle`].
///
/// The `Timeout` is created now, before the task (`init`, trigger: the current execution id,
/// payload: `delay`); the hooks see `before`/`after` of it around `callback`, nested in the
/// task's scope, then its `destroy`. Aborting the
/// handle before it fires is Node's `clearTimeout`: the resource is destroyed without running.
///
/// Must be called inside a Tokio runtime.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use async_hooks::execution_async_id;
/// use std::time::Duration;
///
/// let handle = async_hooks_tokio::time::set_timeout(Duration::from_millis(1), || {
///     execution_async_id() // the Timeout's id
/// });
/// assert!(handle.await.unwrap().as_u64() > 1);
/// # }
/// ```
#[track_caller]
pub fn set_timeout<F, R>(delay: Duration, callback: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let resource = new_resource(TIMEOUT, None, delay, Location::caller());
    crate::task::spawn(async move {
        tokio::time::sleep(delay).await;
        let out = resource.run_in_async_scope(callback);
        drop(resource); // `destroy` after `after` (S17)
        out
    })
}

/// Node's `setInterval`: spawns a task (with [`crate::spawn`]) that runs `callback` inside one
/// `Timeout` resource's scope every `period`, the first time after one `period`. Abort the returned handle to stop
/// it (Node's `clearInterval`); that destroys the resource.
///
/// Must be called inside a Tokio runtime.
///
/// # Panics
///
/// If `period` is zero.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let count = Arc::new(AtomicU32::new(0));
/// let c = count.clone();
/// let handle = async_hooks_tokio::time::set_interval(Duration::from_millis(1), move || {
///     c.fetch_add(1, Ordering::SeqCst);
/// });
/// while count.load(Ordering::SeqCst) < 3 {
///     tokio::time::sleep(Duration::from_millis(1)).await;
/// }
/// handle.abort();
/// # }
/// ```
#[track_caller]
pub fn set_interval<F>(period: Duration, mut callback: F) -> JoinHandle<()>
where
    F: FnMut() + Send + 'static,
{
    assert!(!period.is_zero(), "`set_interval` period must be non-zero");
    let resource = new_resource(TIMEOUT, None, period, Location::caller());
    let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
    crate::task::spawn(async move {
        loop {
            ticks.tick().await;
            resource.run_in_async_scope(&mut callback);
        }
    })
}
