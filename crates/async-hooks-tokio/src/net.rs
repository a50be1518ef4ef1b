//! TCP, UDP and name resolution as async resources with Node's type names (SPEC S29).
//!
//! | Tokio | resource | payload (S28) | trigger |
//! |---|---|---|---|
//! | [`TcpListener::bind`] | [`TCPSERVERWRAP`], for the listener's life | local [`SocketAddr`] | the binding code |
//! | [`TcpListener::accept`] | [`TCPWRAP`], for the stream's life | peer [`SocketAddr`] | the listener |
//! | [`TcpStream::connect`] | [`TCPWRAP`] for the stream, then [`TCPCONNECTWRAP`] for the connect | peer [`SocketAddr`] | the connecting code; the `TCPWRAP` |
//! | [`UdpSocket::bind`] | [`UDPWRAP`], for the socket's life | local [`SocketAddr`] | the binding code |
//! | [`lookup_host`] | [`GETADDRINFOREQWRAP`], for the lookup | the host, as given | the calling code |
//!
//! The order and triggers are Node v20's: an accepted connection's trigger is the server, and
//! a client's connect request is triggered by its socket. Every poll of `accept` runs in the
//! listener's scope, as Node's `connection` callback runs in the server's. To run the code that
//! serves a connection in the connection's scope, use [`TcpStream::serve`] or
//! [`TcpStream::in_scope`]; reads and writes themselves are plain delegation.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use async_hooks::{execution_async_id, AsyncResource};
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::ToSocketAddrs;

use async_hooks::future::in_scope_of;

use crate::time::new_resource;

/// Node's type for a listening TCP socket.
///
/// ```
/// assert_eq!(async_hooks_tokio::net::TCPSERVERWRAP, "TCPSERVERWRAP");
/// ```
pub const TCPSERVERWRAP: &str = "TCPSERVERWRAP";
/// Node's type for a TCP connection.
///
/// ```
/// assert_eq!(async_hooks_tokio::net::TCPWRAP, "TCPWRAP");
/// ```
pub const TCPWRAP: &str = "TCPWRAP";
/// Node's type for an outgoing TCP connect request.
///
/// ```
/// assert_eq!(async_hooks_tokio::net::TCPCONNECTWRAP, "TCPCONNECTWRAP");
/// ```
pub const TCPCONNECTWRAP: &str = "TCPCONNECTWRAP";
/// Node's type for a UDP socket.
///
/// ```
/// assert_eq!(async_hooks_tokio::net::UDPWRAP, "UDPWRAP");
/// ```
pub const UDPWRAP: &str = "UDPWRAP";
/// Node's type for a host name lookup.
///
/// ```
/// assert_eq!(async_hooks_tokio::net::GETADDRINFOREQWRAP, "GETADDRINFOREQWRAP");
/// ```
pub const GETADDRINFOREQWRAP: &str = "GETADDRINFOREQWRAP";

/// A listening TCP socket, a `TCPSERVERWRAP` resource from bind to drop.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use async_hooks_tokio::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let client = TcpStream::connect(listener.local_addr()?).await?;
/// let (conn, _peer) = listener.accept().await?;
/// assert_eq!(conn.resource().trigger_async_id(), listener.resource().async_id());
/// # drop(client); Ok(()) }
/// ```
#[derive(Debug)]
pub struct TcpListener {
    inner: tokio::net::TcpListener,
    resource: AsyncResource,
}

impl TcpListener {
    /// Binds to `addr` (see [`tokio::net::TcpListener::bind`]); once bound, the listener is a
    /// `TCPSERVERWRAP` resource whose payload is its local address and whose trigger is the
    /// execution id at the call.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::net::SocketAddr;
    ///
    /// let listener = async_hooks_tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.resource().payload::<SocketAddr>().copied();
    /// assert_eq!(addr, Some(listener.local_addr()?));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn bind<A: ToSocketAddrs>(addr: A) -> impl Future<Output = io::Result<TcpListener>> {
        let at = Location::caller();
        let trigger = execution_async_id();
        async move {
            let inner = tokio::net::TcpListener::bind(addr).await?;
            let local = inner.local_addr()?;
            let resource = new_resource(TCPSERVERWRAP, Some(trigger), local, at);
            Ok(TcpListener { inner, resource })
        }
    }

    /// Wraps a Tokio listener, which becomes a `TCPSERVERWRAP` resource now.
    ///
    /// # Errors
    ///
    /// If its local address cannot be read.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::net::TcpListener;
    ///
    /// let tokio_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let listener = TcpListener::from_tokio(tokio_listener)?;
    /// # drop(listener); Ok(()) }
    /// ```
    #[track_caller]
    pub fn from_tokio(inner: tokio::net::TcpListener) -> io::Result<TcpListener> {
        let local = inner.local_addr()?;
        let resource = new_resource(TCPSERVERWRAP, None, local, Location::caller());
        Ok(TcpListener { inner, resource })
    }

    /// Accepts a connection: a [`TcpStream`] that is a `TCPWRAP` resource whose trigger is
    /// this listener and whose payload is the peer's address. Every poll runs in the
    /// listener's scope. Cancelling it (dropping the future) creates no resource.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (conn, peer) = listener.accept().await?;
    /// assert_eq!(peer, client.local_addr()?);
    /// # drop(conn); Ok(()) }
    /// ```
    #[track_caller]
    pub fn accept(&self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + '_ {
        let at = Location::caller();
        std::future::poll_fn(move |cx| self.poll_accept_at(cx, at))
    }

    /// Polls for a connection, as [`accept`](Self::accept) does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let _client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_conn, _) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.poll_accept_at(cx, Location::caller())
    }

    fn poll_accept_at(
        &self,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let _scope = self.resource.enter();
        let (inner, peer) = ready!(self.inner.poll_accept(cx))?;
        let resource = new_resource(TCPWRAP, Some(self.resource.async_id()), peer, at);
        Poll::Ready(Ok((TcpStream::new(inner, resource), peer)))
    }

    /// The local address.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let listener = async_hooks_tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// assert!(listener.local_addr()?.ip().is_loopback());
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The `TCPSERVERWRAP` resource; run a "listen callback" in its scope with
    /// [`run_in_async_scope`](AsyncResource::run_in_async_scope).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let listener = async_hooks_tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let id = listener.resource().run_in_async_scope(async_hooks::execution_async_id);
    /// assert_eq!(id, listener.resource().async_id());
    /// # Ok(()) }
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        &self.resource
    }

    /// The Tokio listener; the resource is destroyed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let listener = async_hooks_tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let plain: tokio::net::TcpListener = listener.into_inner();
    /// # drop(plain); Ok(()) }
    /// ```
    pub fn into_inner(self) -> tokio::net::TcpListener {
        self.inner
    }
}

pin_project! {
    /// A TCP connection, a `TCPWRAP` resource for its whole life: made by
    /// [`TcpListener::accept`] or [`TcpStream::connect`], destroyed when the stream and every
    /// future made by [`serve`](Self::serve) or [`in_scope`](Self::in_scope) are dropped.
    ///
    /// Reads and writes ([`AsyncRead`], [`AsyncWrite`]) delegate to Tokio's stream.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::net::{TcpListener, TcpStream};
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut conn, _) = listener.accept().await?;
    /// conn.write_all(b"hi").await?;
    /// let mut buf = [0; 2];
    /// client.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"hi");
    /// # Ok(()) }
    /// ```
    #[derive(Debug)]
    pub struct TcpStream {
        #[pin]
        inner: tokio::net::TcpStream,
        resource: Arc<AsyncResource>,
    }
}

impl TcpStream {
    fn new(inner: tokio::net::TcpStream, resource: AsyncResource) -> TcpStream {
        TcpStream {
            inner,
            resource: Arc::new(resource),
        }
    }

    /// Connects to `addr`, as Node's `net.connect` does: for each address `addr` resolves to,
    /// a `TCPWRAP` for the stream (trigger: the execution id at the call), then a
    /// `TCPCONNECTWRAP` request (trigger: that `TCPWRAP`), both with the peer address as
    /// payload. The connect is polled in the request's scope, and the request is destroyed
    /// when it completes. Resolving a host name here creates no resource; call
    /// [`lookup_host`] first for a `GETADDRINFOREQWRAP`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::net::{TcpListener, TcpStream};
    /// use std::net::SocketAddr;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(client.resource().payload::<SocketAddr>().copied(), Some(listener.local_addr()?));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn connect<A: ToSocketAddrs>(addr: A) -> impl Future<Output = io::Result<TcpStream>> {
        let at = Location::caller();
        let trigger = execution_async_id();
        async move {
            let mut last_err = None;
            for peer in tokio::net::lookup_host(addr).await? {
                let socket = new_resource(TCPWRAP, Some(trigger), peer, at);
                let request = new_resource(TCPCONNECTWRAP, Some(socket.async_id()), peer, at);
                match request
                    .wrap_future(tokio::net::TcpStream::connect(peer))
                    .await
                {
                    Ok(inner) => return Ok(TcpStream::new(inner, socket)),
                    Err(e) => last_err = Some(e),
                }
            }
            Err(last_err.unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "could not resolve to any address",
                )
            }))
        }
    }

    /// Runs the code that serves this connection in its scope: calls `f` with the stream
    /// inside the scope, then enters the scope around every poll of the future it returns.
    /// Resources made there have this connection as their trigger.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks::execution_async_id;
    /// use async_hooks_tokio::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let _client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (conn, _) = listener.accept().await?;
    /// let id = conn.resource().async_id();
    /// let seen = conn.serve(|_conn| async move { execution_async_id() }).await;
    /// assert_eq!(seen, id);
    /// # Ok(()) }
    /// ```
    pub fn serve<F, Fut>(self, f: F) -> impl Future<Output = Fut::Output>
    where
        F: FnOnce(TcpStream) -> Fut,
        Fut: Future,
    {
        let resource = Arc::clone(&self.resource);
        let future = resource.run_in_async_scope(|| f(self));
        in_scope_of(resource, future)
    }

    /// Runs `future` in this connection's scope on every poll, keeping the resource alive
    /// until the future is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks::execution_async_id;
    /// use async_hooks_tokio::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let seen = client.in_scope(async { execution_async_id() }).await;
    /// assert_eq!(seen, client.resource().async_id());
    /// # Ok(()) }
    /// ```
    pub fn in_scope<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        in_scope_of(Arc::clone(&self.resource), future)
    }

    /// The `TCPWRAP` resource.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(client.resource().resource().resource_type(), "TCPWRAP");
    /// # Ok(()) }
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        &self.resource
    }

    /// The local address.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::{TcpListener, TcpStream};
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// assert!(client.local_addr()?.ip().is_loopback());
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The peer's address.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::{TcpListener, TcpStream};
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(client.peer_addr()?, listener.local_addr()?);
    /// # Ok(()) }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The Tokio stream, for what this wrapper does not offer.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::{TcpListener, TcpStream};
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// client.get_ref().set_nodelay(true)?;
    /// # Ok(()) }
    /// ```
    pub fn get_ref(&self) -> &tokio::net::TcpStream {
        &self.inner
    }

    /// The Tokio stream, mutably.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::{TcpListener, TcpStream};
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_read, _write) = client.get_mut().split();
    /// # Ok(()) }
    /// ```
    pub fn get_mut(&mut self) -> &mut tokio::net::TcpStream {
        &mut self.inner
    }

    /// The Tokio stream; the resource is destroyed unless a [`serve`](Self::serve) or
    /// [`in_scope`](Self::in_scope) future still holds it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::{TcpListener, TcpStream};
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let plain: tokio::net::TcpStream = client.into_inner();
    /// # drop(plain); Ok(()) }
    /// ```
    pub fn into_inner(self) -> tokio::net::TcpStream {
        self.inner
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.project().inner.poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A UDP socket, a `UDPWRAP` resource from bind to drop (payload: its local address). Its
/// async methods are polled in its scope, as Node runs a socket's `message` callbacks.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use async_hooks_tokio::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"ping", b.local_addr()?).await?;
/// let mut buf = [0; 4];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    inner: tokio::net::UdpSocket,
    resource: AsyncResource,
}

impl UdpSocket {
    /// Binds to `addr`; once bound, the socket is a `UDPWRAP` resource whose payload is its
    /// local address. See [`tokio::net::UdpSocket::bind`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::net::SocketAddr;
    ///
    /// let sock = async_hooks_tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_eq!(sock.resource().payload::<SocketAddr>().copied(), Some(sock.local_addr()?));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn bind<A: ToSocketAddrs>(addr: A) -> impl Future<Output = io::Result<UdpSocket>> {
        let at = Location::caller();
        let trigger = execution_async_id();
        async move {
            let inner = tokio::net::UdpSocket::bind(addr).await?;
            let local = inner.local_addr()?;
            let resource = new_resource(UDPWRAP, Some(trigger), local, at);
            Ok(UdpSocket { inner, resource })
        }
    }

    /// Sets the default peer for [`send`](Self::send) and [`recv`](Self::recv).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// a.send(b"x").await?;
    /// let mut buf = [0; 1];
    /// assert_eq!(b.recv(&mut buf).await?, 1);
    /// # Ok(()) }
    /// ```
    pub fn connect<'a, A>(&'a self, addr: A) -> impl Future<Output = io::Result<()>> + 'a
    where
        A: ToSocketAddrs + 'a,
    {
        in_scope_of(&self.resource, self.inner.connect(addr))
    }

    /// Sends to the connected peer, in the socket's scope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::UdpSocket;
    /// # let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// # let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// assert_eq!(a.send(b"abc").await?, 3);
    /// # Ok(()) }
    /// ```
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        in_scope_of(&self.resource, self.inner.send(buf))
    }

    /// Receives from the connected peer, in the socket's scope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::UdpSocket;
    /// # let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// # let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// # b.connect(a.local_addr()?).await?;
    /// a.send_to(b"abc", b.local_addr()?).await?;
    /// let mut buf = [0; 8];
    /// assert_eq!(b.recv(&mut buf).await?, 3);
    /// # Ok(()) }
    /// ```
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        in_scope_of(&self.resource, self.inner.recv(buf))
    }

    /// Sends to `target`, in the socket's scope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::UdpSocket;
    /// # let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// # let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_eq!(a.send_to(b"abc", b.local_addr()?).await?, 3);
    /// # Ok(()) }
    /// ```
    pub fn send_to<'a, A>(
        &'a self,
        buf: &'a [u8],
        target: A,
    ) -> impl Future<Output = io::Result<usize>> + 'a
    where
        A: ToSocketAddrs + 'a,
    {
        in_scope_of(&self.resource, self.inner.send_to(buf, target))
    }

    /// Receives a datagram and its sender, in the socket's scope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// # use async_hooks_tokio::net::UdpSocket;
    /// # let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// # let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.send_to(b"abc", b.local_addr()?).await?;
    /// let mut buf = [0; 8];
    /// let (n, from) = b.recv_from(&mut buf).await?;
    /// assert_eq!((n, from), (3, a.local_addr()?));
    /// # Ok(()) }
    /// ```
    pub fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + 'a {
        in_scope_of(&self.resource, self.inner.recv_from(buf))
    }

    /// The local address.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let sock = async_hooks_tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// assert!(sock.local_addr()?.port() > 0);
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The `UDPWRAP` resource.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let sock = async_hooks_tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_eq!(sock.resource().resource().resource_type(), "UDPWRAP");
    /// # Ok(()) }
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        &self.resource
    }

    /// The Tokio socket, for what this wrapper does not offer.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let sock = async_hooks_tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// sock.get_ref().set_broadcast(false)?;
    /// # Ok(()) }
    /// ```
    pub fn get_ref(&self) -> &tokio::net::UdpSocket {
        &self.inner
    }

    /// The Tokio socket; the resource is destroyed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let sock = async_hooks_tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// let plain: tokio::net::UdpSocket = sock.into_inner();
    /// # drop(plain); Ok(()) }
    /// ```
    pub fn into_inner(self) -> tokio::net::UdpSocket {
        self.inner
    }
}

/// Resolves `host` (`"name:port"`, as [`tokio::net::lookup_host`] takes it) as a
/// `GETADDRINFOREQWRAP` resource whose payload is `host` as a [`String`], created now and
/// destroyed when the lookup completes or is dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let addrs: Vec<_> = async_hooks_tokio::net::lookup_host("127.0.0.1:80").await?.collect();
/// assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn lookup_host(
    host: impl Into<String>,
) -> impl Future<Output = io::Result<impl Iterator<Item = SocketAddr>>> {
    let host: String = host.into();
    let request = new_resource(GETADDRINFOREQWRAP, None, host.clone(), Location::caller());
    request.wrap_future(tokio::net::lookup_host(host))
}
