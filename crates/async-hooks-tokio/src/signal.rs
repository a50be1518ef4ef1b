//! Signal listeners as async resources of Node's type [`SIGNALWRAP`] (SPEC S29).
//!
//! [`ctrl_c`] is one resource for the life of its future; a [`unix::Signal`] stream is one
//! for its whole life, with every `recv` polled in its scope, as Node runs a
//! `process.on('SIGxxx')` listener in its `SIGNALWRAP`'s scope. On Unix the payload is the
//! [`unix::SignalKind`] (S28).

use std::future::Future;
use std::io;
use std::panic::Location;

use crate::time::new_resource;

/// Node's type for a signal listener.
///
/// ```
/// assert_eq!(async_hooks_tokio::signal::SIGNALWRAP, "SIGNALWRAP");
/// ```
pub const SIGNALWRAP: &str = "SIGNALWRAP";

/// Completes at the next Ctrl-C (`SIGINT` on Unix), as a `SIGNALWRAP` resource created now,
/// polled in its scope, and destroyed when the future completes or is dropped. See
/// [`tokio::signal::ctrl_c`].
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// async_hooks_tokio::signal::ctrl_c().await?;
/// println!("interrupted");
/// # Ok(()) }
/// ```
#[track_caller]
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> {
    #[cfg(unix)]
    let payload = tokio::signal::unix::SignalKind::interrupt();
    #[cfg(not(unix))]
    let payload = "ctrl_c";
    new_resource(SIGNALWRAP, None, payload, Location::caller()).wrap_future(tokio::signal::ctrl_c())
}

/// Unix signal streams.
#[cfg(unix)]
pub mod unix {
    use std::io;
    use std::panic::Location;
    use std::task::{Context, Poll};

    use async_hooks::AsyncResource;

    pub use tokio::signal::unix::SignalKind;

    use super::SIGNALWRAP;
    use async_hooks::future::in_scope_of;

    use crate::time::new_resource;

    /// A stream of one kind of signal, a `SIGNALWRAP` resource from creation to drop, whose
    /// payload is its [`SignalKind`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::signal::unix::{signal, SignalKind};
    ///
    /// let hangups = signal(SignalKind::hangup())?;
    /// assert_eq!(hangups.resource().payload::<SignalKind>(), Some(&SignalKind::hangup()));
    /// # Ok(()) }
    /// ```
    #[derive(Debug)]
    pub struct Signal {
        inner: tokio::signal::unix::Signal,
        resource: AsyncResource,
    }

    /// Listens for signals of `kind`. See [`tokio::signal::unix::signal`].
    ///
    /// # Errors
    ///
    /// As Tokio: the signal cannot be listened for, or there is no runtime with I/O enabled.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::signal::unix::{signal, SignalKind};
    ///
    /// let terms = signal(SignalKind::terminate())?;
    /// # drop(terms);
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn signal(kind: SignalKind) -> io::Result<Signal> {
        let at = Location::caller();
        let inner = tokio::signal::unix::signal(kind)?;
        let resource = new_resource(SIGNALWRAP, None, kind, at);
        Ok(Signal { inner, resource })
    }

    impl Signal {
        /// Completes at the next signal (`None` if no more can come), polled in the stream's
        /// scope.
        ///
        /// ```no_run
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() -> std::io::Result<()> {
        /// use async_hooks_tokio::signal::unix::{signal, SignalKind};
        ///
        /// let mut hangups = signal(SignalKind::hangup())?;
        /// while hangups.recv().await.is_some() {
        ///     println!("reloading configuration");
        /// }
        /// # Ok(()) }
        /// ```
        pub fn recv(&mut self) -> impl std::future::Future<Output = Option<()>> + '_ {
            in_scope_of(&self.resource, self.inner.recv())
        }

        /// Polls for the next signal inside the stream's scope.
        ///
        /// ```no_run
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() -> std::io::Result<()> {
        /// use async_hooks_tokio::signal::unix::{signal, SignalKind};
        ///
        /// let mut hangups = signal(SignalKind::hangup())?;
        /// std::future::poll_fn(|cx| hangups.poll_recv(cx)).await;
        /// # Ok(()) }
        /// ```
        pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
            let _scope = self.resource.enter();
            self.inner.poll_recv(cx)
        }

        /// The `SIGNALWRAP` resource.
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() -> std::io::Result<()> {
        /// use async_hooks_tokio::signal::unix::{signal, SignalKind};
        ///
        /// let s = signal(SignalKind::hangup())?;
        /// assert_eq!(s.resource().resource().resource_type(), "SIGNALWRAP");
        /// # Ok(()) }
        /// ```
        pub fn resource(&self) -> &AsyncResource {
            &self.resource
        }
    }
}
