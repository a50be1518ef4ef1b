//! Tokio integration of `async-hooks`: every task, timer, socket and request is an async
//! resource.
//!
//! A Tokio program gets Node's view of its async work: each task, timer and connection is
//! announced by `init` with its type and a trigger that names what caused it, its code runs
//! inside `before`/`after` on whichever worker polls it, and it ends with exactly one
//! `destroy`. [`execution_async_id`](async_hooks::execution_async_id),
//! [`trigger_async_id`](async_hooks::trigger_async_id) and
//! [`AsyncLocalStorage`](async_hooks::AsyncLocalStorage) are right inside every task: a value
//! set with `run` around a spawn reaches the task and everything it spawns, which Tokio's
//! `task_local!` cannot do.
//!
//! # A tour
//!
//! - **Tasks** ([`task`]): [`spawn`], [`spawn_blocking`] and [`spawn_local`] have Tokio's
//!   signatures; [`task::Builder`] names tasks; [`AsyncResourceExt::in_resource`] makes any
//!   future a resource. Types `TASK`, `BLOCKING_TASK`, `LOCAL_TASK`; payload [`TaskInfo`].
//! - **Every task, other libraries' too** ([`runtime`]): with `RUSTFLAGS="--cfg
//!   tokio_unstable"`, `runtime::install_hooks` uses Tokio's task hooks so that tasks spawned
//!   with plain `tokio::spawn` (by hyper, tonic, anything) are resources as well.
//! - **Timers** ([`time`]): `sleep`, `timeout`, `interval` and Node's
//!   [`set_timeout`]/[`set_interval`], type `Timeout`.
//! - **Sockets and requests** ([`net`]): `TcpListener` (`TCPSERVERWRAP`), `TcpStream`
//!   (`TCPWRAP`, whose trigger is its listener), the connect request (`TCPCONNECTWRAP`),
//!   `UdpSocket` (`UDPWRAP`), `lookup_host` (`GETADDRINFOREQWRAP`).
//! - **Files, signals, processes** ([`fs`], [`signal`], [`process`]): `FSREQCALLBACK`,
//!   `SIGNALWRAP`, `PROCESSWRAP`.
//! - **Recording** ([`trace`]): `ASYNC_HOOKS_TRACE=run.trace` records the program for the
//!   `async-hooks` command-line tool.
//!
//! # Example
//!
//! ```
//! use async_hooks::{create_hook, trigger_async_id, AsyncLocalStorage, FnHook};
//!
//! static REQUEST_ID: AsyncLocalStorage<u64> = AsyncLocalStorage::new();
//!
//! let hook = create_hook(
//!     FnHook::new().on_init(|id, ty, trigger, _| println!("{ty}({id}): trigger: {trigger}")),
//! );
//! hook.enable();
//! let rt = tokio::runtime::Runtime::new()?;
//! rt.block_on(async {
//!     let parent = REQUEST_ID.run(42, || {
//!         async_hooks_tokio::spawn(async {
//!             let me = async_hooks::execution_async_id();
//!             // A grandchild task: never handed the id, yet it sees it.
//!             let child = async_hooks_tokio::spawn(async { (REQUEST_ID.get(), trigger_async_id()) });
//!             (me, child.await.unwrap())
//!         })
//!     });
//!     let (parent_id, (seen, child_trigger)) = parent.await.unwrap();
//!     assert_eq!(seen, Some(42));
//!     assert_eq!(child_trigger, parent_id); // the child was caused by its parent
//! });
//! hook.disable();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Tests that enable hooks should run one per process (`cargo nextest`): hooks are global.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

pub mod fs;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod task;
pub mod time;
pub mod trace;

pub use crate::task::{spawn, spawn_blocking, spawn_local, AsyncResourceExt, TaskInfo};

// Resource types (S29) and Node's timer functions.
pub use crate::fs::FSREQCALLBACK;
pub use crate::net::{GETADDRINFOREQWRAP, TCPCONNECTWRAP, TCPSERVERWRAP, TCPWRAP, UDPWRAP};
pub use crate::process::PROCESSWRAP;
pub use crate::signal::SIGNALWRAP;
pub use crate::time::{set_interval, set_timeout, TIMEOUT};
