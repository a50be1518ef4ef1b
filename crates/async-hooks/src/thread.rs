//! Threads that carry the async context of the code that started them (SPEC S4, S31).

use std::io;
use std::thread::{Builder, JoinHandle};

use crate::async_resource::AsyncResource;

/// The resource type of a thread started by this module.
pub const THREAD: &str = "THREAD";

/// Spawns a `std` thread that runs `f` inside a new resource of type [`THREAD`], whose trigger
/// is the spawner's execution id and which carries the spawner's async-local context (S31).
/// The resource is destroyed when `f` returns or panics, on the new thread.
///
/// # Panics
///
/// As [`std::thread::spawn`], if the operating system cannot create a thread; use
/// [`spawn_with`] to get the error instead.
///
/// ```
/// use async_hooks::{thread, trigger_async_id, AsyncLocalStorage, AsyncId};
///
/// static REQUEST: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
/// let handle = REQUEST.run(7, || thread::spawn(|| (REQUEST.get(), trigger_async_id())));
/// let (request, trigger) = handle.join().unwrap();
/// assert_eq!(request, Some(7));
/// assert_eq!(trigger, AsyncId::ROOT); // spawned from top-level code
/// ```
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match spawn_with(Builder::new(), f) {
        Ok(handle) => handle,
        Err(e) => panic!("failed to spawn thread: {e}"),
    }
}

/// [`spawn`] with a [`std::thread::Builder`] (name, stack size).
///
/// # Errors
///
/// Whatever [`Builder::spawn`] returns.
///
/// ```
/// use async_hooks::thread;
///
/// let h = thread::spawn_with(std::thread::Builder::new().name("worker".into()), || {
///     std::thread::current().name().map(String::from)
/// })?;
/// assert_eq!(h.join().unwrap().as_deref(), Some("worker"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn_with<F, T>(builder: Builder, f: F) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let resource = AsyncResource::new(THREAD);
    builder.spawn(move || resource.run_in_async_scope(f))
}
