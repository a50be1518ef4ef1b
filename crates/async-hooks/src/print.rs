//! Printing from inside hook callbacks (SPEC S21).
//!
//! In Node, `console.log` inside a hook creates an async resource, whose `init` calls the hook
//! again, without end; the documentation tells hook authors to use `fs.writeFileSync`. Here,
//! [`hook_println!`](crate::hook_println) and [`hook_eprintln!`](crate::hook_eprintln) write
//! synchronously to the standard streams and create no resource. Unlike `println!`, they never
//! panic when the stream is closed (a panic in a hook is fatal, S19): write errors are ignored.
//! [`in_hook_callback`](crate::in_hook_callback) tells code whether it runs inside a callback,
//! so that an instrumented logger can skip the events it causes itself.

use std::fmt;
use std::io::Write;

#[doc(hidden)]
pub fn print_sync(to_stderr: bool, args: fmt::Arguments<'_>) {
    if to_stderr {
        let mut err = std::io::stderr().lock();
        let _ = err.write_fmt(args);
        let _ = err.flush();
    } else {
        let mut out = std::io::stdout().lock();
        let _ = out.write_fmt(args);
        let _ = out.flush();
    }
}

/// Prints a line to stdout synchronously, creating no resource and never panicking; safe to
/// call from inside any hook callback (S21).
///
/// ```
/// use async_hooks::{create_hook, hook_println, FnHook};
///
/// let hook = create_hook(FnHook::new().on_init(|id, ty, trigger, _| {
///     hook_println!("{ty}({id}): trigger: {trigger}");
/// }));
/// # hook.enable(); drop(async_hooks::AsyncResource::new("X")); hook.disable();
/// ```
#[macro_export]
macro_rules! hook_println {
    () => { $crate::print::print_sync(false, format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::print::print_sync(false, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints a line to stderr synchronously, creating no resource and never panicking; safe to
/// call from inside any hook callback (S21).
///
/// ```
/// use async_hooks::{create_hook, hook_eprintln, FnHook};
///
/// let hook = create_hook(FnHook::new().on_destroy(|id| hook_eprintln!("destroy: {id}")));
/// # hook.enable(); drop(async_hooks::AsyncResource::new("X")); hook.disable();
/// ```
#[macro_export]
macro_rules! hook_eprintln {
    () => { $crate::print::print_sync(true, format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::print::print_sync(true, format_args!("{}\n", format_args!($($arg)*)))
    };
}
