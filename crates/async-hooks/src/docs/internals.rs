//! # Internals
//!
//! ## The event path
//!
//! ```text
//! AsyncResource::new ─► id::next() ─► context::capture() ─► registry::emit_init ─► Hook::init …
//!        │                                                   ▲
//!        ▼                                                   │ one load of FLAGS; no bit → return (S12)
//! enter / run_in_async_scope ─► context::enter ─► registry::emit_before
//! drop / guard drop          ─► context::leave ─► registry::emit_after (check S16 first)
//! drop / emit_destroy        ─► registry::emit_destroy (context cleared to (0, 0), S18)
//! ```
//!
//! - **Ids** come from one `AtomicU64` starting at 2 (S1).
//! - **The context** is one thread-local (`context::ThreadState`) holding the current resource
//!   and storage frame, a stack of what each open scope replaced, and the dispatch state; the
//!   two current ids live in a second, `const` thread-local of plain `Cell`s. That one
//!   departure from "one thread-local for all per-thread state" buys two things: a type with
//!   no destructor is never torn down, so `destroy` callbacks fired from other thread-locals'
//!   destructors at thread exit still run with ids `(0, 0)` (S18); and reading it needs no
//!   destructor-state check, so [`execution_async_id`](crate::execution_async_id) is a plain
//!   thread-local read.
//!   `leave` checks that the innermost scope is the one asked to close before calling `after`
//!   hooks; a mismatch is fatal (S16) with or without hooks.
//! - **The registry** keeps the enabled hooks behind a mutex that only `enable` and `disable`
//!   take. Each change publishes an immutable list split by event and bumps a generation
//!   counter. Dispatch reads the thread's cached list and refreshes it only at an outermost
//!   dispatch whose generation is stale: no lock, no allocation and no write to shared memory
//!   per event. Why not `arc-swap`: its `load` writes a per-thread debt slot with a fence on
//!   every call; a generation check is one plain load. Nested dispatches never refresh, which
//!   gives S10: the dispatch under way and everything nested in it use the list as it was.
//!   A thread that changes the list from inside a callback holds back the lowering of the
//!   fast-path flags until its outermost dispatch returns, so nested dispatches cannot skip
//!   a hook they must still call.
//! - **Fatal paths** (`fatal`) print the message and a backtrace and exit with status 1, or
//!   abort under the abort policy. Each dispatch runs under `catch_unwind`; a caught panic is
//!   fatal (S19).
//!
//! ## The storage frame
//!
//! A frame is `Arc<[Entry]>`, sorted by store id, immutable. A resource captures the current
//! frame with one reference-count increment (S33); `run` and `enter_with` build a new frame
//! (copy on write). [`AsyncLocalStorage::with`](crate::AsyncLocalStorage::with) reads the
//! current frame without touching its reference count: while a `with` is under way on a thread,
//! frames that leave that thread's storage slot are parked instead of dropped, so the borrow
//! stays valid whatever the closure does (the one `unsafe` block of the crate, with its proof).
//! [`disable`](crate::AsyncLocalStorage::disable) bumps the store's epoch; entries of an older
//! epoch are invisible.
//!
//! ## Futures
//!
//! [`InAsyncScope`](crate::future::InAsyncScope) enters its resource's scope around every poll
//! and around the drop of the inner future, and keeps the storage frame in force at the end of
//! each poll for the next one, so that `enter_with` inside a future lasts for the rest of it.
