//! Printing from inside hooks without recursion (S21).
//!
//! ```text
//! cargo run -p async-hooks --example debug_print
//! ```
//!
//! In Node, `console.log` inside a hook creates an async resource, whose `init` calls the hook
//! again, without end. Here the same trap is set on purpose: [`Logger`] stands for an
//! instrumented asynchronous logger that makes an `AsyncResource` for every line it writes,
//! and the hook's `init` logs through it. Two tools keep it finite:
//!
//! - [`hook_println!`] writes synchronously and creates no resource;
//! - [`in_hook_callback`] tells the logger that it was called from a hook, so it writes with
//!   `hook_println!` instead of making a resource, and the events it would cause never exist.
//!
//! The last part turns the guard off to show what it prevents, with a depth limit standing in
//! for the stack overflow.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_hooks::{create_hook, hook_println, in_hook_callback, AsyncResource, FnHook};

/// Events seen by the hook, by kind.
static INITS: AtomicUsize = AtomicUsize::new(0);
static BEFORES: AtomicUsize = AtomicUsize::new(0);
static AFTERS: AtomicUsize = AtomicUsize::new(0);
static DESTROYS: AtomicUsize = AtomicUsize::new(0);

/// Whether the logger checks `in_hook_callback()` (on, except in the last part).
static GUARDED: AtomicBool = AtomicBool::new(true);
/// How deep unguarded logging has nested; the limit stands in for a stack overflow.
static UNGUARDED_DEPTH: AtomicUsize = AtomicUsize::new(0);
const UNGUARDED_LIMIT: usize = 5;

/// A logger that writes each line as an async operation of its own, as an instrumented
/// asynchronous logger would: one `example.LogWrite` resource per line.
struct Logger;

impl Logger {
    fn log(line: &str) {
        if GUARDED.load(Ordering::Relaxed) && in_hook_callback() {
            // Called from a hook: write now, create nothing, cause no event.
            hook_println!("  [log, from a hook] {line}");
            return;
        }
        let depth = UNGUARDED_DEPTH.fetch_add(1, Ordering::Relaxed);
        if depth >= UNGUARDED_LIMIT {
            hook_println!("  [log] ... {depth} log writes deep: stopping the recursion here");
        } else {
            let write = AsyncResource::new("example.LogWrite"); // `init` fires here
            write.run_in_async_scope(|| hook_println!("  [log] {line}"));
        }
        UNGUARDED_DEPTH.fetch_sub(1, Ordering::Relaxed);
    }
}

fn main() {
    let hook = create_hook(
        FnHook::new()
            .on_init(|id, ty, trigger, _| {
                INITS.fetch_add(1, Ordering::Relaxed);
                // The trap: a hook that logs through a logger that creates resources.
                Logger::log(&format!("init {ty}({id}), trigger {trigger}"));
            })
            .on_before(|id| {
                BEFORES.fetch_add(1, Ordering::Relaxed);
                hook_println!("  before {id}");
            })
            .on_after(|id| {
                AFTERS.fetch_add(1, Ordering::Relaxed);
                hook_println!("  after {id}");
            })
            .on_destroy(|id| {
                DESTROYS.fetch_add(1, Ordering::Relaxed);
                hook_println!("  destroy {id}");
            }),
    );
    hook.enable();

    println!("1. application code logs: the line is a resource the hook sees, once");
    Logger::log("application started");

    println!("2. a job runs and logs from its scope");
    let job = AsyncResource::new("example.Job");
    job.run_in_async_scope(|| Logger::log("job running"));
    drop(job);

    println!("3. the same, with the logger's in_hook_callback() check turned off");
    GUARDED.store(false, Ordering::Relaxed);
    let inits_before = INITS.load(Ordering::Relaxed);
    drop(AsyncResource::new("example.Job"));
    let caused = INITS.load(Ordering::Relaxed) - inits_before - 1;
    GUARDED.store(true, Ordering::Relaxed);
    println!(
        "   one Job caused {caused} LogWrite resources before the depth limit cut the recursion"
    );

    hook.disable();
    let (i, b, a, d) = (
        INITS.load(Ordering::Relaxed),
        BEFORES.load(Ordering::Relaxed),
        AFTERS.load(Ordering::Relaxed),
        DESTROYS.load(Ordering::Relaxed),
    );
    println!(
        "events seen: {} (init {i}, before {b}, after {a}, destroy {d})",
        i + b + a + d
    );
}
