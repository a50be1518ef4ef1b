//! The one place where the process dies (SPEC S16, S19).
//!
//! A corrupted scope stack (S16) and a panic in a hook callback (S19) are fatal, as they are in
//! Node: the message and a backtrace go to stderr and the process exits with status 1, or
//! aborts (`SIGABRT`, a core dump where enabled) under the abort policy, which is set by the
//! environment variable `ASYNC_HOOKS_ABORT_ON_ERROR=1` or by [`set_abort_on_error`].

use std::backtrace::Backtrace;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::id::AsyncId;

/// The environment variable that turns the abort policy on (`1` or `true`).
pub const ABORT_ON_ERROR_ENV: &str = "ASYNC_HOOKS_ABORT_ON_ERROR";

const UNSET: u8 = 0;
const EXIT: u8 = 1;
const ABORT: u8 = 2;

static POLICY: AtomicU8 = AtomicU8::new(UNSET);

/// Chooses what a fatal error does: `true` aborts the process (`SIGABRT`), `false` exits with
/// status 1 (S19). Overrides the `ASYNC_HOOKS_ABORT_ON_ERROR` environment variable, which is
/// otherwise read the first time it matters.
///
/// ```
/// async_hooks::set_abort_on_error(false);
/// assert!(!async_hooks::abort_on_error());
/// ```
pub fn set_abort_on_error(abort: bool) {
    POLICY.store(if abort { ABORT } else { EXIT }, Ordering::Relaxed);
}

/// Whether fatal errors abort the process rather than exit with status 1.
///
/// ```
/// // Unless the environment or `set_abort_on_error` says otherwise:
/// # std::env::remove_var("ASYNC_HOOKS_ABORT_ON_ERROR");
/// assert!(!async_hooks::abort_on_error());
/// ```
pub fn abort_on_error() -> bool {
    match POLICY.load(Ordering::Relaxed) {
        UNSET => {
            let abort = std::env::var(ABORT_ON_ERROR_ENV)
                .map(|v| matches!(v.trim(), "1" | "true" | "TRUE" | "yes"))
                .unwrap_or(false);
            // A racing `set_abort_on_error` wins.
            let _ = POLICY.compare_exchange(
                UNSET,
                if abort { ABORT } else { EXIT },
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            POLICY.load(Ordering::Relaxed) == ABORT
        }
        policy => policy == ABORT,
    }
}

/// S16: an `after` that does not match the innermost open scope.
#[cold]
#[inline(never)]
pub(crate) fn corrupted_stack(actual: AsyncId, expected: AsyncId) -> ! {
    die(&format!(
        "async hook stack has become corrupted (actual: {actual}, expected: {expected})"
    ))
}

/// S19: a hook callback panicked.
#[cold]
#[inline(never)]
pub(crate) fn hook_panicked(message: &str) -> ! {
    die(&format!("async hook callback panicked: {message}"))
}

fn die(message: &str) -> ! {
    let backtrace = Backtrace::force_capture();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{message}\nbacktrace:\n{backtrace}");
    let _ = err.flush();
    drop(err);
    if abort_on_error() {
        std::process::abort()
    } else {
        std::process::exit(1)
    }
}
