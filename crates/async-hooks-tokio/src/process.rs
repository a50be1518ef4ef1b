//! Child processes as async resources of Node's type [`PROCESSWRAP`] (SPEC S29).
//!
//! [`Command`] wraps Tokio's. Each process it starts is one `PROCESSWRAP` resource whose
//! payload is the program name as a [`String`] (S28): a [`Child`] from [`Command::spawn`] to
//! its drop, with [`Child::wait`] and [`Child::wait_with_output`] polled in its scope; and for
//! [`Command::status`] and [`Command::output`], from the call until the future completes.
//! As in Node, the resource exists before the spawn, so a failed spawn is an `init` and a
//! `destroy`.

use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use async_hooks::AsyncResource;
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};

use async_hooks::future::in_scope_of;

use crate::time::new_resource;

/// Node's type for a child process.
///
/// ```
/// assert_eq!(async_hooks_tokio::process::PROCESSWRAP, "PROCESSWRAP");
/// ```
pub const PROCESSWRAP: &str = "PROCESSWRAP";

/// A command to run, as [`tokio::process::Command`], whose processes are resources.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use async_hooks_tokio::process::Command;
///
/// let out = Command::new("echo").arg("hi").output().await?;
/// assert_eq!(out.stdout, b"hi\n");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Command {
    inner: tokio::process::Command,
    program: String,
}

impl Command {
    /// A command that runs `program`. See [`tokio::process::Command::new`].
    ///
    /// ```
    /// let cmd = async_hooks_tokio::process::Command::new("true");
    /// # drop(cmd);
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        let program = program.as_ref();
        Command {
            inner: tokio::process::Command::new(program),
            program: program.to_string_lossy().into_owned(),
        }
    }

    /// Adds an argument.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("echo");
    /// cmd.arg("hello");
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("echo");
    /// cmd.args(["a", "b"]);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("env");
    /// cmd.env("GREETING", "hi");
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env(key, val);
        self
    }

    /// Sets the working directory.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("ls");
    /// cmd.current_dir(std::env::temp_dir());
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.inner.current_dir(dir);
        self
    }

    /// Sets the child's standard input.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("cat");
    /// cmd.stdin(std::process::Stdio::null());
    /// ```
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.inner.stdin(cfg);
        self
    }

    /// Sets the child's standard output.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("echo");
    /// cmd.stdout(std::process::Stdio::piped());
    /// ```
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.inner.stdout(cfg);
        self
    }

    /// Sets the child's standard error.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("echo");
    /// cmd.stderr(std::process::Stdio::null());
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.inner.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] kills the process.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("sleep");
    /// cmd.arg("60").kill_on_drop(true);
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.inner.kill_on_drop(kill_on_drop);
        self
    }

    /// Tokio's command, for the options this wrapper does not offer.
    ///
    /// ```
    /// let mut cmd = async_hooks_tokio::process::Command::new("env");
    /// cmd.as_tokio_mut().env_clear();
    /// ```
    pub fn as_tokio_mut(&mut self) -> &mut tokio::process::Command {
        &mut self.inner
    }

    /// Starts the process as a `PROCESSWRAP` resource (trigger: the execution id at the call).
    ///
    /// # Errors
    ///
    /// As [`tokio::process::Command::spawn`]; the resource is then destroyed at once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::process::Command;
    ///
    /// let mut child = Command::new("true").spawn()?;
    /// assert_eq!(child.resource().payload::<String>().map(String::as_str), Some("true"));
    /// assert!(child.wait().await?.success());
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        let resource = self.resource(Location::caller());
        let mut inner = self.inner.spawn()?;
        Ok(Child {
            stdin: inner.stdin.take(),
            stdout: inner.stdout.take(),
            stderr: inner.stderr.take(),
            inner,
            resource,
        })
    }

    /// Runs the process to its end and returns its status, as one `PROCESSWRAP` resource
    /// created now and destroyed when the future completes or is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let status = async_hooks_tokio::process::Command::new("false").status().await?;
    /// assert!(!status.success());
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> {
        let resource = self.resource(Location::caller());
        resource.wrap_future(self.inner.status())
    }

    /// Runs the process to its end and collects its output, as one `PROCESSWRAP` resource
    /// created now and destroyed when the future completes or is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let out = async_hooks_tokio::process::Command::new("echo").arg("x").output().await?;
    /// assert_eq!(out.stdout, b"x\n");
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> {
        let resource = self.resource(Location::caller());
        resource.wrap_future(self.inner.output())
    }

    fn resource(&self, at: &'static Location<'static>) -> AsyncResource {
        new_resource(PROCESSWRAP, None, self.program.clone(), at)
    }
}

/// A running process, a `PROCESSWRAP` resource until it is dropped (or consumed by
/// [`wait_with_output`](Child::wait_with_output)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use async_hooks_tokio::process::Command;
///
/// let mut child = Command::new("sleep").arg("0").spawn()?;
/// child.wait().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Child {
    /// The child's standard input, if it was piped.
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, if it was piped.
    pub stderr: Option<ChildStderr>,
    inner: tokio::process::Child,
    resource: AsyncResource,
}

impl Child {
    /// The OS process id, while the process has not been waited for.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let child = async_hooks_tokio::process::Command::new("true").spawn()?;
    /// assert!(child.id().is_some());
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> Option<u32> {
        self.inner.id()
    }

    /// Waits for the process to exit, polled in its scope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let mut child = async_hooks_tokio::process::Command::new("true").spawn()?;
    /// assert!(child.wait().await?.success());
    /// # Ok(()) }
    /// ```
    pub fn wait(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + '_ {
        // Like Tokio, close stdin first so a child reading it can finish.
        drop(self.stdin.take());
        in_scope_of(&self.resource, self.inner.wait())
    }

    /// Sends the process a kill signal without waiting.
    ///
    /// # Errors
    ///
    /// As [`tokio::process::Child::start_kill`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let mut child = async_hooks_tokio::process::Command::new("sleep").arg("60").spawn()?;
    /// child.start_kill()?;
    /// assert!(!child.wait().await?.success());
    /// # Ok(()) }
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        self.inner.start_kill()
    }

    /// Waits for the process and collects its piped output, polled in its scope; the
    /// resource is destroyed when this completes or is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use async_hooks_tokio::process::Command;
    /// use std::process::Stdio;
    ///
    /// let child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
    /// assert_eq!(child.wait_with_output().await?.stdout, b"hi\n");
    /// # Ok(()) }
    /// ```
    pub fn wait_with_output(self) -> impl Future<Output = io::Result<Output>> {
        let Child {
            stdin,
            stdout,
            stderr,
            mut inner,
            resource,
        } = self;
        inner.stdin = stdin;
        inner.stdout = stdout;
        inner.stderr = stderr;
        resource.wrap_future(inner.wait_with_output())
    }

    /// The `PROCESSWRAP` resource.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let child = async_hooks_tokio::process::Command::new("true").spawn()?;
    /// assert_eq!(child.resource().resource().resource_type(), "PROCESSWRAP");
    /// # Ok(()) }
    /// ```
    pub fn resource(&self) -> &AsyncResource {
        &self.resource
    }
}
