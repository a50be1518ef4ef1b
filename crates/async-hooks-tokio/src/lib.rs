//! Tokio integration of `async-hooks`: every task, timer, socket and request is an async
//! resource.

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
