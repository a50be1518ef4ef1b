//! # Performance
//!
//! Measured with the ratio runner of the `async-hooks-benches` crate, which times every case
//! in one process, interleaved, over several rounds (`cargo run --release -p
//! async-hooks-benches --bin ratios`); criterion suites of the same cases are in that crate's
//! `benches/`. `BENCHMARKS.md` at the repository root has the latest full table, including
//! the side-by-side comparison with Node, and how to reproduce it. Figures from a quiet 2-core
//! x86-64 machine, median of 7 rounds of 2 million operations:
//!
//! | operation | ns | |
//! |---|---:|---|
//! | a plain `thread_local!` read (the floor) | 0.3 | |
//! | [`execution_async_id`](crate::execution_async_id) | 0.3 | one thread-local read |
//! | resource life (create, one scope, destroy), no hook | 34.5 | a disabled hook costs the same (S12) |
//! | the same, one no-op hook of all four callbacks | 61 | |
//! | the same, eight hooks | 96–107 | |
//! | [`AsyncLocalStorage::get`](crate::AsyncLocalStorage::get) of a `u64` | 2.5 | |
//! | [`AsyncLocalStorage::run`](crate::AsyncLocalStorage::run) | 40 | two allocations |
//! | create + destroy with 100 stores in use ÷ with 1 | 1.0× | capture is O(1) (S33) |
//!
//! ## Where the time goes
//!
//! - **An event nobody listens to** costs one atomic load and a branch (S12). The dispatch
//!   code is out of line (`#[cold]`), so it costs nothing in the caller's instruction stream.
//! - **Creating a resource** (about 12–19 ns with its drop) takes the next id from one atomic
//!   counter, reads the current ids and clones the current storage frame (one reference count
//!   when a store is set), and builds the 88-byte `AsyncResource`.
//! - **A scope** (about 22 ns) pushes a record on the thread's scope stack and pops it. The
//!   record holds a clone of the resource handle, so that
//!   [`execution_async_resource`](crate::execution_async_resource) can return the resource and
//!   its payload inside the scope (S28). Copying that 64-byte handle in and out is about two
//!   thirds of a scope's cost; keeping only the ids would make scopes about 8 ns, but would
//!   lose the payload, or need an allocation per resource (slower) or raw pointers that a
//!   forgotten guard would make unsound.
//! - **Each hook call** adds a few nanoseconds: an indirect call per enabled hook, plus a fixed
//!   cost per dispatched event (the thread's cached hook list, its generation check, the
//!   re-entrancy depth of S10, and `catch_unwind` for S19), paid once whatever the number of
//!   hooks.
//! - **`get`/`with`** read the thread's storage frame and find the store in a small sorted
//!   slice; no reference count is touched.
//! - **`run`** allocates the value (shared by every context that captures it) and the new
//!   frame, and frees both when the last context holding them ends.
//!
//! ## Targets
//!
//! The project set targets for this machine. Met: `execution_async_id` within 2× a
//! thread-local read (1.0×); the resource life with eight hooks ≤ 200 ns (96–107); `get` and `with`
//! ≤ 3 ns (2.5); creation with 100 stores in use within 10% of creation with one (1.0×). At
//! the line: the resource life with one hook, 61 ns against 60, within the machine's noise.
//! Missed: the resource life with no hook, 34.5 ns against 25, for the reason given above; and
//! `run`, 40 ns against 15, because of its two allocations. Node v20 on the same machine takes
//! about 120 ns for a resource life with no hook, 460–1,700 ns with one, and 85 ns for `run`.
