//! The synchronisation primitives of the lock-free parts: `std`'s, or `loom`'s when the crate
//! is built for model checking (`RUSTFLAGS="--cfg loom"`, see `tests/loom.rs`).
//!
//! Only the hook registry, the id counter and the thread-local of the execution context go
//! through here. Normal builds use `std` directly: every name below is a re-export, and
//! [`sync_static!`] expands to a plain `static`, so there is no extra indirection.
//!
//! `loom`'s atomics and `Mutex` cannot be built in a `const` context, and must be rebuilt for
//! every execution a model explores, so under `loom` the statics become `loom::lazy_static!`s,
//! which deref to the same type and are used the same way.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, AtomicU8};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicU8};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

/// `loom::thread_local!`, taking the `const { .. }` initialiser form of `std`'s (a `const`
/// thread-local in normal builds: no lazy-initialisation check on access).
#[cfg(loom)]
macro_rules! loom_thread_local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const $init:block;) => {
        loom::thread_local! {
            $(#[$attr])*
            $vis static $name: $t = $init;
        }
    };
}
#[cfg(loom)]
pub(crate) use loom_thread_local as thread_local;

/// Declares a `static` holding a synchronisation primitive: a plain `static` in normal builds,
/// a `loom::lazy_static!` under `loom`.
macro_rules! sync_static {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        static $name: $t = $init;

        #[cfg(loom)]
        loom::lazy_static! {
            $(#[$attr])*
            static ref $name: $t = $init;
        }
    };
}

pub(crate) use sync_static;
