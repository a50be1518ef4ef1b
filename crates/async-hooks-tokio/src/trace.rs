//! Recording a Tokio program with no code change: `ASYNC_HOOKS_TRACE=path`.
//!
//! When the environment variable `ASYNC_HOOKS_TRACE` names a file, the first use of this crate
//! in a process (a spawn, a timer, a socket, [`install_hooks`](crate::runtime)) starts the
//! recorder of `async-hooks-trace` writing to it, and the file is finished when the process
//! exits normally (returning from `main`, or `std::process::exit`). Then
//! `async-hooks report path` shows what the program did.
//!
//! ```sh
//! ASYNC_HOOKS_TRACE=run.trace cargo run -p async-hooks-tokio --example http_demo
//! async-hooks report run.trace -o run.html
//! ```
//!
//! Events of resources created before that first use are not recorded, and neither are the
//! events that other threads still hold in their buffers when the process exits (they are
//! counted as lost in the file's summary). A program that wants the recording to start at its
//! first line, or to end at a point of its choosing, starts it itself with
//! `async_hooks_trace::Recorder::start(path)` and keeps the guard; [`finish`] ends an
//! environment-started recording early. A bad path is reported once on stderr, and the program
//! runs on unrecorded.

use std::sync::{Mutex, Once, PoisonError};

use async_hooks_trace::{Recorder, RecorderGuard, Summary, TraceError};

pub use async_hooks_trace::TRACE_ENV;

static START: Once = Once::new();
static RECORDING: Mutex<Option<RecorderGuard>> = Mutex::new(None);

/// Starts recording if `ASYNC_HOOKS_TRACE` is set and this is the first call in the process.
/// One atomic load after the first call.
#[inline]
pub(crate) fn start_from_env() {
    if !START.is_completed() {
        start_slow();
    }
}

#[cold]
fn start_slow() {
    START.call_once(|| {
        if Recorder::is_recording() {
            return; // the program records by itself
        }
        match Recorder::start_from_env() {
            Ok(Some(guard)) => {
                *RECORDING.lock().unwrap_or_else(PoisonError::into_inner) = Some(guard);
                // SAFETY: `atexit` only stores the pointer of a function with the C ABI and no
                // arguments, which the C runtime calls once, on this process's normal exit.
                // `finish_at_exit` catches every panic (unwinding out of an `extern "C"`
                // function would abort) and only touches statics that live to the end.
                let registered = unsafe { libc::atexit(finish_at_exit) };
                if registered != 0 {
                    eprintln!(
                        "async-hooks: could not register the end of the {TRACE_ENV} recording \
                         at exit; call async_hooks_tokio::trace::finish() before exiting"
                    );
                }
            }
            Ok(None) => {}
            Err(e) => eprintln!("async-hooks: {TRACE_ENV} is set, but recording cannot start: {e}; the program runs unrecorded"),
        }
    });
}

extern "C" fn finish_at_exit() {
    let _ = std::panic::catch_unwind(|| {
        if let Some(Err(e)) = finish() {
            eprintln!("async-hooks: finishing the {TRACE_ENV} recording failed: {e}");
        }
    });
}

/// Finishes a recording started by `ASYNC_HOOKS_TRACE` now, rather than at process exit.
/// Returns `None` if there is none (the variable is unset, or it was finished already).
///
/// # Errors
///
/// The `Some(Err(..))` of a recording whose file could not be written.
///
/// ```
/// // With ASYNC_HOOKS_TRACE unset, there is nothing to finish.
/// assert!(async_hooks_tokio::trace::finish().is_none());
/// ```
pub fn finish() -> Option<Result<Summary, TraceError>> {
    let guard = RECORDING
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()?;
    Some(guard.finish())
}
