//! # Performance
//!
//! Figures come from the criterion benchmarks in `benches/` (run `cargo bench -p
//! async-hooks-benches`); see `BENCHMARKS.md` at the repository root for the latest table, the
//! machine it was measured on, and the side-by-side comparison with Node.
//!
//! What to expect, by design:
//!
//! - [`execution_async_id`](crate::execution_async_id) is one thread-local read.
//! - An event nobody listens to costs one atomic load and a branch (S12).
//! - A resource's life (create, one scope, destroy) with no hook costs one atomic increment for
//!   the id, two thread-local accesses and a push and pop on the thread's scope stack; with a
//!   store set, two reference-count changes more.
//! - [`AsyncLocalStorage::get`](crate::AsyncLocalStorage::get) is a thread-local read and a
//!   lookup in a small sorted slice; creating a resource with 100 stores in use costs the same
//!   as with one (S33).
