//! File system operations as async resources of Node's type [`FSREQCALLBACK`] (SPEC S29).
//!
//! Each function mirrors the [`tokio::fs`] function of the same name. Calling it creates one
//! `FSREQCALLBACK` resource at once (`init`, with an [`FsRequest`] naming the operation and
//! its paths as payload, S14, S28); every poll of the returned future runs in its scope, and it
//! is destroyed once when the operation completes or the future is dropped (S15, S17). The
//! blocking work itself runs on Tokio's blocking pool, outside the scope.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use async_hooks_tokio::fs;
//!
//! let path = std::env::temp_dir().join(format!("ahfs-mod-{}", std::process::id()));
//! fs::write(&path, "hello").await?;
//! assert_eq!(fs::read_to_string(&path).await?, "hello");
//! fs::remove_file(&path).await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;
use std::panic::Location;
use std::path::{Path, PathBuf};

pub use tokio::fs::{DirEntry, ReadDir};

use crate::time::new_resource;

/// Node's type for a file system request.
///
/// ```
/// assert_eq!(async_hooks_tokio::fs::FSREQCALLBACK, "FSREQCALLBACK");
/// ```
pub const FSREQCALLBACK: &str = "FSREQCALLBACK";

/// The payload of an `FSREQCALLBACK` resource: which operation, on which path(s).
///
/// ```
/// use async_hooks::{create_hook, hook_println, FnHook};
/// use async_hooks_tokio::fs::FsRequest;
///
/// let hook = create_hook(FnHook::new().on_init(|id, ty, _, res| {
///     if let Some(req) = res.payload::<FsRequest>() {
///         hook_println!("{ty}({id}): {} {}", req.op, req.path.display());
///     }
/// }));
/// # drop(hook);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FsRequest {
    /// The operation: the name of the function, such as `"read"` or `"rename"`.
    pub op: &'static str,
    /// The path operated on (the source, for `copy` and `rename`).
    pub path: PathBuf,
    /// The destination, for `copy` and `rename`.
    pub dest: Option<PathBuf>,
}

#[track_caller]
fn request<F: Future>(
    op: &'static str,
    path: &Path,
    dest: Option<&Path>,
    future: F,
) -> impl Future<Output = F::Output> {
    let payload = FsRequest {
        op,
        path: path.to_path_buf(),
        dest: dest.map(Path::to_path_buf),
    };
    new_resource(FSREQCALLBACK, None, payload, Location::caller()).wrap_future(future)
}

/// Reads a whole file. See [`tokio::fs::read`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let path = std::env::temp_dir().join(format!("ahfs-read-{}", std::process::id()));
/// # tokio::fs::write(&path, b"abc").await?;
/// assert_eq!(async_hooks_tokio::fs::read(&path).await?, b"abc");
/// # tokio::fs::remove_file(&path).await?;
/// # Ok(()) }
/// ```
#[track_caller]
pub fn read(path: impl AsRef<Path>) -> impl Future<Output = io::Result<Vec<u8>>> {
    let path = path.as_ref().to_path_buf();
    request("read", &path, None, tokio::fs::read(path.clone()))
}

/// Reads a whole file as UTF-8. See [`tokio::fs::read_to_string`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let path = std::env::temp_dir().join(format!("ahfs-rts-{}", std::process::id()));
/// # tokio::fs::write(&path, "abc").await?;
/// assert_eq!(async_hooks_tokio::fs::read_to_string(&path).await?, "abc");
/// # tokio::fs::remove_file(&path).await?;
/// # Ok(()) }
/// ```
#[track_caller]
pub fn read_to_string(path: impl AsRef<Path>) -> impl Future<Output = io::Result<String>> {
    let path = path.as_ref().to_path_buf();
    request(
        "read_to_string",
        &path,
        None,
        tokio::fs::read_to_string(path.clone()),
    )
}

/// Writes a whole file, creating or truncating it. See [`tokio::fs::write`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ahfs-write-{}", std::process::id()));
/// async_hooks_tokio::fs::write(&path, b"abc").await?;
/// # tokio::fs::remove_file(&path).await?;
/// # Ok(()) }
/// ```
#[track_caller]
pub fn write(
    path: impl AsRef<Path>,
    contents: impl AsRef<[u8]>,
) -> impl Future<Output = io::Result<()>> {
    let path = path.as_ref().to_path_buf();
    let contents = contents.as_ref().to_vec();
    request(
        "write",
        &path,
        None,
        tokio::fs::write(path.clone(), contents),
    )
}

/// Reads a path's metadata, following symbolic links. See [`tokio::fs::metadata`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let meta = async_hooks_tokio::fs::metadata(std::env::temp_dir()).await?;
/// assert!(meta.is_dir());
/// # Ok(()) }
/// ```
#[track_caller]
pub fn metadata(path: impl AsRef<Path>) -> impl Future<Output = io::Result<std::fs::Metadata>> {
    let path = path.as_ref().to_path_buf();
    request("metadata", &path, None, tokio::fs::metadata(path.clone()))
}

/// Creates a directory and all its missing parents. See [`tokio::fs::create_dir_all`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("ahfs-cda-{}", std::process::id()));
/// async_hooks_tokio::fs::create_dir_all(dir.join("a/b")).await?;
/// # tokio::fs::remove_dir_all(&dir).await?;
/// # Ok(()) }
/// ```
#[track_caller]
pub fn create_dir_all(path: impl AsRef<Path>) -> impl Future<Output = io::Result<()>> {
    let path = path.as_ref().to_path_buf();
    request(
        "create_dir_all",
        &path,
        None,
        tokio::fs::create_dir_all(path.clone()),
    )
}

/// Removes a file. See [`tokio::fs::remove_file`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let path = std::env::temp_dir().join(format!("ahfs-rm-{}", std::process::id()));
/// # tokio::fs::write(&path, b"").await?;
/// async_hooks_tokio::fs::remove_file(&path).await?;
/// # Ok(()) }
/// ```
#[track_caller]
pub fn remove_file(path: impl AsRef<Path>) -> impl Future<Output = io::Result<()>> {
    let path = path.as_ref().to_path_buf();
    request(
        "remove_file",
        &path,
        None,
        tokio::fs::remove_file(path.clone()),
    )
}

/// Removes a directory and everything in it. See [`tokio::fs::remove_dir_all`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let dir = std::env::temp_dir().join(format!("ahfs-rmd-{}", std::process::id()));
/// # tokio::fs::create_dir_all(dir.join("x")).await?;
/// async_hooks_tokio::fs::remove_dir_all(&dir).await?;
/// # Ok(()) }
/// ```
#[track_caller]
pub fn remove_dir_all(path: impl AsRef<Path>) -> impl Future<Output = io::Result<()>> {
    let path = path.as_ref().to_path_buf();
    request(
        "remove_dir_all",
        &path,
        None,
        tokio::fs::remove_dir_all(path.clone()),
    )
}

/// Renames `from` to `to`. See [`tokio::fs::rename`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let from = std::env::temp_dir().join(format!("ahfs-mv1-{}", std::process::id()));
/// # let to = std::env::temp_dir().join(format!("ahfs-mv2-{}", std::process::id()));
/// # tokio::fs::write(&from, b"").await?;
/// async_hooks_tokio::fs::rename(&from, &to).await?;
/// # tokio::fs::remove_file(&to).await?;
/// # Ok(()) }
/// ```
#[track_caller]
pub fn rename(
    from: impl AsRef<Path>,
    to: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> {
    let (from, to) = (from.as_ref().to_path_buf(), to.as_ref().to_path_buf());
    request(
        "rename",
        &from,
        Some(&to),
        tokio::fs::rename(from.clone(), to.clone()),
    )
}

/// Copies `from` to `to`, returning the number of bytes copied. See [`tokio::fs::copy`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let from = std::env::temp_dir().join(format!("ahfs-cp1-{}", std::process::id()));
/// # let to = std::env::temp_dir().join(format!("ahfs-cp2-{}", std::process::id()));
/// # tokio::fs::write(&from, b"abc").await?;
/// assert_eq!(async_hooks_tokio::fs::copy(&from, &to).await?, 3);
/// # tokio::fs::remove_file(&from).await?;
/// # tokio::fs::remove_file(&to).await?;
/// # Ok(()) }
/// ```
#[track_caller]
pub fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> impl Future<Output = io::Result<u64>> {
    let (from, to) = (from.as_ref().to_path_buf(), to.as_ref().to_path_buf());
    request(
        "copy",
        &from,
        Some(&to),
        tokio::fs::copy(from.clone(), to.clone()),
    )
}

/// Opens a directory for listing. The request covers opening it; read the entries with
/// [`ReadDir::next_entry`]. See [`tokio::fs::read_dir`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let mut entries = async_hooks_tokio::fs::read_dir(std::env::temp_dir()).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     let _ = entry.file_name();
/// }
/// # Ok(()) }
/// ```
#[track_caller]
pub fn read_dir(path: impl AsRef<Path>) -> impl Future<Output = io::Result<ReadDir>> {
    let path = path.as_ref().to_path_buf();
    request("read_dir", &path, None, tokio::fs::read_dir(path.clone()))
}

/// Whether a path exists; errors other than "not found" are returned. See
/// [`tokio::fs::try_exists`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// assert!(async_hooks_tokio::fs::try_exists(std::env::temp_dir()).await?);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn try_exists(path: impl AsRef<Path>) -> impl Future<Output = io::Result<bool>> {
    let path = path.as_ref().to_path_buf();
    request(
        "try_exists",
        &path,
        None,
        tokio::fs::try_exists(path.clone()),
    )
}
